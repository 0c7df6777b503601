package client

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	cph "github.com/opencph/opencph"
)

// maxFollowedPages bounds how many pages a list that follows next_marker
// reads before it gives up.
const maxFollowedPages = 1000

// markerQuery sets the marker and limit of a marker-paged list in q (a
// zero limit is not sent: the server's default).
func markerQuery(q url.Values, p cph.MarkerPage) {
	if p.Marker != "" {
		q.Set("marker", p.Marker)
	}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
}

// allPages reads a marker-paged list to its end: page is called with the
// marker of each page ("" for the first) and returns its items and the
// next marker ("" on the last page).
func allPages[T any](ctx context.Context, page func(ctx context.Context, marker string) ([]T, string, error)) ([]T, error) {
	out := []T{}
	marker := ""
	for range maxFollowedPages {
		items, next, err := page(ctx, marker)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		if next == marker {
			return nil, fmt.Errorf("the server answered the marker %q with itself", marker)
		}
		marker = next
	}
	return nil, fmt.Errorf("the list has more than %d pages", maxFollowedPages)
}
