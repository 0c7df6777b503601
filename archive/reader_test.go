package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/runtime"
)

// readAll reads every entry of an archive through Reader and returns
// "name type content" lines.
func readAll(r io.Reader, lim Limits) ([]string, Stats, error) {
	ar := NewReader(r, lim)
	var out []string
	for {
		h, err := ar.Next()
		if errors.Is(err, io.EOF) {
			return out, ar.Stats(), nil
		}
		if err != nil {
			return out, ar.Stats(), err
		}
		line := h.Name + " " + string(h.Typeflag)
		switch h.Typeflag {
		case tar.TypeReg:
			b, err := io.ReadAll(ar)
			if err != nil {
				return out, ar.Stats(), err
			}
			line += " " + string(b)
		case tar.TypeSymlink, tar.TypeLink:
			line += " -> " + h.Linkname
		}
		out = append(out, line)
	}
}

func TestReaderAcceptsOrdinaryArchives(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "commit 1234"}})
	tw.Close()
	global := buf.Bytes()[:1024] // git archive starts with such a header
	body := tarFixture(t,
		fixtureEntry{name: "./", typ: tar.TypeDir},
		fixtureEntry{name: "./data/", typ: tar.TypeDir},
		fixtureEntry{name: "data/a.txt", data: "hello"},
		fixtureEntry{name: "data//sub/./b.txt", data: "b"},
		fixtureEntry{name: "data/rel", typ: tar.TypeSymlink, link: "sub/b.txt"},
		fixtureEntry{name: "data/sub/up", typ: tar.TypeSymlink, link: "../../cache"},
		fixtureEntry{name: "data/abs", typ: tar.TypeSymlink, link: "/system/bin/sh"},
		fixtureEntry{name: "data/hard", typ: tar.TypeLink, link: "./data/a.txt"},
		fixtureEntry{name: "data/x", data: "attrs", pax: map[string]string{"SCHILY.xattr.user.k": "v"}},
	)
	lines, st, err := readAll(bytes.NewReader(append(global, body...)), PushLimits())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{". 5", "data 5", "data/a.txt 0 hello", "data/sub/b.txt 0 b", "data/rel 2 -> sub/b.txt",
		"data/sub/up 2 -> ../../cache", "data/abs 2 -> /system/bin/sh", "data/hard 1 -> data/a.txt", "data/x 0 attrs"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if st != (Stats{Files: 3, Dirs: 2, Links: 4, Bytes: 11}) {
		t.Errorf("stats = %+v", st)
	}
	if lines, _, err := readAll(bytes.NewReader(nil), Limits{}); err != nil || len(lines) != 0 {
		t.Errorf("empty input: %v, %v", lines, err)
	}
}

// TestReaderRejects covers every rule: each archive is refused with an
// error wrapping runtime.ErrBadArchive whose message says why.
func TestReaderRejects(t *testing.T) {
	small := Limits{MaxEntrySize: 10, MaxTotalSize: 15, MaxEntries: 4, MaxDepth: 3, MaxNameLen: 40}
	deep := strings.Repeat("d/", 99) + "f"
	cases := []struct {
		name    string
		archive []byte
		lim     Limits
		want    string // in the message
		limit   string // LimitError.Limit, if any
	}{
		{"PAX sparse bomb", sparseBombPAX(t), PushLimits(), "sparse files are not accepted", ""},
		{"GNU sparse bomb", sparseBombGNU(t), PushLimits(), "sparse files are not accepted", ""},
		{"character device", tarFixture(t, fixtureEntry{name: "dev/null", typ: tar.TypeChar}), PushLimits(), "device files", ""},
		{"block device", tarFixture(t, fixtureEntry{name: "dev/sda", typ: tar.TypeBlock}), PushLimits(), "device files", ""},
		{"FIFO", tarFixture(t, fixtureEntry{name: "data/fifo", typ: tar.TypeFifo}), PushLimits(), "FIFOs", ""},
		{"contiguous file", tarFixture(t, fixtureEntry{name: "data/c", typ: tar.TypeCont}), PushLimits(), "tar type", ""},
		{"absolute name", tarFixture(t, fixtureEntry{name: "/etc/passwd", data: "x"}), PushLimits(), "absolute name", ""},
		{"dot-dot", tarFixture(t, fixtureEntry{name: "../etc/passwd", data: "x"}), PushLimits(), `".." element`, ""},
		{"inner dot-dot", tarFixture(t, fixtureEntry{name: "data/../../x", data: "x"}), PushLimits(), `".." element`, ""},
		{"symlink escape", tarFixture(t, fixtureEntry{name: "data/l", typ: tar.TypeSymlink, link: "../../etc"}), PushLimits(), "leaves the archive's root", ""},
		{"write through a symlink", tarFixture(t,
			fixtureEntry{name: "data/l", typ: tar.TypeSymlink, link: "/etc"},
			fixtureEntry{name: "data/l/passwd", data: "x"}), PushLimits(), "passes through the symbolic link", ""},
		{"write over a symlink", tarFixture(t,
			fixtureEntry{name: "data/l", typ: tar.TypeSymlink, link: "/etc/passwd"},
			fixtureEntry{name: "data/l", data: "x"}), PushLimits(), "replaces a symbolic link", ""},
		{"hard link out of the root", tarFixture(t, fixtureEntry{name: "data/h", typ: tar.TypeLink, link: "../etc/shadow"}), PushLimits(), `".." element`, ""},
		{"hard link to a host file", tarFixture(t, fixtureEntry{name: "data/h", typ: tar.TypeLink, link: "/etc/shadow"}), PushLimits(), "absolute name", ""},
		{"hard link to nothing", tarFixture(t, fixtureEntry{name: "data/h", typ: tar.TypeLink, link: "data/none"}), PushLimits(), "not an earlier file", ""},
		{"file as the root", tarFixture(t, fixtureEntry{name: ".", data: "x"}), PushLimits(), "root", ""},
		{"entry too large", tarFixture(t, fixtureEntry{name: "a", data: "0123456789A"}), small, "larger than the 10 bytes", "MaxEntrySize"},
		{"total too large", tarFixture(t, fixtureEntry{name: "a", data: "0123456789"}, fixtureEntry{name: "b", data: "012345"}), small, "more than 15 bytes", "MaxTotalSize"},
		{"too many entries", tarFixture(t, fixtureEntry{name: "a"}, fixtureEntry{name: "b"}, fixtureEntry{name: "c"}, fixtureEntry{name: "d"}, fixtureEntry{name: "e"}), small, "more than 4 entries", "MaxEntries"},
		{"too deep", tarFixture(t, fixtureEntry{name: "a/b/c/d"}), small, "deeper than the 3", "MaxDepth"},
		{"too deep by default", tarFixture(t, fixtureEntry{name: deep}), PushLimits(), "path of 100 elements is deeper than the 64", "MaxDepth"},
		{"name too long", tarFixture(t, fixtureEntry{name: strings.Repeat("n", 41)}), small, "name of 41 bytes", "MaxNameLen"},
		{"symlink target too long", tarFixture(t, fixtureEntry{name: "l", typ: tar.TypeSymlink, link: strings.Repeat("n", 41)}), small, "name of 41 bytes", "MaxNameLen"},
		{"not a tar", []byte("not a tar"), PushLimits(), "not a readable tar archive: truncated", ""},
		{"corrupt header", bytes.Repeat([]byte("x"), 1024), PushLimits(), "not a readable tar archive", ""},
		{"truncated content", tarFixture(t, fixtureEntry{name: "a", data: strings.Repeat("x", 1000)})[:900], PushLimits(), "truncated", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines, _, err := readAll(bytes.NewReader(c.archive), c.lim)
			if !errors.Is(err, runtime.ErrBadArchive) {
				t.Fatalf("entries %v, err = %v; want runtime.ErrBadArchive", lines, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to say %q", err, c.want)
			}
			var le *LimitError
			if got := errors.As(err, &le); got != (c.limit != "") || (got && le.Limit != c.limit) {
				t.Errorf("err = %#v, want limit %q", err, c.limit)
			}
		})
	}
}

// TestReaderStopsEarly checks that a hostile archive costs no more input
// (and so no more time or memory) than the header that breaks the rule.
func TestReaderStopsEarly(t *testing.T) {
	t.Run("a header that lies about a 4 GiB file", func(t *testing.T) {
		b := rawBlock(t, "data/huge", tar.TypeReg, 4<<30, false)
		src := &countingReader{R: io.MultiReader(bytes.NewReader(b), strings.NewReader("only a few bytes"))}
		_, _, err := readAll(src, PushLimits())
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != "MaxEntrySize" || !strings.Contains(err.Error(), "4 GiB") {
			t.Fatalf("err = %v", err)
		}
		if src.N > 4096 {
			t.Errorf("read %d bytes of input", src.N)
		}
	})
	t.Run("a million tiny entries", func(t *testing.T) {
		src := &countingReader{R: newManyEntries(1_000_000)}
		lim := PushLimits()
		_, st, err := readAll(src, lim)
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != "MaxEntries" {
			t.Fatalf("err = %v", err)
		}
		if st.Files != lim.MaxEntries {
			t.Errorf("%d files let through, want %d", st.Files, lim.MaxEntries)
		}
		// Each entry is one 512-byte header; the tar reader reads ahead
		// by at most a block.
		if max := int64(lim.MaxEntries+2) * 512; src.N > max {
			t.Errorf("read %d bytes of input, want at most %d", src.N, max)
		}
	})
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// TestReaderSourceErrors checks that a failed download is not reported
// as a bad archive.
func TestReaderSourceErrors(t *testing.T) {
	boom := errors.New("connection reset")
	full := tarFixture(t, fixtureEntry{name: "a", data: strings.Repeat("x", 2000)})
	for _, cut := range []int{0, 100, 512, 1000} {
		_, _, err := readAll(io.MultiReader(bytes.NewReader(full[:cut]), failingReader{boom}), PushLimits())
		if !errors.Is(err, boom) || errors.Is(err, runtime.ErrBadArchive) {
			t.Errorf("cut at %d: err = %v, want the source's error only", cut, err)
		}
	}
}

// TestSparseFixturesAreBombs checks the fixtures: archive/tar alone would
// hand out 512 MiB for each of them.
func TestSparseFixturesAreBombs(t *testing.T) {
	for name, b := range map[string][]byte{"PAX": sparseBombPAX(t), "GNU": sparseBombGNU(t)} {
		h, err := tar.NewReader(bytes.NewReader(b)).Next()
		if err != nil || h.Size != archivetest.SparseSize || len(b) > 4096 {
			t.Errorf("%s: %d bytes of archive, header %+v, %v", name, len(b), h, err)
		}
	}
}
