// Package archive reads tar archives that come from users (adb push,
// shared-storage files, phone data imports) without letting them expand
// beyond fixed bounds.
//
// Every reader of a user archive goes through Reader (or Filter, which
// re-emits the checked stream for a consumer that unpacks it itself, such
// as a container runtime). Both stream: memory use does not depend on
// the size of the archive or of its entries, and reading stops at the
// first entry that breaks a rule, so at most one header past the limit is
// read from the input.
//
// An archive is refused, with an error wrapping runtime.ErrBadArchive
// that names the entry and the rule, when
//
//   - it is not a readable tar stream (truncated, corrupt headers);
//   - an entry is sparse (the GNU sparse type, or PAX GNU.sparse.*
//     records): a few kilobytes of archive could otherwise stand for
//     gigabytes of zeros;
//   - an entry is a character or block device, a FIFO, or of any type
//     other than a regular file, a directory, a symbolic link or a hard
//     link (PAX global headers are skipped);
//   - a name is absolute, empty, contains a ".." element, or passes
//     through, or replaces, a symbolic link defined earlier in the
//     archive;
//   - a hard link names an entry that is not an earlier regular file of
//     the archive, or a symbolic link's target leaves the archive's root
//     (a relative target with too many ".." elements);
//   - a limit of Limits is exceeded: entry size, total size, entry count,
//     path depth or name length.
//
// Absolute symbolic link targets are kept: they point into the phone's
// own root (Android's /data holds such links), and consumers resolve them
// there, never on the host.
package archive

import (
	"errors"
	"fmt"

	"github.com/opencph/opencph/runtime"
)

// Limits bound what one archive may expand to. A zero field takes the
// value of PushLimits; there is no "unlimited".
type Limits struct {
	// MaxEntrySize is the largest content of one regular file, in bytes.
	MaxEntrySize int64
	// MaxTotalSize is the largest sum of the content of all regular
	// files, in bytes.
	MaxTotalSize int64
	// MaxEntries is the largest number of entries of any type (files,
	// directories, links, skipped global headers).
	MaxEntries int
	// MaxDepth is the largest number of path elements of a name
	// ("data/local/tmp/x" has 4).
	MaxDepth int
	// MaxNameLen is the longest name or link target, in bytes.
	MaxNameLen int
}

// Size units.
const (
	MiB = 1 << 20
	GiB = 1 << 30
)

// PushLimits are the limits of an adb push archive and of a
// shared-storage archive: 1 GiB per file, 4 GiB in all, 100,000 entries,
// 64 path elements, names of 4,096 bytes (PATH_MAX).
func PushLimits() Limits {
	return Limits{MaxEntrySize: 1 * GiB, MaxTotalSize: 4 * GiB, MaxEntries: 100_000, MaxDepth: 64, MaxNameLen: 4096}
}

// ImportLimits are the limits of a phone data import (an archive made by
// a data export): 8 GiB per file, 64 GiB in all, 500,000 entries, 64 path
// elements, names of 4,096 bytes. A phone's data partition can hold
// gigabytes, so these are larger than PushLimits, but still bounded.
func ImportLimits() Limits {
	return Limits{MaxEntrySize: 8 * GiB, MaxTotalSize: 64 * GiB, MaxEntries: 500_000, MaxDepth: 64, MaxNameLen: 4096}
}

// withDefaults returns l with every zero or negative field set from
// PushLimits.
func (l Limits) withDefaults() Limits {
	d := PushLimits()
	if l.MaxEntrySize <= 0 {
		l.MaxEntrySize = d.MaxEntrySize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxNameLen <= 0 {
		l.MaxNameLen = d.MaxNameLen
	}
	return l
}

// LimitError is the error for an archive that exceeds one of its Limits.
// It wraps runtime.ErrBadArchive.
type LimitError struct {
	// Limit is the name of the Limits field, such as "MaxEntrySize".
	Limit string
	// Entry is the name of the entry at which the limit was exceeded, as
	// written in the archive.
	Entry string
	// Value is the size, count, depth or length found (for sizes, at
	// least this much).
	Value int64
	// Max is the limit.
	Max int64
}

// limitText describes each limit for error messages.
var limitText = map[string]string{
	"MaxEntrySize": "a file of %s is larger than the %s a file of the archive may have",
	"MaxTotalSize": "the files add up to more than %[2]s, the most an archive may hold (%[1]s so far)",
	"MaxEntries":   "the archive has more than %[2]s entries, the most it may have",
	"MaxDepth":     "a path of %s elements is deeper than the %s an archive may use",
	"MaxNameLen":   "a name of %s bytes is longer than the %s an archive may use",
}

func (e *LimitError) Error() string {
	val, limit := fmt.Sprint(e.Value), fmt.Sprint(e.Max)
	if e.Limit == "MaxEntrySize" || e.Limit == "MaxTotalSize" {
		val, limit = formatBytes(e.Value), formatBytes(e.Max)
	}
	return fmt.Sprintf("%v: entry %q: %s (limit %s)", runtime.ErrBadArchive, truncName(e.Entry),
		fmt.Sprintf(limitText[e.Limit], val, limit), e.Limit)
}

// Unwrap returns runtime.ErrBadArchive.
func (e *LimitError) Unwrap() error { return runtime.ErrBadArchive }

// formatBytes writes n in the largest binary unit that divides it, or in
// bytes.
func formatBytes(n int64) string {
	switch {
	case n >= GiB && n%GiB == 0:
		return fmt.Sprintf("%d GiB", n/GiB)
	case n >= MiB && n%MiB == 0:
		return fmt.Sprintf("%d MiB", n/MiB)
	}
	return fmt.Sprintf("%d bytes", n)
}

// truncName shortens a name for an error message.
func truncName(name string) string {
	const max = 200
	if len(name) > max {
		return name[:max] + "..."
	}
	return name
}

// badEntry returns an error wrapping runtime.ErrBadArchive about entry
// name.
func badEntry(name, format string, v ...any) error {
	return fmt.Errorf("%w: entry %q: %s", runtime.ErrBadArchive, truncName(name), fmt.Sprintf(format, v...))
}

// errNotTar marks input that is not a readable tar stream.
var errNotTar = errors.New("not a readable tar archive")
