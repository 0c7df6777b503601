package cph

import "context"

// Change is a point in the history of the fleet's phones and jobs.
type Change struct {
	// Version moves whenever a phone or a job changes, in any project,
	// on any replica.
	Version uint64
	// Live is false while changes cannot be followed (a PostgreSQL
	// replica that lost its notification connection); then a live view
	// must re-read what it shows on a timer.
	Live bool
}

// ChangeService lets live views (the web console) follow the fleet
// without polling the database: they wait for a change, then re-read what
// they show through the other services, which decide what the caller may
// see.
type ChangeService interface {
	// WaitForChange returns as soon as the version of the phones and jobs
	// is not since (at once if it is not already), or, while changes
	// cannot be followed, after at most a second. It returns the context's
	// error when ctx ends first. Any caller scoped to a project may wait.
	// Errors: APIGW.0301 (no caller), APIGW.0302 (not scoped to a
	// project).
	WaitForChange(ctx context.Context, since uint64) (Change, error)
	// CurrentChange returns the current version at once: a page rendered
	// now shows the fleet as of that version, and waits for the next.
	// Errors: those of WaitForChange.
	CurrentChange(ctx context.Context) (Change, error)
}
