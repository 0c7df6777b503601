package cph

import "time"

// OpScreenshot captures a running phone's screen. Its jobs serve
// ShowPhoneScreenshot only: they are not listed by ListJobs nor shown by
// ShowJob.
const OpScreenshot OpKind = "screenshot"

// Limits and timing of ShowPhoneScreenshot.
const (
	// MaxScreenshotBytes is the largest PNG a phone may deliver; an agent
	// refuses a larger capture, and the control plane a larger result.
	MaxScreenshotBytes = 4 << 20
	// ScreenshotWait bounds how long ShowPhoneScreenshot waits for the
	// phone's server to deliver a capture before it answers CPS.9016.
	ScreenshotWait = 10 * time.Second
	// ScreenshotFresh is how long a capture is answered again instead of
	// a new one being taken: concurrent viewers of a phone share it.
	ScreenshotFresh = 2 * time.Second
)

// ScreenshotTakenAtHeader is the header of a screenshot answer of the
// HTTP API that carries PhoneScreenshot.TakenAt (RFC 3339, UTC).
const ScreenshotTakenAtHeader = "X-Screenshot-Taken-At"

// PhoneScreenshot is a capture of a phone's screen.
type PhoneScreenshot struct {
	// PNG is the image, as the phone's runtime encoded it.
	PNG []byte
	// TakenAt is when the control plane received the capture.
	TakenAt time.Time
}
