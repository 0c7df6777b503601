// Package poll waits in tests for a condition to come true: it checks the
// condition with a short pause, growing with the time waited, between
// checks and fails the test, naming what it waited for, when a deadline
// passes first.
package poll

import (
	"testing"
	"time"
)

// DefaultTimeout bounds a wait of Until.
const DefaultTimeout = 20 * time.Second

// The pause between checks is a tenth of the time waited so far, within
// these bounds: a condition that comes true soon is seen soon, one that
// takes seconds (a process, a container) is not checked hundreds of times,
// and the wait adds at most about a tenth to the time the condition took.
const (
	minPause = time.Millisecond
	maxPause = 100 * time.Millisecond
	// margin is kept before the test binary's own deadline so that a wait
	// fails with its message rather than the binary with a panic.
	margin = time.Second
)

// Until calls cond until it returns true and fails tb (with "timed out
// after … waiting for what") if it has not within DefaultTimeout or before
// the test's deadline, whichever comes first.
func Until(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	Within(tb, DefaultTimeout, what, cond)
}

// Within is Until with its own timeout instead of DefaultTimeout.
func Within(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	start := time.Now()
	if !Wait(tb, timeout, cond) {
		tb.Fatalf("timed out after %s waiting for %s", time.Since(start).Round(time.Millisecond), what)
	}
}

// Wait calls cond as Within does but only reports whether it held in
// time, for a caller that fails with its own message (one showing the
// last state it saw, say).
func Wait(tb testing.TB, timeout time.Duration, cond func() bool) bool {
	start := time.Now()
	end := start.Add(timeout)
	if dl, ok := testDeadline(tb); ok && dl.Add(-margin).Before(end) {
		end = dl.Add(-margin)
	}
	for !cond() {
		now := time.Now()
		if !now.Before(end) {
			return false
		}
		pause := min(max(now.Sub(start)/10, minPause), maxPause)
		time.Sleep(min(pause, end.Sub(now)))
	}
	return true
}

// testDeadline returns the deadline of tb's test binary, if it has one. A
// test inside a testing/synctest bubble has none: its clock is not the
// binary's (and (*testing.T).Deadline panics there).
func testDeadline(tb testing.TB) (dl time.Time, ok bool) {
	d, isT := tb.(interface{ Deadline() (time.Time, bool) })
	if !isT {
		return time.Time{}, false
	}
	defer func() {
		if recover() != nil {
			dl, ok = time.Time{}, false
		}
	}()
	return d.Deadline()
}
