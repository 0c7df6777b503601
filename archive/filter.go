package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"

	"github.com/opencph/opencph/runtime"
)

// Filter copies the tar archive read from r to w, entry by entry, after
// checking each entry as Reader does, and returns what it copied. The
// output is an equivalent tar archive: the same entries, with the cleaned
// names Reader hands out (directories end in '/'), the same modes,
// owners, times and PAX records (extended attributes), without global
// headers. It streams: a consumer that unpacks a tar itself (a container
// runtime's copy-to-container call) can read it from an io.Pipe.
//
// On error the output is cut short without the end-of-archive marker, so
// a consumer sees a truncated archive; close the pipe with the error.
// Errors about the archive wrap runtime.ErrBadArchive; errors of r or w
// do not.
func Filter(w io.Writer, r io.Reader, lim Limits) (Stats, error) {
	ar := NewReader(r, lim)
	dst := &destWriter{w: w}
	tw := tar.NewWriter(dst)
	for {
		h, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ar.Stats(), err
		}
		out := *h
		if out.Typeflag == tar.TypeDir {
			out.Name += "/"
			if h.Name == "." {
				out.Name = "./"
			}
		}
		if err := tw.WriteHeader(&out); err != nil {
			return ar.Stats(), dst.writeErr(h.Name, err)
		}
		if out.Typeflag == tar.TypeReg {
			if _, err := io.Copy(tw, ar); err != nil {
				if dst.err != nil {
					return ar.Stats(), fmt.Errorf("archive: write: %w", dst.err)
				}
				return ar.Stats(), err // the reader's error, already wrapped
			}
		}
	}
	if err := tw.Close(); err != nil {
		return ar.Stats(), dst.writeErr("", err)
	}
	return ar.Stats(), nil
}

// destWriter remembers the first error of the output.
type destWriter struct {
	w   io.Writer
	err error
}

func (d *destWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil && d.err == nil {
		d.err = err
	}
	return n, err
}

// writeErr classifies an error of the tar writer: a failure of the output
// passes through, anything else is a header the writer cannot encode.
func (d *destWriter) writeErr(entry string, err error) error {
	if d.err != nil {
		return fmt.Errorf("archive: write: %w", d.err)
	}
	return fmt.Errorf("%w: entry %q: cannot be written back: %v", runtime.ErrBadArchive, truncName(entry), err)
}
