package sim

import "maps"

// cowMap is a map that shares its storage with other cowMaps until one of
// them is written (copy on write). Every phone of a driver starts with the
// same default properties, system packages and image files; sharing them
// keeps a phone that nobody changed at a few hundred bytes, which matters
// to load tools that run a million simulated phones in one process.
//
// Read through m (ranging over or indexing a nil map is fine); write only
// through the methods. A cowMap is guarded by Driver.mu like the rest of a
// phone.
type cowMap[K comparable, V any] struct {
	m      map[K]V
	shared bool // m may be read through another cowMap: copy it before a write
}

// sharedMap returns a cowMap that reads m and copies it at the first write.
// m itself is never written through it.
func sharedMap[K comparable, V any](m map[K]V) cowMap[K, V] {
	return cowMap[K, V]{m: m, shared: true}
}

// share returns a cowMap with the same content as c; both copy their
// storage before their next write.
func (c *cowMap[K, V]) share() cowMap[K, V] {
	c.shared = true
	return cowMap[K, V]{m: c.m, shared: true}
}

// own makes c the only user of its storage, copying it if needed.
func (c *cowMap[K, V]) own() {
	if !c.shared && c.m != nil {
		return
	}
	m := make(map[K]V, len(c.m)+1)
	maps.Copy(m, c.m)
	c.m, c.shared = m, false
}

// set sets k to v.
func (c *cowMap[K, V]) set(k K, v V) {
	c.own()
	c.m[k] = v
}

// del removes k.
func (c *cowMap[K, V]) del(k K) {
	if _, ok := c.m[k]; ok {
		c.own()
		delete(c.m, k)
	}
}

// deleteFunc removes every entry for which del returns true.
func (c *cowMap[K, V]) deleteFunc(del func(K, V) bool) {
	for k, v := range c.m {
		if del(k, v) {
			c.own()
			maps.DeleteFunc(c.m, del)
			return
		}
	}
}

// copyFrom sets every entry of src.
func (c *cowMap[K, V]) copyFrom(src map[K]V) {
	if len(src) == 0 {
		return
	}
	c.own()
	maps.Copy(c.m, src)
}
