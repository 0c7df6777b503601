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

func TestFilterCopiesAnEquivalentArchive(t *testing.T) {
	in := tarFixture(t,
		fixtureEntry{name: "./", typ: tar.TypeDir},
		fixtureEntry{name: "data/", typ: tar.TypeDir},
		fixtureEntry{name: "./data/a.txt", data: "hello"},
		fixtureEntry{name: "data/l", typ: tar.TypeSymlink, link: "a.txt"},
		fixtureEntry{name: "data/h", typ: tar.TypeLink, link: "data/a.txt"},
		fixtureEntry{name: "data/" + strings.Repeat("long", 50), data: "pax name", pax: map[string]string{"SCHILY.xattr.user.k": "v"}},
	)
	var out bytes.Buffer
	st, err := Filter(&out, bytes.NewReader(in), PushLimits())
	if err != nil {
		t.Fatal(err)
	}
	if st != (Stats{Files: 2, Dirs: 2, Links: 2, Bytes: 13}) {
		t.Errorf("stats = %+v", st)
	}
	// Read back with the plain tar reader: same entries, names cleaned.
	tr := tar.NewReader(&out)
	var got []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got = append(got, h.Name+"|"+string(h.Typeflag)+"|"+h.Linkname+"|"+string(b)+"|"+h.PAXRecords["SCHILY.xattr.user.k"])
	}
	want := []string{"./|5|||", "data/|5|||", "data/a.txt|0||hello|", "data/l|2|a.txt||", "data/h|1|data/a.txt||",
		"data/" + strings.Repeat("long", 50) + "|0||pax name|v"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("copied:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFilterRefusesBombs(t *testing.T) {
	prefix := tarFixture(t, fixtureEntry{name: "data/ok", data: "fine"})
	prefix = prefix[:len(prefix)-1024] // without the end-of-archive marker
	for name, bomb := range map[string][]byte{
		"PAX sparse": append(bytes.Clone(prefix), sparseBombPAX(t)...),
		"GNU sparse": append(bytes.Clone(prefix), sparseBombGNU(t)...),
	} {
		src := &countingReader{R: bytes.NewReader(bomb)}
		var out bytes.Buffer
		_, err := Filter(&out, src, PushLimits())
		if !errors.Is(err, runtime.ErrBadArchive) || !strings.Contains(err.Error(), "sparse") {
			t.Errorf("%s: err = %v", name, err)
		}
		if out.Len() > 2048 {
			t.Errorf("%s: wrote %d bytes", name, out.Len())
		}
	}
	src := &countingReader{R: newManyEntries(1_000_000)}
	_, err := Filter(io.Discard, src, Limits{MaxEntries: 1000})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxEntries" || src.N > 1002*512 {
		t.Errorf("a million entries: err = %v after %d bytes", err, src.N)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestFilterOutputErrors(t *testing.T) {
	boom := errors.New("broken pipe")
	_, err := Filter(failingWriter{boom}, bytes.NewReader(tarFixture(t, fixtureEntry{name: "a", data: "x"})), PushLimits())
	if !errors.Is(err, boom) || errors.Is(err, runtime.ErrBadArchive) {
		t.Errorf("err = %v, want the output's error only", err)
	}
}
