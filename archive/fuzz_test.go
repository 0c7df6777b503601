package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/opencph/opencph/runtime"
)

// fuzzLimits are small, so the fuzzer reaches every limit.
var fuzzLimits = Limits{MaxEntrySize: 4096, MaxTotalSize: 8192, MaxEntries: 16, MaxDepth: 4, MaxNameLen: 64}

func addSeeds(f *testing.F) {
	f.Add(tarFixture(f, fixtureEntry{name: "data/a", data: "x"}, fixtureEntry{name: "data/d/", typ: tar.TypeDir}))
	f.Add(tarFixture(f, fixtureEntry{name: "./", typ: tar.TypeDir}, fixtureEntry{name: "a", data: "x"},
		fixtureEntry{name: "l", typ: tar.TypeSymlink, link: "a"}, fixtureEntry{name: "h", typ: tar.TypeLink, link: "a"}))
	f.Add(tarFixture(f, fixtureEntry{name: "x", data: "y", pax: map[string]string{"SCHILY.xattr.user.a": "b"}}))
	f.Add(tarFixture(f, fixtureEntry{name: "l", typ: tar.TypeSymlink, link: "/etc"}, fixtureEntry{name: "l/x", data: "y"}))
	f.Add(tarFixture(f, fixtureEntry{name: "../x", data: "y"}))
	f.Add(tarFixture(f, fixtureEntry{name: "dev", typ: tar.TypeChar}))
	f.Add(sparseBombPAX(f))
	f.Add(sparseBombGNU(f))
	f.Add(rawBlock(f, "big", tar.TypeReg, 1<<30, false))
	f.Add([]byte("not a tar"))
	f.Add([]byte{})
}

// checkEntry asserts the promises of Next about a header it returned.
func checkEntry(t *testing.T, h *tar.Header) {
	if h.Name == "" || strings.HasPrefix(h.Name, "/") || strings.HasSuffix(h.Name, "/") {
		t.Fatalf("name %q not cleaned", h.Name)
	}
	for e := range strings.SplitSeq(h.Name, "/") {
		if e == ".." || e == "" || (e == "." && h.Name != ".") {
			t.Fatalf("name %q has element %q", h.Name, e)
		}
	}
	if len(strings.Split(h.Name, "/")) > fuzzLimits.MaxDepth {
		t.Fatalf("name %q too deep", h.Name)
	}
	switch h.Typeflag {
	case tar.TypeReg:
		if h.Size > fuzzLimits.MaxEntrySize {
			t.Fatalf("size %d", h.Size)
		}
	case tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		if h.Size != 0 {
			t.Fatalf("%q of type %c has size %d", h.Name, h.Typeflag, h.Size)
		}
	default:
		t.Fatalf("type %q let through", h.Typeflag)
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			t.Fatalf("sparse record %s let through", k)
		}
	}
}

func FuzzReader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ar := NewReader(bytes.NewReader(data), fuzzLimits)
		var total int64
		entries := 0
		for {
			h, err := ar.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if !errors.Is(err, runtime.ErrBadArchive) {
					t.Fatalf("error %v does not wrap ErrBadArchive", err)
				}
				return
			}
			entries++
			checkEntry(t, h)
			n, err := io.Copy(io.Discard, ar)
			if err != nil {
				if !errors.Is(err, runtime.ErrBadArchive) {
					t.Fatalf("read error %v does not wrap ErrBadArchive", err)
				}
				return
			}
			if n != h.Size {
				t.Fatalf("%q: read %d bytes of %d", h.Name, n, h.Size)
			}
			total += n
		}
		if total > fuzzLimits.MaxTotalSize || entries > fuzzLimits.MaxEntries || ar.Stats().Bytes != total {
			t.Fatalf("total %d, entries %d, stats %+v", total, entries, ar.Stats())
		}
	})
}

// FuzzFilter checks that whatever Filter lets through is an archive the
// Reader accepts with the same content, and that filtering it again
// changes nothing.
func FuzzFilter(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		st, err := Filter(&out, bytes.NewReader(data), fuzzLimits)
		if err != nil {
			if !errors.Is(err, runtime.ErrBadArchive) {
				t.Fatalf("error %v does not wrap ErrBadArchive", err)
			}
			return
		}
		var again bytes.Buffer
		st2, err := Filter(&again, bytes.NewReader(out.Bytes()), fuzzLimits)
		if err != nil {
			t.Fatalf("output of Filter refused: %v", err)
		}
		if st != st2 {
			t.Fatalf("stats %+v, then %+v", st, st2)
		}
		if !bytes.Equal(out.Bytes(), again.Bytes()) {
			t.Fatalf("filtering twice changed the archive")
		}
	})
}
