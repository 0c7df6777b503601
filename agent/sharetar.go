package agent

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/opencph/opencph/archive"
	"github.com/opencph/opencph/runtime"
)

// sharedTargets are the directories a shared-storage tar may write to
// (spec §8.1).
var sharedTargets = []string{"/data", "/cache"}

// readSharedTar reads a shared-storage tar archive through archive.Reader
// with archive.PushLimits and calls file, if not nil, with the absolute,
// cleaned path and the content of each regular file; other entries are
// skipped. With targets set, every file must lie under one of them. It
// returns what the archive held. Errors about the archive wrap
// runtime.ErrBadArchive.
func readSharedTar(r io.Reader, targets []string, file func(name string, content io.Reader) error) (archive.Stats, error) {
	ar := archive.NewReader(r, archive.PushLimits())
	for {
		h, err := ar.Next()
		if errors.Is(err, io.EOF) {
			return ar.Stats(), nil
		}
		if err != nil {
			return ar.Stats(), err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean("/" + h.Name)
		if targets != nil && !underAny(name, targets) {
			return ar.Stats(), fmt.Errorf("%w: tar entry %q is outside %s", runtime.ErrBadArchive, h.Name, strings.Join(targets, " and "))
		}
		if file != nil {
			if err := file(name, ar); err != nil {
				return ar.Stats(), err
			}
		}
	}
}

func underAny(name string, dirs []string) bool {
	for _, d := range dirs {
		if name == d || strings.HasPrefix(name, d+"/") {
			return true
		}
	}
	return false
}
