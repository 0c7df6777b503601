// Package apk reads the package name and version of an Android
// application package (APK) within fixed bounds.
//
// An APK is a zip file whose AndroidManifest.xml entry is Android's
// binary XML (as aapt builds it) or, in hand-made test packages, plain
// XML. ReadManifest reads the zip's central directory itself, one record
// at a time, instead of loading it whole: it refuses a directory of more
// than Limits.MaxEntries records, decompresses only the manifest, at most
// Limits.MaxManifestSize bytes of it whatever its header claims, and
// checks its CRC. Memory use does not depend on the size of the file.
//
// Every error wraps runtime.ErrBadPackage. ErrNotZip (no zip end record)
// and ErrNoManifest (no AndroidManifest.xml) are distinguished so a
// caller can fall back on another source of the name; any other flaw of
// the file is just a bad package.
package apk

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"regexp"

	"github.com/opencph/opencph/runtime"
)

// Limits bound what reading one APK may cost. A zero field takes the
// value of DefaultLimits.
type Limits struct {
	// MaxEntries is the largest number of zip entries.
	MaxEntries int
	// MaxManifestSize is the largest uncompressed AndroidManifest.xml,
	// in bytes.
	MaxManifestSize int64
}

// DefaultLimits are 65,535 zip entries (the most a zip without zip64
// extensions can declare; large games have some tens of thousands) and a
// manifest of 4 MiB (the largest real ones are a few hundred KiB).
func DefaultLimits() Limits {
	return Limits{MaxEntries: 65_535, MaxManifestSize: 4 << 20}
}

// Manifest is what ReadManifest reports of an APK.
type Manifest struct {
	// Package is the Android package name, such as "com.example.app".
	Package string
	// VersionName is the android:versionName attribute, or "".
	VersionName string
}

var (
	// ErrNotZip is returned for a file that is not a zip file at all.
	ErrNotZip = fmt.Errorf("%w: not a zip file", runtime.ErrBadPackage)
	// ErrNoManifest is returned for a zip file without an
	// AndroidManifest.xml entry.
	ErrNoManifest = fmt.Errorf("%w: no AndroidManifest.xml", runtime.ErrBadPackage)
)

// rePackage is the syntax of an Android package name.
var rePackage = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$`)

// ValidPackageName reports whether name is a valid Android package name.
func ValidPackageName(name string) bool { return len(name) <= 255 && rePackage.MatchString(name) }

// Zip record signatures and sizes.
const (
	sigEnd       = 0x06054b50
	sigDirectory = 0x02014b50
	sigLocal     = 0x04034b50
	endLen       = 22
	dirLen       = 46
	localLen     = 30
	maxComment   = 0xFFFF
	manifestName = "AndroidManifest.xml"
)

func bad(format string, v ...any) error {
	return fmt.Errorf("%w: %s", runtime.ErrBadPackage, fmt.Sprintf(format, v...))
}

// ReadManifest returns the package name and version of the APK of size
// bytes read from r.
func ReadManifest(r io.ReaderAt, size int64, lim Limits) (Manifest, error) {
	d := DefaultLimits()
	if lim.MaxEntries <= 0 {
		lim.MaxEntries = d.MaxEntries
	}
	if lim.MaxManifestSize <= 0 {
		lim.MaxManifestSize = d.MaxManifestSize
	}
	data, err := readManifestEntry(r, size, lim)
	if err != nil {
		return Manifest{}, err
	}
	var m struct {
		Package string `xml:"package,attr"`
		Version string `xml:"versionName,attr"`
	}
	if xml.Unmarshal(data, &m) == nil && ValidPackageName(m.Package) {
		return Manifest{Package: m.Package, VersionName: m.Version}, nil
	}
	pkg, version, err := parseBinaryManifest(data)
	if err != nil {
		return Manifest{}, bad("AndroidManifest.xml is neither binary nor plain XML with a package attribute")
	}
	if !ValidPackageName(pkg) {
		return Manifest{}, bad("AndroidManifest.xml names the package %.100q, not a valid package name", pkg)
	}
	return Manifest{Package: pkg, VersionName: version}, nil
}

// readManifestEntry finds AndroidManifest.xml through the central
// directory and returns its uncompressed content.
func readManifestEntry(r io.ReaderAt, size int64, lim Limits) ([]byte, error) {
	// The end record is the last 22 bytes, before a comment of up to
	// 64 KiB; look for its signature from the end, as archive/zip does.
	tailLen := min(size, endLen+maxComment)
	if tailLen < endLen {
		return nil, ErrNotZip
	}
	tail := make([]byte, tailLen)
	if _, err := r.ReadAt(tail, size-tailLen); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("apk: read: %w", err)
	}
	le := binary.LittleEndian
	at := -1
	for i := len(tail) - endLen; i >= 0; i-- {
		if le.Uint32(tail[i:]) == sigEnd && i+endLen+int(le.Uint16(tail[i+20:])) <= len(tail) {
			at = i
			break
		}
	}
	if at < 0 {
		return nil, ErrNotZip
	}
	end := tail[at:]
	endPos := size - tailLen + int64(at)
	disk, dirDisk := le.Uint16(end[4:]), le.Uint16(end[6:])
	onDisk, records := le.Uint16(end[8:]), le.Uint16(end[10:])
	dirSize, dirOffset := int64(le.Uint32(end[12:])), int64(le.Uint32(end[16:]))
	switch {
	case records == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF:
		return nil, bad("zip64 archives are not accepted")
	case disk != 0 || dirDisk != 0 || onDisk != records:
		return nil, bad("multi-volume zip archives are not accepted")
	case int(records) > lim.MaxEntries:
		return nil, bad("the zip file has %d entries, more than the %d an APK may have", records, lim.MaxEntries)
	case dirOffset+dirSize > endPos:
		return nil, bad("the zip directory lies outside the file")
	}

	br := bufio.NewReader(io.NewSectionReader(r, dirOffset, dirSize))
	var (
		hdr   [dirLen]byte
		name  [len(manifestName)]byte
		found bool
		entry [dirLen]byte
	)
	for i := 0; i < int(records); i++ {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return nil, bad("the zip directory is truncated after %d of %d entries", i, records)
		}
		if le.Uint32(hdr[:]) != sigDirectory {
			return nil, bad("corrupt zip directory entry %d", i)
		}
		nameLen, rest := int(le.Uint16(hdr[28:])), int64(le.Uint16(hdr[30:]))+int64(le.Uint16(hdr[32:]))
		if nameLen == len(manifestName) {
			if _, err := io.ReadFull(br, name[:]); err != nil {
				return nil, bad("the zip directory is truncated")
			}
			if string(name[:]) == manifestName {
				if found {
					return nil, bad("the zip file has two AndroidManifest.xml entries")
				}
				found, entry = true, hdr
			}
		} else {
			rest += int64(nameLen)
		}
		if n, _ := br.Discard(int(rest)); int64(n) != rest {
			return nil, bad("the zip directory is truncated")
		}
	}
	if !found {
		return nil, ErrNoManifest
	}

	flags, method := le.Uint16(entry[8:]), le.Uint16(entry[10:])
	crc, csize, usize := le.Uint32(entry[16:]), int64(le.Uint32(entry[20:])), int64(le.Uint32(entry[24:]))
	local := int64(le.Uint32(entry[42:]))
	switch {
	case flags&1 != 0:
		return nil, bad("AndroidManifest.xml is encrypted")
	case csize == 0xFFFFFFFF || usize == 0xFFFFFFFF || local == 0xFFFFFFFF:
		return nil, bad("zip64 archives are not accepted")
	case local+localLen > dirOffset:
		return nil, bad("AndroidManifest.xml lies outside the file")
	}
	var lh [localLen]byte
	if _, err := r.ReadAt(lh[:], local); err != nil {
		return nil, bad("AndroidManifest.xml lies outside the file")
	}
	if le.Uint32(lh[:]) != sigLocal {
		return nil, bad("corrupt zip header of AndroidManifest.xml")
	}
	start := local + localLen + int64(le.Uint16(lh[26:])) + int64(le.Uint16(lh[28:]))
	if start+csize > dirOffset {
		return nil, bad("AndroidManifest.xml lies outside the file")
	}
	var src io.Reader = io.NewSectionReader(r, start, csize)
	switch method {
	case 0: // stored
	case 8: // deflated
		fr := flate.NewReader(src)
		defer fr.Close()
		src = fr
	default:
		return nil, bad("AndroidManifest.xml uses zip compression method %d", method)
	}
	// The uncompressed size in the header is not trusted: read at most
	// one byte past the limit.
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(src, lim.MaxManifestSize+1))
	if err != nil {
		return nil, bad("AndroidManifest.xml cannot be decompressed: %v", err)
	}
	if n > lim.MaxManifestSize {
		return nil, bad("AndroidManifest.xml is larger than %d bytes", lim.MaxManifestSize)
	}
	if n != usize || crc32.ChecksumIEEE(buf.Bytes()) != crc {
		return nil, bad("AndroidManifest.xml is corrupt (size or checksum mismatch)")
	}
	return buf.Bytes(), nil
}
