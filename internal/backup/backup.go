// Package backup makes and restores backups of a cphd data dir on SQLite:
// one tar file with a consistent snapshot of the database (taken while
// cphd serves), the data dir's other files (the server key, the bootstrap
// password, generated certificates) and the objects directory.
//
// The layout of the tar file:
//
//	MANIFEST.json     format, time, schema version, the writer's version
//	cph.db            the database snapshot (VACUUM INTO: one read
//	                  transaction, writers carry on)
//	<file>            each other regular file of the data dir's top level
//	objects/...       the objects directory (its .tmp folder left out)
package backup

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencph/opencph/internal/buildinfo"
	"github.com/opencph/opencph/sqlstore"
)

// Format names the layout of a backup, in its manifest.
const Format = "opencph-backup/1"

// Names inside the backup and the data dir.
const (
	ManifestName = "MANIFEST.json"
	DatabaseName = "cph.db"
	ObjectsName  = "objects"
)

// Manifest describes a backup.
type Manifest struct {
	Format        string    `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	SchemaVersion int       `json:"schema_version"`
	Version       string    `json:"version"` // of the cphd that wrote it
	Files         int       `json:"files"`   // entries besides the manifest
}

// skipped are the data dir's top-level files a backup leaves out: the
// live database and its side files (the snapshot replaces them) and the
// lock of the running cphd.
var skipped = map[string]bool{
	"cph.db": true, "cph.db-wal": true, "cph.db-shm": true, "cph.db-journal": true, "cphd.lock": true,
}

// Options configure Create.
type Options struct {
	DataDir    string // the data dir of the SQLite database
	ObjectsDir string // default DataDir/objects
	To         string // the backup file to write; must not exist
}

// Create writes a backup of db (opened on opts.DataDir's database) to
// opts.To. The file appears only when it is complete (it is written under
// a temporary name first), with mode 0600: it holds the server key.
func Create(ctx context.Context, db *sqlstore.DB, opts Options) (*Manifest, error) {
	if opts.ObjectsDir == "" {
		opts.ObjectsDir = filepath.Join(opts.DataDir, ObjectsName)
	}
	if _, err := os.Lstat(opts.To); err == nil {
		return nil, fmt.Errorf("backup: %s already exists; give a new file", opts.To)
	}
	work, err := os.MkdirTemp(filepath.Dir(opts.To), ".cph-backup-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(work)
	snap := filepath.Join(work, DatabaseName)
	if err := db.Snapshot(ctx, snap); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m := &Manifest{Format: Format, CreatedAt: db.Now().UTC(), SchemaVersion: version, Version: buildinfo.Read().String()}

	// The entries: the snapshot, the data dir's other files, the objects.
	type entry struct{ name, src string }
	entries := []entry{{DatabaseName, snap}}
	top, err := os.ReadDir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("backup: read data dir: %w", err)
	}
	for _, e := range top {
		if !e.Type().IsRegular() || skipped[e.Name()] || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "cph-body-") {
			continue
		}
		entries = append(entries, entry{e.Name(), filepath.Join(opts.DataDir, e.Name())})
	}
	err = filepath.WalkDir(opts.ObjectsDir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == opts.ObjectsDir {
			return fs.SkipDir
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(opts.ObjectsDir, p)
		if err != nil {
			return err
		}
		if d.IsDir() && rel == ".tmp" {
			return fs.SkipDir
		}
		if rel == "." {
			return nil
		}
		if d.IsDir() || d.Type().IsRegular() {
			entries = append(entries, entry{path.Join(ObjectsName, filepath.ToSlash(rel)), p})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backup: objects: %w", err)
	}
	m.Files = len(entries)

	tmp := filepath.Join(work, "backup.tar")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	mb, _ := json.MarshalIndent(m, "", "  ")
	mb = append(mb, '\n')
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(mb)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if _, err := tw.Write(mb); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := addFile(tw, e.name, e.src); err != nil {
			// An object deleted while the backup runs is not an error:
			// the database snapshot no longer needs it either, or it
			// was deleted after the snapshot (see the operations guide).
			if errors.Is(err, fs.ErrNotExist) && strings.HasPrefix(e.name, ObjectsName+"/") {
				continue
			}
			return nil, fmt.Errorf("backup: %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, opts.To); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// addFile writes the file or directory at src into tw as name.
func addFile(tw *tar.Writer, name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return tw.WriteHeader(&tar.Header{Name: name + "/", Mode: 0o700, ModTime: st.ModTime(), Typeflag: tar.TypeDir})
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	// Copy exactly the size announced: a file that grows meanwhile is cut
	// at it, one that shrinks is an error.
	if _, err := io.CopyN(tw, f, st.Size()); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return nil
}

// maxManifest bounds the manifest read at restore.
const maxManifest = 64 << 10

// Restore unpacks the backup file from into dataDir, which must not exist
// or be empty, and returns its manifest. Only the entries a backup holds
// are accepted (regular files and directories under clean relative
// names); files are written 0600 and directories 0700. The database is
// not opened: cphd migrates it on its first start, if it is older.
func Restore(ctx context.Context, from, dataDir string) (*Manifest, error) {
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("restore: %s is not empty; restore into a new data dir", dataDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("restore: %w", err)
	}
	f, err := os.Open(from)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	// Unpack next to dataDir and move it in place at the end, so that a
	// failed restore leaves no half data dir behind.
	parent := filepath.Dir(filepath.Clean(dataDir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	work, err := os.MkdirTemp(parent, ".cph-restore-*")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(work)
		}
	}()
	m, err := unpack(ctx, f, from, work)
	if err != nil {
		return nil, err
	}
	// An existing empty dataDir is replaced (os.Rename does not replace
	// a directory); a file put there meanwhile makes the removal fail.
	if err := os.Remove(dataDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(work, dataDir); err != nil {
		return nil, fmt.Errorf("restore: move into place: %w", err)
	}
	done = true
	return m, nil
}

// unpack extracts the backup read from f (named from) into dataDir.
func unpack(ctx context.Context, f io.Reader, from, dataDir string) (*Manifest, error) {
	tr := tar.NewReader(f)
	var m *Manifest
	haveDB := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("restore: %s: not a backup: %w", from, err)
		}
		if m == nil {
			if h.Name != ManifestName {
				return nil, fmt.Errorf("restore: %s: not an OpenCPH backup (no %s first)", from, ManifestName)
			}
			m = new(Manifest)
			if err := json.NewDecoder(io.LimitReader(tr, maxManifest)).Decode(m); err != nil {
				return nil, fmt.Errorf("restore: %s: manifest: %w", from, err)
			}
			if m.Format != Format {
				return nil, fmt.Errorf("restore: %s: format %q, this cphd reads %q", from, m.Format, Format)
			}
			continue
		}
		name := strings.TrimSuffix(h.Name, "/")
		if name == "" || !fs.ValidPath(name) || strings.Contains(name, "\\") {
			return nil, fmt.Errorf("restore: %s: refused entry name %q", from, h.Name)
		}
		dst := filepath.Join(dataDir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o700); err != nil {
				return nil, fmt.Errorf("restore: %w", err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return nil, fmt.Errorf("restore: %w", err)
			}
			if err := writeFile(dst, tr, h.Size); err != nil {
				return nil, fmt.Errorf("restore: %s: %w", name, err)
			}
			haveDB = haveDB || name == DatabaseName
		default:
			return nil, fmt.Errorf("restore: %s: refused entry %q of type %q", from, h.Name, h.Typeflag)
		}
	}
	if m == nil || !haveDB {
		return nil, fmt.Errorf("restore: %s: incomplete backup (no manifest or no database)", from)
	}
	return m, nil
}

func writeFile(dst string, r io.Reader, size int64) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
