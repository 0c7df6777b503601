package agent

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// sharedTargets are the directories a shared-storage tar may write to
// (spec §8.1).
var sharedTargets = []string{"/data", "/cache"}

// tarFiles reads the regular files of a tar archive, keyed by their
// absolute, cleaned path. With targets set, every file must lie under one
// of them.
func tarFiles(data []byte, targets []string) (map[string][]byte, error) {
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a valid tar archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean("/" + h.Name)
		if strings.Contains(h.Name, "..") {
			return nil, fmt.Errorf("tar entry %q leaves its directory", h.Name)
		}
		if targets != nil && !underAny(name, targets) {
			return nil, fmt.Errorf("tar entry %q is outside %s", h.Name, strings.Join(targets, " and "))
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("read tar entry %q: %w", h.Name, err)
		}
		files[name] = b
	}
	return files, nil
}

func underAny(name string, dirs []string) bool {
	for _, d := range dirs {
		if name == d || strings.HasPrefix(name, d+"/") {
			return true
		}
	}
	return false
}
