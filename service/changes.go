package service

import (
	"context"
	"time"

	cph "github.com/opencph/opencph"
)

// unfollowedWait is how long WaitForChange waits while changes cannot be
// followed.
const unfollowedWait = time.Second

// WaitForChange implements cph.ChangeService.
func (s *Services) WaitForChange(ctx context.Context, since uint64) (cph.Change, error) {
	if _, err := reader(ctx); err != nil {
		return cph.Change{}, err
	}
	// Take the channel before reading the versions: a change between the
	// two closes it, so none is missed.
	changed := s.db.Changed()
	c := s.change()
	if !c.Live {
		t := time.NewTimer(unfollowedWait)
		defer t.Stop()
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			return c, ctx.Err()
		}
		return s.change(), nil
	}
	for c.Version == since {
		select {
		case <-changed:
		case <-ctx.Done():
			return c, ctx.Err()
		}
		changed = s.db.Changed()
		c = s.change()
	}
	return c, nil
}

// CurrentChange implements cph.ChangeService.
func (s *Services) CurrentChange(ctx context.Context) (cph.Change, error) {
	if _, err := reader(ctx); err != nil {
		return cph.Change{}, err
	}
	return s.change(), nil
}

// change returns the current version of phones and jobs: the sum of
// theirs, which moves whenever either does.
func (s *Services) change() cph.Change {
	phones, live := s.db.PhonesVersion()
	jobs, _ := s.db.JobsVersion()
	return cph.Change{Version: phones + jobs, Live: live}
}
