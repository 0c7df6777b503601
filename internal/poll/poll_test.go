package poll

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		n := 0
		Until(t, "the third check", func() bool { n++; return n == 3 })
		if n != 3 {
			t.Errorf("cond called %d times, want 3", n)
		}
		if waited := time.Since(start); waited > 10*time.Millisecond {
			t.Errorf("waited %s for a condition true at the third check", waited)
		}
	})
}

// fakeTB records a failure instead of ending the test.
type fakeTB struct {
	testing.TB
	msg      string
	deadline time.Time
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = strings.TrimSpace(fmt.Sprintf(format, args...))
}
func (f *fakeTB) Deadline() (time.Time, bool) { return f.deadline, !f.deadline.IsZero() }

func TestWithinFailsNamingWhatItWaitedFor(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTB{TB: t}
		start := time.Now()
		Within(f, 3*time.Second, "the moon", func() bool { return false })
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("gave up after %s, want 3s", got)
		}
		if f.msg != "timed out after 3s waiting for the moon" {
			t.Errorf("message = %q", f.msg)
		}
	})
}

func TestUntilStopsBeforeTheTestDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTB{TB: t, deadline: time.Now().Add(5 * time.Second)}
		start := time.Now()
		Until(f, "nothing", func() bool { return false })
		if got := time.Since(start); got != 5*time.Second-margin {
			t.Errorf("gave up after %s, want %s (the test's deadline less the margin)", got, 5*time.Second-margin)
		}
		if f.msg == "" {
			t.Error("the test did not fail")
		}
	})
}

func TestWithinChecksAgainAtTheDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTB{TB: t}
		end := time.Now().Add(time.Second)
		Within(f, time.Second, "the deadline", func() bool { return !time.Now().Before(end) })
		if f.msg != "" {
			t.Errorf("failed although the condition held at the deadline: %s", f.msg)
		}
	})
}

func TestUntilOutsideABubble(t *testing.T) {
	t.Parallel()
	Until(t, "a true condition", func() bool { return true })
}

func TestWaitReportsWithoutFailing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTB{TB: t}
		if Wait(f, time.Second, func() bool { return false }) {
			t.Error("Wait reported a false condition as holding")
		}
		if f.msg != "" {
			t.Errorf("Wait failed the test: %s", f.msg)
		}
		if !Wait(f, time.Second, func() bool { return true }) {
			t.Error("Wait reported a true condition as not holding")
		}
	})
}

func TestPausesGrowWithTheWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var checks []time.Duration
		Within(t, time.Minute, "a minute", func() bool {
			checks = append(checks, time.Since(start))
			return time.Since(start) >= 30*time.Second
		})
		// About 10 checks up to 10 ms, then a tenth more each time, then
		// every 100 ms: a few hundred checks over 30 s, not thousands.
		if n := len(checks); n < 100 || n > 400 {
			t.Errorf("%d checks in 30 s", n)
		}
		if got := time.Since(start); got > 30*time.Second+maxPause {
			t.Errorf("saw the condition %s after it came true", got-30*time.Second)
		}
		for i := 1; i < len(checks); i++ {
			if gap := checks[i] - checks[i-1]; gap > maxPause || gap < minPause {
				t.Fatalf("pause %s between checks %d and %d", gap, i-1, i)
			}
		}
	})
}
