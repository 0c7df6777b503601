//go:build unix

package sqlstore

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first n bytes of the file at path, read-only and
// shared, so that other processes' writes show. It returns the open file
// too, which must stay open as long as the process uses the database:
// closing any descriptor of a file drops every POSIX lock the process
// holds on it, and SQLite's locks on the -shm file tell other processes
// that it is in use (one that finds it unused starts it anew, which takes
// the mapped memory from under this process's connections).
func mapFile(path string, n int) ([]byte, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, f, err
	}
	if st.Size() < int64(n) {
		return nil, f, fmt.Errorf("%s: %d bytes, fewer than %d", path, st.Size(), n)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, f, fmt.Errorf("mmap %s: %w", path, err)
	}
	return mem, f, nil
}

// unmapFile undoes mapFile.
func unmapFile(mem []byte) error { return unix.Munmap(mem) }
