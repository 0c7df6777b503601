package agent

import (
	"archive/tar"
	"bytes"
	"testing"
)

func TestTarFiles(t *testing.T) {
	mk := func(names ...string) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, n := range names {
			tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
			tw.Write([]byte("x"))
		}
		tw.WriteHeader(&tar.Header{Name: "data/dir/", Typeflag: tar.TypeDir, Mode: 0o755})
		tw.Close()
		return buf.Bytes()
	}
	files, err := tarFiles(mk("data/a", "./cache/b"), sharedTargets)
	if err != nil || len(files) != 2 || files["/data/a"] == nil || files["/cache/b"] == nil {
		t.Errorf("files = %v, %v", files, err)
	}
	for _, bad := range [][]byte{mk("etc/passwd"), mk("data/../etc/x"), mk("database/x"), []byte("not a tar")} {
		if files, err := tarFiles(bad, sharedTargets); err == nil {
			t.Errorf("accepted %v", files)
		}
	}
	if files, err := tarFiles(mk("anything/x"), nil); err != nil || len(files) != 1 {
		t.Errorf("without targets: %v, %v", files, err)
	}
}
