package runtime

import (
	"context"
	"errors"
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
)

// APK is one application package file handed to a driver.
type APK struct {
	// Name is the file name of the package, such as "app.apk".
	Name string
	// Data is the content of the file.
	Data []byte
}

// ShellResult is the outcome of a shell command.
type ShellResult struct {
	// Output is what the command wrote (standard output and error).
	Output string
	// ExitCode is the command's exit status; 0 means success.
	ExitCode int
}

// ADB is implemented by drivers that run Android-debug-bridge style
// commands on their phones: the /phones/commands operations (spec
// §8.6–§8.11). Every method needs a running phone and returns an error
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
	// Push unpacks a tar archive relative to the phone's root directory
	// and returns the number of files written. ErrBadArchive.
	Push(ctx context.Context, phoneID string, tar []byte) (int, error)
}

// PropertyUpdater is implemented by drivers that change phone properties
// outside a restart (UpdateCloudPhoneProperty, spec §6.5).
type PropertyUpdater interface {
	// UpdateProperty records properties of the phone, in any state. Keys
	// for which immediate reports true change a running phone at once; the
	// others take effect at the phone's next boot. The values also become
	// the phone's defaults, so a reset keeps them.
	UpdateProperty(ctx context.Context, phoneID string, props map[string]string, immediate func(key string) bool) error
}

// DataArchiver is implemented by drivers that export a phone's data to an
// archive and restore it (spec §6.11, §6.12).
type DataArchiver interface {
	// ExportData packs the phone's files selected by include and not by
	// exclude, with its properties and user applications, into a tar
	// archive. A pattern is an absolute path (the file or everything
	// below the directory) or a path prefix ending in '*'.
	ExportData(ctx context.Context, phoneID string, include, exclude []string) ([]byte, error)
	// ImportData restores an archive made by ExportData: files,
	// applications and properties. ErrBadArchive.
	ImportData(ctx context.Context, phoneID string, archive []byte) error
}
