package console

import "testing"

func TestPagerLinksThePagesAround(t *testing.T) {
	p := pager{Base: "/console/servers", Offset: 50, Size: 50, Count: 50, Total: 120}
	if p.First() != 51 || p.Last() != 100 || p.Prev() != 0 || p.Next() != 100 || p.LastOffset() != 100 {
		t.Errorf("page 2 of 120 rows: first %d last %d prev %d next %d last page %d", p.First(), p.Last(), p.Prev(), p.Next(), p.LastOffset())
	}
	if got := p.Link(100); got != "/console/servers?offset=100" {
		t.Errorf("link to offset 100 = %q", got)
	}
	if got := p.Link(0); got != "/console/servers" {
		t.Errorf("link to the first page = %q", got)
	}
	last := pager{Offset: 100, Size: 50, Count: 20, Total: 120}
	if last.Next() != -1 {
		t.Errorf("the last page has a next page at %d", last.Next())
	}
	empty := pager{Size: 50}
	if empty.First() != 0 || empty.Prev() != -1 || empty.Next() != -1 || empty.LastOffset() != 0 {
		t.Errorf("an empty list: first %d prev %d next %d", empty.First(), empty.Prev(), empty.Next())
	}
}
