// Package vcache is a small in-memory cache whose entries are valid for one
// version of the data they were computed from: a reader passes the current
// version, and an entry stored under another version is a miss. Entries
// also expire after a time-to-live, and the cache holds a bounded number
// of them.
package vcache

import (
	"sync"
	"time"
)

// Cache maps keys to values computed at a version of the source data. It
// is safe for concurrent use.
type Cache[K comparable, V any] struct {
	max int
	ttl time.Duration

	mu sync.Mutex
	m  map[K]entry[V]
}

type entry[V any] struct {
	version uint64
	at      time.Time
	value   V
}

// New returns a cache of at most max entries, each kept at most ttl.
func New[K comparable, V any](max int, ttl time.Duration) *Cache[K, V] {
	return &Cache[K, V]{max: max, ttl: ttl, m: make(map[K]entry[V])}
}

// Get returns the value stored for k at version, if it is younger than
// the time-to-live.
func (c *Cache[K, V]) Get(k K, version uint64) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || e.version != version || time.Since(e.at) > c.ttl {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Latest returns the value stored for k whatever its version, with that
// version, if it is younger than the time-to-live: a caller that can bring
// it up to date need not compute it again.
func (c *Cache[K, V]) Latest(k K) (V, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || time.Since(e.at) > c.ttl {
		var zero V
		return zero, 0, false
	}
	return e.value, e.version, true
}

// Put stores v for k, computed at version (read before the data was). A
// full cache first drops entries of other versions, or any one entry.
func (c *Cache[K, V]) Put(k K, version uint64, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for key, e := range c.m {
			if e.version != version {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = entry[V]{version: version, at: time.Now(), value: v}
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
