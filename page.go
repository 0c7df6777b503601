package cph

// Marker paging: the lists that SDK release 0.1.215 added or changed
// (scheduled events, shared-app snapshots, server model offerings, images,
// server models, image members) page with an opaque marker instead of an
// offset. The marker is the key of the last item of the previous page; the
// next page starts strictly after that item in the list's order. The last
// page carries no next marker. A marker that names no item is refused with
// CPS.9011 ("Parameter: marker is invalid."); a limit outside the list's
// range with CPS.0002.

// PageInfo is the page_info object of a marker-paged answer. It is {} on
// the last page.
type PageInfo struct {
	NextMarker string `json:"next_marker,omitempty"`
}

// MarkerPage is a page request of a marker-paged list: the marker of the
// previous page ("" for the first page) and the page size. Limit 0 means
// the list's default.
type MarkerPage struct {
	Marker string
	Limit  int
}

// PageAfterMarker returns the page of items (already in list order) that
// follows the item whose key is p.Marker, at most limit items (p.Limit, or
// def when it is 0), and the next marker ("" when no item follows). An
// unknown marker is ErrInvalidParameter("marker").
func PageAfterMarker[T any](items []T, key func(T) string, p MarkerPage, def int) ([]T, string, error) {
	start := 0
	if p.Marker != "" {
		start = -1
		for i, it := range items {
			if key(it) == p.Marker {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, "", ErrInvalidParameter("marker")
		}
	}
	limit := p.Limit
	if limit <= 0 {
		limit = def
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	next := ""
	if end < len(items) && len(page) > 0 {
		next = key(page[len(page)-1])
	}
	return page, next, nil
}
