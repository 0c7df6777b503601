package vcache

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestVersionsAndBounds(t *testing.T) {
	t.Parallel()
	c := New[string, int](3, time.Hour)
	c.Put("a", 1, 10)
	if v, ok := c.Get("a", 1); !ok || v != 10 {
		t.Fatalf("Get(a, 1) = %v, %v", v, ok)
	}
	if _, ok := c.Get("a", 2); ok {
		t.Error("an entry of version 1 was served for version 2")
	}
	if _, ok := c.Get("b", 1); ok {
		t.Error("a missing key was served")
	}
	c.Put("b", 2, 20)
	c.Put("c", 2, 30)
	c.Put("d", 2, 40) // full: the version-1 entry goes first
	if c.Len() != 3 {
		t.Errorf("Len = %d, want 3", c.Len())
	}
	if _, ok := c.Get("a", 1); ok {
		t.Error("the entry of an old version survived a full cache")
	}
	c.Put("e", 2, 50)
	if c.Len() != 3 {
		t.Errorf("Len = %d after another put, want the bound 3", c.Len())
	}
	if v, ok := c.Get("e", 2); !ok || v != 50 {
		t.Errorf("Get(e) = %v, %v", v, ok)
	}
}

func TestTTL(t *testing.T) {
	t.Parallel()
	// In the bubble time.Sleep moves a fake clock: no real time passes.
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int](10, time.Millisecond)
		c.Put("a", 1, 1)
		time.Sleep(time.Millisecond)
		if _, ok := c.Get("a", 1); !ok {
			t.Error("an entry was not served at the end of its time-to-live")
		}
		time.Sleep(4 * time.Millisecond)
		if _, ok := c.Get("a", 1); ok {
			t.Error("an expired entry was served")
		}
	})
}
