package runtime

import (
	"context"
	"io"
)

// PhoneRemover is implemented by drivers that can remove phones, for
// server deletion and rebuild.
type PhoneRemover interface {
	// RemovePhone deletes a phone and all its data. Removing an unknown
	// phone succeeds.
	RemovePhone(ctx context.Context, phoneID string) error
}

// SharedStorage is implemented by drivers whose server has shared
// storage: a file tree and an application area shared by the server's
// phones.
type SharedStorage interface {
	// WriteSharedFile creates or replaces a file of the shared storage
	// with the content read from r until io.EOF. The caller bounds r
	// (the files come from an archive read with archive.PushLimits); on
	// error the file is not replaced.
	WriteSharedFile(ctx context.Context, name string, r io.Reader) error
	// DeleteSharedFiles removes files, or directory trees, of the shared
	// storage. Paths that do not exist are ignored.
	DeleteSharedFiles(ctx context.Context, paths []string) error
	// SharedFiles lists the files under dir, sorted.
	SharedFiles(ctx context.Context, dir string) ([]string, error)
	// InstallSharedApp stores an application package in the shared app
	// area; with preinstall the phones of the server get it installed.
	InstallSharedApp(ctx context.Context, pkg string, size int, preinstall bool) error
	// DeleteSharedApp removes an application from the shared app area.
	// Removing an unknown application succeeds.
	DeleteSharedApp(ctx context.Context, pkg string) error
	// SharedApps lists the applications of the shared app area, sorted.
	SharedApps(ctx context.Context) ([]string, error)
}

// ShareMount is a shared file system to mount into a server's phones: the
// directory on the runtime's host that holds it (or the mounted
// sub-directory of it) and where it appears in the phones.
type ShareMount struct {
	ID         string
	Source     string
	MountPoint string
}

// ShareFilesystems is implemented by a driver whose phones can mount
// shared file systems. A mount is state of the server: every phone has
// it, and so do phones created later.
type ShareFilesystems interface {
	// MountShareFilesystem mounts m in every phone of the server; a mount
	// of the same ID is replaced.
	MountShareFilesystem(ctx context.Context, m ShareMount) error
	// UnmountShareFilesystem removes the mount of that ID; an unknown ID
	// succeeds.
	UnmountShareFilesystem(ctx context.Context, id string) error
}
