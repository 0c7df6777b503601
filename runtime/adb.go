package runtime

import (
	"context"
	"errors"
	"io"
)

// Errors of the optional driver capabilities below. Drivers wrap them with
// context, so callers test for them with errors.Is.
var (
	// ErrBadPackage is returned for an APK the driver cannot install.
	ErrBadPackage = errors.New("runtime: invalid application package")
	// ErrNoSuchPackage is returned when uninstalling a package that is
	// not installed.
	ErrNoSuchPackage = errors.New("runtime: package not installed")
	// ErrSystemPackage is returned when uninstalling a package of the
	// image.
	ErrSystemPackage = errors.New("runtime: package is part of the image")
	// ErrBadArchive is returned for a tar archive the driver cannot
	// unpack.
	ErrBadArchive = errors.New("runtime: invalid archive")
	// ErrNoSpace is returned when a phone or its server has no room for
	// what an operation would store (a driver's storage quota).
	ErrNoSpace = errors.New("runtime: storage quota exceeded")
)

// APK is one application package file handed to a driver.
//
// The content is random access (io.ReaderAt and Size) rather than a
// stream: an APK is a zip file, whose directory is at its end, so reading
// the manifest needs random access, and a driver that copies the file
// elsewhere streams it with Reader. The caller keeps the content on disk
// (never whole in memory); it stays valid until Install returns and is
// safe for concurrent ReadAt calls. The content is user input: drivers
// read the manifest with apk.ReadManifest, which stays within fixed
// bounds, and refuse a damaged zip, or one over those bounds, with an
// error wrapping ErrBadPackage.
type APK struct {
	// Name is the file name of the package, such as "app.apk".
	Name string
	// Size is the length of the file in bytes.
	Size int64
	// Content reads the file's Size bytes.
	Content io.ReaderAt
}

// Reader returns a stream of the whole file.
func (a APK) Reader() *io.SectionReader { return io.NewSectionReader(a.Content, 0, a.Size) }

// ShellResult is the outcome of a shell command.
type ShellResult struct {
	// Output is what the command wrote (standard output and error).
	Output string
	// ExitCode is the command's exit status; 0 means success.
	ExitCode int
}

// ADB is implemented by drivers that run Android-debug-bridge style
// commands on their phones: the /phones/commands and /phones/sync-commands
// operations. Every method needs a running phone and returns an error
// wrapping ErrNotRunning otherwise, or ErrNoSuchPhone for an unknown phone.
type ADB interface {
	// Shell runs a shell command on the phone. A command that runs and
	// fails is not an error: its exit code and output are in the result.
	Shell(ctx context.Context, phoneID, command string) (ShellResult, error)
	// Install installs the APKs of one application (several for a split
	// application) and returns the installed package name. ErrBadPackage
	// if the files are not an installable application.
	Install(ctx context.Context, phoneID string, apks []APK) (string, error)
	// Uninstall removes an application and its data. ErrNoSuchPackage or
	// ErrSystemPackage.
	Uninstall(ctx context.Context, phoneID, pkg string) error
	// Push unpacks a tar archive, read from tar as a stream, relative to
	// the phone's root directory and returns the number of files written.
	// The archive is user input: drivers read it through package archive
	// (archive.Reader, or archive.Filter to hand a checked stream on) with
	// archive.PushLimits, and refuse it with an error wrapping
	// ErrBadArchive that says why. Push returns once it has stopped
	// reading tar; the caller closes it.
	Push(ctx context.Context, phoneID string, tar io.Reader) (int, error)
}

// PropertyUpdater is implemented by drivers that change phone properties
// outside a restart (UpdateCloudPhoneProperty).
type PropertyUpdater interface {
	// UpdateProperty records properties of the phone, in any state. Keys
	// for which immediate reports true change a running phone at once; the
	// others take effect at the phone's next boot. The values also become
	// the phone's defaults, so a reset keeps them.
	UpdateProperty(ctx context.Context, phoneID string, props map[string]string, immediate func(key string) bool) error
}

// DataArchiver is implemented by drivers that export a phone's data to an
// archive and restore it.
type DataArchiver interface {
	// ExportData packs the phone's files selected by include and not by
	// exclude, with its properties and user applications, into a tar
	// archive written to w as it is made. A pattern is an absolute path
	// (the file or everything below the directory) or a path prefix
	// ending in '*'. On error, what was written to w is incomplete and
	// must be discarded.
	ExportData(ctx context.Context, phoneID string, include, exclude []string, w io.Writer) error
	// ImportData restores an archive made by ExportData, read from
	// archive as a stream: files, applications and properties. The
	// archive is user input: drivers read it through package archive with
	// archive.ImportLimits and refuse it with an error wrapping
	// ErrBadArchive that says why.
	ImportData(ctx context.Context, phoneID string, archive io.Reader) error
}
