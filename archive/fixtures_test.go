package archive

import (
	"testing"

	"github.com/opencph/opencph/archive/archivetest"
)

// Short forms of the archivetest fixtures.

type fixtureEntry struct {
	name, link string
	typ        byte
	data       string
	pax        map[string]string
}

func tarFixture(t testing.TB, entries ...fixtureEntry) []byte {
	t.Helper()
	es := make([]archivetest.Entry, len(entries))
	for i, e := range entries {
		es[i] = archivetest.Entry{Name: e.name, Link: e.link, Type: e.typ, Data: e.data, PAX: e.pax}
	}
	return archivetest.Tar(es...)
}

func rawBlock(_ testing.TB, name string, typ byte, size int64, gnu bool) []byte {
	return archivetest.RawHeader(name, typ, size, gnu)
}

func sparseBombPAX(testing.TB) []byte { return archivetest.SparseBombPAX("data/big") }
func sparseBombGNU(testing.TB) []byte { return archivetest.SparseBombGNU("data/big") }

type countingReader = archivetest.CountingReader

func newManyEntries(n int) *archivetest.ManyEntries { return archivetest.NewManyEntries("data", n) }
