//go:build unix

package sqlstore

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first n bytes of the file at path, read-only and
// shared, so that other processes' writes show.
func mapFile(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() < int64(n) {
		return nil, fmt.Errorf("%s: %d bytes, fewer than %d", path, st.Size(), n)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return mem, nil
}

// unmapFile undoes mapFile.
func unmapFile(mem []byte) error { return unix.Munmap(mem) }
