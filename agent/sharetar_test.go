package agent

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

// sharedFiles reads a shared tar into memory, for tests.
func sharedFiles(data []byte, targets []string) (map[string]string, error) {
	files := map[string]string{}
	_, err := readSharedTar(bytes.NewReader(data), targets, func(name string, r io.Reader) error {
		b, err := io.ReadAll(r)
		files[name] = string(b)
		return err
	})
	return files, err
}

func TestReadSharedTar(t *testing.T) {
	mk := func(names ...string) []byte {
		var es []archivetest.Entry
		for _, n := range names {
			es = append(es, archivetest.Entry{Name: n, Data: "x"})
		}
		es = append(es, archivetest.Entry{Name: "data/dir/", Type: tar.TypeDir})
		return archivetest.Tar(es...)
	}
	files, err := sharedFiles(mk("data/a", "./cache/b"), sharedTargets)
	if err != nil || len(files) != 2 || files["/data/a"] != "x" || files["/cache/b"] != "x" {
		t.Errorf("files = %v, %v", files, err)
	}
	for _, bad := range [][]byte{mk("etc/passwd"), mk("data/../etc/x"), mk("database/x"), []byte("not a tar")} {
		if files, err := sharedFiles(bad, sharedTargets); !errors.Is(err, runtime.ErrBadArchive) {
			t.Errorf("accepted %v (%v)", files, err)
		}
	}
	if files, err := sharedFiles(mk("anything/x"), nil); err != nil || len(files) != 1 {
		t.Errorf("without targets: %v, %v", files, err)
	}
}

// TestReadSharedTarRefusesBombs: every bomb is refused after a few
// kilobytes of input, before a file is handed out.
func TestReadSharedTarRefusesBombs(t *testing.T) {
	for name, c := range map[string]struct {
		r    io.Reader
		want string
	}{
		"PAX sparse 512 MiB": {bytes.NewReader(archivetest.SparseBombPAX("data/big")), "sparse files are not accepted"},
		"GNU sparse 512 MiB": {bytes.NewReader(archivetest.SparseBombGNU("data/big")), "sparse files are not accepted"},
		"1e6 entries":        {archivetest.NewManyEntries("data", 1_000_000), "MaxEntries"},
		"deep path":          {bytes.NewReader(archivetest.DeepPath("data", 100)), "MaxDepth"},
		"symlink escape":     {bytes.NewReader(archivetest.SymlinkEscape("data")), "leaves the archive's root"},
		"header that lies":   {bytes.NewReader(archivetest.LyingHeader("data/huge", 1<<40)), "MaxEntrySize"},
	} {
		src := &archivetest.CountingReader{R: c.r}
		handed := 0
		_, err := readSharedTar(src, sharedTargets, func(string, io.Reader) error { handed++; return nil })
		if !errors.Is(err, runtime.ErrBadArchive) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrBadArchive saying %q", name, err, c.want)
		}
		if max := int64(8192); name == "1e6 entries" {
			if src.N > 100_002*512 {
				t.Errorf("%s: read %d bytes", name, src.N)
			}
		} else if src.N > max || handed != 0 {
			t.Errorf("%s: read %d bytes, handed out %d files", name, src.N, handed)
		}
	}
}

func FuzzReadSharedTar(f *testing.F) {
	f.Add(archivetest.Files("data/a", "x", "cache/b/c", "y"))
	f.Add(archivetest.Files("etc/passwd", "x"))
	f.Add(archivetest.Tar(archivetest.Entry{Name: "data/l", Type: tar.TypeSymlink, Link: "/etc"}, archivetest.Entry{Name: "data/l/x", Data: "y"}))
	f.Add(archivetest.SparseBombPAX("data/big"))
	f.Add(archivetest.SparseBombGNU("data/big"))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var total int64
		_, err := readSharedTar(bytes.NewReader(data), sharedTargets, func(name string, r io.Reader) error {
			if !underAny(name, sharedTargets) || strings.Contains(name, "/../") {
				t.Fatalf("file %q handed out", name)
			}
			n, err := io.Copy(io.Discard, r)
			total += n
			return err
		})
		if err != nil && !errors.Is(err, runtime.ErrBadArchive) {
			t.Fatalf("error %v does not wrap ErrBadArchive", err)
		}
		if total > int64(len(data)) {
			t.Fatalf("%d bytes of content from %d bytes of archive", total, len(data))
		}
	})
}
