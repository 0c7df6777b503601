package runtime

import "context"

// StateNotifier is implemented by drivers whose phones can change state
// outside an operation: a container that dies, is killed for lack of
// memory or is removed by someone else.
type StateNotifier interface {
	// NotifyStates registers f, which the driver calls from its own
	// goroutine with a snapshot of each phone whose state changed outside
	// an operation. f must not block. A later call replaces f.
	NotifyStates(f func(PhoneInfo))
}

// Screenshotter is implemented by drivers that can capture a phone's
// screen.
type Screenshotter interface {
	// Screenshot returns the running phone's screen as a PNG image. It
	// returns an error wrapping ErrNotRunning for a phone that is not
	// running, or ErrNoSuchPhone.
	Screenshot(ctx context.Context, phoneID string) ([]byte, error)
}
