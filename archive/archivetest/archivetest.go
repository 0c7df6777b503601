// Package archivetest builds tar archive test fixtures, among them the
// hostile archives archive/tar's writer refuses to produce: sparse bombs,
// headers that lie about their size, and endless streams of entries.
package archivetest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
)

// Entry is one entry of Tar.
type Entry struct {
	Name, Link string
	// Type is the tar type flag; 0 means a regular file.
	Type byte
	Data string
	PAX  map[string]string
}

// Tar writes entries with archive/tar's writer. It panics on an entry the
// writer refuses: fixtures are fixed.
func Tar(entries ...Entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.Name, Linkname: e.Link, Typeflag: typ, Mode: 0o644, PAXRecords: e.PAX}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(fmt.Sprintf("archivetest: header %q: %v", e.Name, err))
		}
		if _, err := io.WriteString(tw, e.Data); err != nil {
			panic(err)
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Files is Tar of regular files.
func Files(nameData ...string) []byte {
	var entries []Entry
	for i := 0; i+1 < len(nameData); i += 2 {
		entries = append(entries, Entry{Name: nameData[i], Data: nameData[i+1]})
	}
	return Tar(entries...)
}

// FileMap is Tar of regular files, by path, in the order of their paths.
func FileMap(files map[string]string) []byte {
	entries := make([]Entry, 0, len(files))
	for _, n := range slices.Sorted(maps.Keys(files)) {
		entries = append(entries, Entry{Name: n, Data: files[n]})
	}
	return Tar(entries...)
}

// RawHeader returns a 512-byte ustar (or GNU) header block for name with
// the given type flag and size field, which may be a type the writer
// refuses or a size the content does not have.
func RawHeader(name string, typ byte, size int64, gnu bool) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	format := tar.FormatUSTAR
	if gnu {
		format = tar.FormatGNU
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Format: format}); err != nil {
		panic(err)
	}
	b := buf.Bytes()[:512]
	b[156] = typ
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	return checksum(b)
}

// checksum recomputes a header block's checksum field.
func checksum(b []byte) []byte {
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// pad rounds data up to whole 512-byte blocks.
func pad(data []byte) []byte {
	if n := len(data) % 512; n != 0 {
		data = append(data, make([]byte, 512-n)...)
	}
	return data
}

// end is the end-of-archive marker: two zero blocks.
func end() []byte { return make([]byte, 1024) }

// paxRecord encodes one PAX record ("len key=value\n").
func paxRecord(k, v string) string {
	rec := " " + k + "=" + v + "\n"
	n := len(rec)
	for {
		s := strconv.Itoa(n) + rec
		if len(s) == n {
			return s
		}
		n = len(s)
	}
}

// SparseSize is the logical size of the sparse bombs.
const SparseSize = 512 << 20

// SparseBombPAX is a tar of 3.5 KB holding name, a PAX (GNU 1.0 format)
// sparse file of logical size SparseSize with one byte of data: a plain
// tar reader hands out 512 MiB of zeros for it.
func SparseBombPAX(name string) []byte {
	recs := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", strconv.Itoa(SparseSize))
	var out []byte
	out = append(out, RawHeader("PaxHeaders.0/f", tar.TypeXHeader, int64(len(recs)), false)...)
	out = append(out, pad([]byte(recs))...)
	sparseMap := pad([]byte(fmt.Sprintf("1\n%d\n1\n", SparseSize-1)))
	out = append(out, RawHeader("GNUSparseFile.0/f", tar.TypeReg, int64(len(sparseMap)+1), false)...)
	out = append(out, sparseMap...)
	out = append(out, pad([]byte("x"))...)
	return append(out, end()...)
}

// SparseBombGNU is the same bomb in the old GNU sparse format (type 'S').
func SparseBombGNU(name string) []byte {
	b := RawHeader(name, tar.TypeGNUSparse, 1, true)
	copy(b[386:398], fmt.Sprintf("%011o\x00", SparseSize-1)) // sparse[0].offset
	copy(b[398:410], fmt.Sprintf("%011o\x00", 1))            // sparse[0].numbytes
	copy(b[483:495], fmt.Sprintf("%011o\x00", SparseSize))   // realsize
	out := append(checksum(b), pad([]byte("x"))...)
	return append(out, end()...)
}

// LyingHeader is a header claiming a regular file of size bytes (in a
// PAX size record, so any size fits) followed by only a few bytes of
// content and no end.
func LyingHeader(name string, size int64) []byte {
	recs := paxRecord("size", strconv.FormatInt(size, 10))
	out := append(RawHeader("PaxHeaders.0/f", tar.TypeXHeader, int64(len(recs)), false), pad([]byte(recs))...)
	out = append(out, RawHeader(name, tar.TypeReg, 0, false)...)
	return append(out, "only a few bytes"...)
}

// SymlinkEscape is a tar whose link points out of the root and whose
// second entry is written through it.
func SymlinkEscape(dir string) []byte {
	return Tar(Entry{Name: dir + "/l", Type: tar.TypeSymlink, Link: "../../../../etc"}, Entry{Name: dir + "/l/passwd", Data: "x"})
}

// DeepPath is a tar with one file depth path elements deep under dir.
func DeepPath(dir string, depth int) []byte {
	name := dir
	for range depth - 1 {
		name += "/d"
	}
	return Files(name, "deep")
}

// CountingReader counts the bytes read through it.
type CountingReader struct {
	R io.Reader
	N int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// ManyEntries is an archive of n empty files under dir generated as it is
// read, so a test can offer a million entries (half a gigabyte of tar)
// without building them.
type ManyEntries struct {
	n, i     int
	template []byte // the header of dir/f0000000
	nameAt   int    // offset of the digits in the name field
	buf      []byte // unread rest of the current block
}

// NewManyEntries returns the archive of n empty files dir/f0000000,
// dir/f0000001, ... (n at most 10,000,000).
func NewManyEntries(dir string, n int) *ManyEntries {
	name := dir + "/f0000000"
	return &ManyEntries{n: n, template: RawHeader(name, tar.TypeReg, 0, false), nameAt: len(name) - 7}
}

func (m *ManyEntries) Read(p []byte) (int, error) {
	if len(m.buf) == 0 {
		switch {
		case m.i < m.n:
			b := bytes.Clone(m.template)
			copy(b[m.nameAt:], fmt.Sprintf("%07d", m.i))
			m.buf = checksum(b)
		case m.i == m.n:
			m.buf = end()
		default:
			return 0, io.EOF
		}
		m.i++
	}
	n := copy(p, m.buf)
	m.buf = m.buf[n:]
	return n, nil
}
