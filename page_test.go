package cph_test

import (
	"errors"
	"slices"
	"testing"

	cph "github.com/opencph/opencph"
)

func TestPageAfterMarker(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	id := func(s string) string { return s }
	var got []string
	p := cph.MarkerPage{Limit: 2}
	for pages := 0; ; pages++ {
		if pages > len(items) {
			t.Fatal("paging does not end")
		}
		page, next, err := cph.PageAfterMarker(items, id, p, 100)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		p.Marker = next
	}
	if !slices.Equal(got, items) {
		t.Fatalf("paged %v, want %v", got, items)
	}
	if page, next, _ := cph.PageAfterMarker(items, id, cph.MarkerPage{}, 3); len(page) != 3 || next != "c" {
		t.Fatalf("default limit: page %v next %q", page, next)
	}
	if page, next, _ := cph.PageAfterMarker(items, id, cph.MarkerPage{Marker: "d", Limit: 1}, 3); !slices.Equal(page, []string{"e"}) || next != "" {
		t.Fatalf("last page: %v next %q", page, next)
	}
	_, _, err := cph.PageAfterMarker(items, id, cph.MarkerPage{Marker: "zz"}, 3)
	var ce *cph.Error
	if !errors.As(err, &ce) || ce.Code != cph.CodeInvalidParameter {
		t.Fatalf("unknown marker: %v", err)
	}
}
