package archive

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
)

// Test fixtures: tar archives built in memory, including the hostile ones
// archive/tar's writer refuses to produce.

// fixtureEntry is one entry of a test archive.
type fixtureEntry struct {
	name, link string
	typ        byte
	data       string
	pax        map[string]string
}

// tarFixture writes entries with archive/tar's writer.
func tarFixture(t testing.TB, entries ...fixtureEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: 0o644, PAXRecords: e.pax}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("fixture header %q: %v", e.name, err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawBlock returns a 512-byte ustar header block for name with the given
// type flag and size field, written by archive/tar and then patched, so
// the type may be one the writer refuses (sparse, PAX header).
func rawBlock(t testing.TB, name string, typ byte, size int64, gnu bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	format := tar.FormatUSTAR
	if gnu {
		format = tar.FormatGNU
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 0, Format: format}); err != nil {
		t.Fatal(err)
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

// sparseBombPAX is a tar of about 2.5 KB holding data/big, a PAX (GNU
// 1.0) sparse file of logical size 512 MiB with one byte of data.
func sparseBombPAX(t testing.TB) []byte {
	const logical = 512 << 20
	recs := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", "data/big") + paxRecord("GNU.sparse.realsize", strconv.Itoa(logical))
	var out []byte
	out = append(out, rawBlock(t, "PaxHeaders.0/big", tar.TypeXHeader, int64(len(recs)), false)...)
	out = append(out, pad([]byte(recs))...)
	sparseMap := pad([]byte(fmt.Sprintf("1\n%d\n1\n", logical-1)))
	out = append(out, rawBlock(t, "GNUSparseFile.0/big", tar.TypeReg, int64(len(sparseMap)+1), false)...)
	out = append(out, sparseMap...)
	out = append(out, pad([]byte("x"))...)
	return append(out, make([]byte, 1024)...)
}

// sparseBombGNU is the same bomb in the old GNU sparse format (type 'S').
func sparseBombGNU(t testing.TB) []byte {
	const logical = 512 << 20
	b := rawBlock(t, "data/big", tar.TypeGNUSparse, 1, true)
	copy(b[386:398], fmt.Sprintf("%011o\x00", logical-1)) // sparse[0].offset
	copy(b[398:410], fmt.Sprintf("%011o\x00", 1))         // sparse[0].numbytes
	copy(b[483:495], fmt.Sprintf("%011o\x00", logical))   // realsize
	out := append(checksum(b), pad([]byte("x"))...)
	return append(out, make([]byte, 1024)...)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// manyEntries is an endless-looking archive of n empty files generated
// as it is read, so a test can offer a million entries (half a gigabyte
// of tar) without building them.
type manyEntries struct {
	n, i int
	buf  bytes.Buffer
	tw   *tar.Writer
}

func newManyEntries(n int) *manyEntries {
	m := &manyEntries{n: n}
	m.tw = tar.NewWriter(&m.buf)
	return m
}

func (m *manyEntries) Read(p []byte) (int, error) {
	for m.buf.Len() == 0 {
		if m.i == m.n {
			if m.tw == nil {
				return 0, io.EOF
			}
			m.tw.Close()
			m.tw = nil
			continue
		}
		m.tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("data/f%d", m.i), Typeflag: tar.TypeReg, Mode: 0o644})
		m.tw.Flush()
		m.i++
	}
	return m.buf.Read(p)
}
