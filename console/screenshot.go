package console

import (
	"net/http"
	"strconv"
	"time"

	cph "github.com/opencph/opencph"
)

// screenshot answers a phone's screen as a PNG (ShowPhoneScreenshot),
// for the phone page's image, which the script refreshes. An error is
// answered as one line of plain text, which the page shows under the
// image.
func (c *Console) screenshot(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := phoneID(r)
	if err == nil {
		var shot *cph.PhoneScreenshot
		if shot, err = c.cfg.Phones.ShowPhoneScreenshot(s.ctx(r), id); err == nil {
			h := w.Header()
			h.Set("Content-Type", "image/png")
			h.Set("Cache-Control", "private, no-store")
			h.Set("Content-Length", strconv.Itoa(len(shot.PNG)))
			h.Set(cph.ScreenshotTakenAtHeader, shot.TakenAt.UTC().Format(time.RFC3339))
			_, _ = w.Write(shot.PNG)
			return nil
		}
	}
	e := cph.AsError(err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte("No screenshot: " + plainError(err) + " (" + e.Code + ")"))
	return nil
}
