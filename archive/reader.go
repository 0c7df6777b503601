package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"

	"github.com/opencph/opencph/runtime"
)

// Stats counts what a Reader or Filter let through.
type Stats struct {
	// Files is the number of regular files.
	Files int
	// Dirs is the number of directories.
	Dirs int
	// Links is the number of symbolic and hard links.
	Links int
	// Bytes is the content of the regular files, in bytes.
	Bytes int64
}

// Reader reads a tar archive entry by entry, checking every entry before
// it is returned. Use it like archive/tar's Reader: Next, then Read the
// content of a regular file. It is not safe for concurrent use.
//
// Errors about the archive wrap runtime.ErrBadArchive (LimitError for a
// limit). Errors of the underlying reader (a broken download, say) are
// returned wrapped but do not wrap runtime.ErrBadArchive, so a caller can
// tell a bad archive from a failed transfer. After an error every call
// returns it again.
type Reader struct {
	tr   *tar.Reader
	src  *sourceReader
	lim  Limits
	seed maphash.Seed

	entries int
	stats   Stats
	name    string // raw name of the current entry, for errors
	left    int64  // content of the current entry not yet read
	// Hashes of the names of earlier regular files (hard link targets)
	// and symbolic links (which later names must not pass through). A
	// seeded 64-bit hash keeps this at a few bytes per entry whatever
	// the names' length.
	files, symlinks map[uint64]struct{}
	err             error
}

// NewReader returns a Reader of the tar archive read from r, checked
// against lim (zero fields take the value of PushLimits).
func NewReader(r io.Reader, lim Limits) *Reader {
	src := &sourceReader{r: r}
	return &Reader{
		tr:       tar.NewReader(src),
		src:      src,
		lim:      lim.withDefaults(),
		seed:     maphash.MakeSeed(),
		files:    make(map[uint64]struct{}),
		symlinks: make(map[uint64]struct{}),
	}
}

// Stats returns what the reader has let through so far.
func (r *Reader) Stats() Stats { return r.stats }

// Next advances to the next entry and returns its header, or io.EOF at
// the end of the archive. The header's Name is the cleaned path relative
// to the archive's root, without a leading "./" or a trailing slash ("."
// for the root directory itself); its Typeflag is one of tar.TypeReg,
// tar.TypeDir, tar.TypeSymlink and tar.TypeLink; a hard link's Linkname
// is cleaned the same way. Size is 0 for every type but tar.TypeReg. The
// content of the previous entry, if not read, is skipped (and counted
// against the limits as if read).
func (r *Reader) Next() (*tar.Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	h, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return h, nil
}

func (r *Reader) next() (*tar.Header, error) {
	for {
		h, err := r.tr.Next()
		if errors.Is(err, io.EOF) && r.src.err == nil {
			return nil, io.EOF
		}
		if err != nil {
			return nil, r.readErr(err)
		}
		r.entries++
		if r.entries > r.lim.MaxEntries {
			return nil, &LimitError{Limit: "MaxEntries", Entry: h.Name, Value: int64(r.entries), Max: int64(r.lim.MaxEntries)}
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // archive-wide PAX records, such as git archive's commit id
		}
		out, err := r.check(h)
		if err != nil {
			return nil, err
		}
		r.name, r.left = h.Name, out.Size
		return out, nil
	}
}

// check validates h and returns the header Next hands out.
func (r *Reader) check(h *tar.Header) (*tar.Header, error) {
	if h.Typeflag == tar.TypeGNUSparse {
		return nil, badEntry(h.Name, "sparse files are not accepted")
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return nil, badEntry(h.Name, "sparse files are not accepted (PAX record %s)", k)
		}
	}
	name, err := r.cleanName(h.Name, h.Name)
	if err != nil {
		return nil, err
	}
	out := *h
	out.Name = name
	out.Size = 0
	out.Format = tar.FormatUnknown
	switch h.Typeflag {
	case tar.TypeReg:
		if name == "." {
			return nil, badEntry(h.Name, "a file cannot be the archive's root")
		}
		if h.Size > r.lim.MaxEntrySize {
			return nil, &LimitError{Limit: "MaxEntrySize", Entry: h.Name, Value: h.Size, Max: r.lim.MaxEntrySize}
		}
		if h.Size > r.lim.MaxTotalSize-r.stats.Bytes {
			return nil, &LimitError{Limit: "MaxTotalSize", Entry: h.Name, Value: r.stats.Bytes + h.Size, Max: r.lim.MaxTotalSize}
		}
		out.Size = h.Size
		r.stats.Files++
		r.stats.Bytes += h.Size
		r.files[r.hash(name)] = struct{}{}
	case tar.TypeDir:
		r.stats.Dirs++
	case tar.TypeSymlink:
		if name == "." {
			return nil, badEntry(h.Name, "a link cannot be the archive's root")
		}
		if err := r.checkSymlink(h.Name, name, h.Linkname); err != nil {
			return nil, err
		}
		r.stats.Links++
		r.symlinks[r.hash(name)] = struct{}{}
	case tar.TypeLink:
		if name == "." {
			return nil, badEntry(h.Name, "a link cannot be the archive's root")
		}
		target, err := r.cleanName(h.Name, h.Linkname)
		if err != nil {
			return nil, err
		}
		if _, ok := r.files[r.hash(target)]; !ok {
			return nil, badEntry(h.Name, "hard link to %q, which is not an earlier file of the archive", truncName(h.Linkname))
		}
		out.Linkname = target
		r.stats.Links++
	case tar.TypeChar, tar.TypeBlock:
		return nil, badEntry(h.Name, "device files are not accepted")
	case tar.TypeFifo:
		return nil, badEntry(h.Name, "FIFOs are not accepted")
	default:
		return nil, badEntry(h.Name, "entries of tar type %q are not accepted", h.Typeflag)
	}
	return &out, nil
}

// cleanName checks a name (or hard link target) of entry and returns it
// relative to the root, or "." for the root.
func (r *Reader) cleanName(entry, name string) (string, error) {
	if len(name) > r.lim.MaxNameLen {
		return "", &LimitError{Limit: "MaxNameLen", Entry: entry, Value: int64(len(name)), Max: int64(r.lim.MaxNameLen)}
	}
	if name == "" {
		return "", badEntry(entry, "empty name")
	}
	if strings.HasPrefix(name, "/") {
		return "", badEntry(entry, "absolute name %q (names must be relative to the archive's root)", truncName(name))
	}
	elems := make([]string, 0, strings.Count(name, "/")+1)
	for e := range strings.SplitSeq(name, "/") {
		switch e {
		case "", ".":
			continue
		case "..":
			return "", badEntry(entry, "name %q has a \"..\" element", truncName(name))
		}
		elems = append(elems, e)
		if len(elems) > r.lim.MaxDepth {
			return "", &LimitError{Limit: "MaxDepth", Entry: entry, Value: int64(strings.Count(name, "/") + 1), Max: int64(r.lim.MaxDepth)}
		}
	}
	if len(elems) == 0 {
		return ".", nil
	}
	// No element may be a symbolic link of the archive: an entry written
	// through a link, or over one, could land anywhere the link points.
	var b strings.Builder
	for i, e := range elems {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(e)
		if _, ok := r.symlinks[r.hash(b.String())]; ok {
			if i == len(elems)-1 {
				return "", badEntry(entry, "name %q replaces a symbolic link of the archive", truncName(name))
			}
			return "", badEntry(entry, "name %q passes through the symbolic link %q of the archive", truncName(name), truncName(b.String()))
		}
	}
	return strings.Join(elems, "/"), nil
}

// checkSymlink checks the target of a symbolic link named name (cleaned).
func (r *Reader) checkSymlink(entry, name, target string) error {
	if len(target) > r.lim.MaxNameLen {
		return &LimitError{Limit: "MaxNameLen", Entry: entry, Value: int64(len(target)), Max: int64(r.lim.MaxNameLen)}
	}
	if target == "" {
		return badEntry(entry, "symbolic link without a target")
	}
	if strings.HasPrefix(target, "/") {
		return nil // resolved in the phone's root, which it cannot leave
	}
	depth := strings.Count(name, "/") // elements of the link's directory
	for e := range strings.SplitSeq(target, "/") {
		switch e {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return badEntry(entry, "symbolic link to %q leaves the archive's root", truncName(target))
			}
		default:
			depth++
		}
	}
	return nil
}

// Read reads the content of the current entry.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.tr.Read(p)
	r.left -= int64(n)
	switch {
	case err == nil || (errors.Is(err, io.EOF) && r.left == 0):
		if r.left == 0 {
			return n, io.EOF
		}
		return n, nil
	case errors.Is(err, io.EOF):
		err = io.ErrUnexpectedEOF // the tar reader ends an entry early only when the input does
	}
	r.err = r.readErr(err)
	return n, r.err
}

// readErr classifies an error of the tar reader: a failure of the
// underlying reader passes through, anything else is a bad archive.
func (r *Reader) readErr(err error) error {
	if r.src.err != nil {
		return fmt.Errorf("archive: read: %w", r.src.err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %v: truncated", runtime.ErrBadArchive, errNotTar)
	}
	return fmt.Errorf("%w: %v: %v", runtime.ErrBadArchive, errNotTar, err)
}

func (r *Reader) hash(name string) uint64 { return maphash.String(r.seed, name) }

// sourceReader remembers the first error of the underlying reader other
// than io.EOF.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}
