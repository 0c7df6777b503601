package sim

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/opencph/opencph/apk"
	"github.com/opencph/opencph/archive"
	"github.com/opencph/opencph/runtime"
)

var (
	_ runtime.ADB             = (*Driver)(nil)
	_ runtime.PropertyUpdater = (*Driver)(nil)
	_ runtime.DataArchiver    = (*Driver)(nil)
)

// UpdateProperty implements runtime.PropertyUpdater.
func (d *Driver) UpdateProperty(ctx context.Context, phoneID string, props map[string]string, immediate func(string) bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: update property of phone %s: %w", phoneID, err)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.phones[phoneID]
	if p == nil {
		return fmt.Errorf("sim: update property of phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	defer func() { snap = d.phoneSnapshot(p) }()
	if p.pending == nil {
		p.pending = make(map[string]string)
	}
	for k, v := range props {
		p.defaults.set(k, v)
		if p.state == runtime.StateRunning && immediate != nil && immediate(k) {
			p.property.set(k, v)
			delete(p.pending, k)
			continue
		}
		p.pending[k] = v
	}
	return nil
}

// appDir is where user applications live on a phone.
const appDir = "/data/app/"

// Install implements runtime.ADB. The package name and version come from
// the AndroidManifest.xml entry of the APK (a zip file), in Android's
// binary XML (as aapt builds it) or in plain XML, read within the bounds
// of package apk; a zip that breaks them, or whose manifest is unreadable,
// is ErrBadPackage. A file that is not a zip, or a zip without a
// manifest, is named by its file name, such as "com.example.app.apk"
// (placeholder packages for demos and tests). The APKs are kept under
// /data/app/<package>/, counted against the Quota before they are read:
// an install that would exceed it is a *QuotaError and changes nothing.
func (d *Driver) Install(ctx context.Context, phoneID string, apks []runtime.APK) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("sim: install on phone %s: %w", phoneID, err)
	}
	if len(apks) == 0 {
		return "", fmt.Errorf("sim: install on phone %s: %w: no APK", phoneID, runtime.ErrBadPackage)
	}
	var name, version string
	contents := make([][]byte, len(apks))
	res := d.reserve(true)
	defer res.release()
	for i, a := range apks {
		n, v, err := parseAPK(a)
		if err != nil {
			return "", fmt.Errorf("sim: install %s on phone %s: %w", a.Name, phoneID, err)
		}
		if name != "" && n != name {
			return "", fmt.Errorf("sim: install on phone %s: %w: split APKs of different packages %s and %s", phoneID, runtime.ErrBadPackage, name, n)
		}
		if name == "" {
			name = n
		}
		if version == "" {
			version = v
		}
		// The simulated phone keeps its files in memory: the APK is
		// counted against the quota before it is read.
		if err := res.take(a.Size); err != nil {
			return "", fmt.Errorf("sim: install %s on phone %s: %w", a.Name, phoneID, err)
		}
		contents[i] = make([]byte, a.Size)
		if _, err := io.ReadFull(a.Reader(), contents[i]); err != nil {
			return "", fmt.Errorf("sim: install %s on phone %s: read: %w", a.Name, phoneID, err)
		}
	}
	if version == "" {
		version = "1.0"
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.running(phoneID)
	if err != nil {
		return "", fmt.Errorf("sim: install %s on phone %s: %w", name, phoneID, err)
	}
	if old, ok := p.packages.m[name]; ok && old.System {
		return "", fmt.Errorf("sim: install %s on phone %s: %w", name, phoneID, runtime.ErrSystemPackage)
	}
	dataDir := !p.exists("/data/data/" + name)
	err = d.commitFiles(p, res, func(f *fileMap) {
		removeTree(f, appDir+name)
		for i, data := range contents {
			file := "base.apk"
			if i > 0 {
				file = fmt.Sprintf("split_%d.apk", i)
			}
			f.set(appDir+name+"/"+file, data)
		}
		if dataDir {
			f.set("/data/data/"+name+"/", nil)
		}
	})
	if err != nil {
		return "", fmt.Errorf("sim: install %s on phone %s: %w", name, phoneID, err)
	}
	p.packages.set(name, Package{Name: name, Version: version})
	snap = d.phoneSnapshot(p)
	return name, nil
}

// parseAPK returns the package name and version of an APK.
func parseAPK(a runtime.APK) (name, version string, err error) {
	m, err := apk.ReadManifest(a.Content, a.Size, apk.DefaultLimits())
	if err == nil {
		return m.Package, m.VersionName, nil
	}
	if !errors.Is(err, apk.ErrNotZip) && !errors.Is(err, apk.ErrNoManifest) {
		return "", "", err
	}
	base := strings.TrimSuffix(path.Base(a.Name), ".apk")
	if apk.ValidPackageName(base) {
		return base, "", nil
	}
	return "", "", fmt.Errorf("%w: no manifest with a package name, and the file name %q is not a package name", runtime.ErrBadPackage, a.Name)
}

// Uninstall implements runtime.ADB.
func (d *Driver) Uninstall(ctx context.Context, phoneID, pkg string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: uninstall on phone %s: %w", phoneID, err)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.running(phoneID)
	if err != nil {
		return fmt.Errorf("sim: uninstall %s on phone %s: %w", pkg, phoneID, err)
	}
	d.tracked(p, func() { err = p.uninstall(pkg) })
	if err == nil {
		snap = d.phoneSnapshot(p)
	}
	return err
}

// uninstall removes a user package and its files. The caller holds
// Driver.mu.
func (p *phone) uninstall(pkg string) error {
	old, ok := p.packages.m[pkg]
	if !ok {
		return fmt.Errorf("sim: uninstall %s on phone %s: %w", pkg, p.id, runtime.ErrNoSuchPackage)
	}
	if old.System {
		return fmt.Errorf("sim: uninstall %s on phone %s: %w", pkg, p.id, runtime.ErrSystemPackage)
	}
	p.packages.del(pkg)
	p.removeTree(appDir + pkg)
	p.removeTree("/data/data/" + pkg)
	return nil
}

// Push implements runtime.ADB. The archive is read with
// archive.PushLimits; its regular files and directories are written
// relative to the root, links are skipped. Nothing can be written below
// /system, /proc or /sys (a read-only file system). Every file and
// directory is counted against the Quota before its content is read; an
// archive that would exceed it is a *QuotaError. Nothing is written
// unless the whole archive is usable.
func (d *Driver) Push(ctx context.Context, phoneID string, tr io.Reader) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("sim: push to phone %s: %w", phoneID, err)
	}
	res := d.reserve(true)
	defer res.release()
	entries, err := readTar(tr, archive.PushLimits(), res, nil)
	if err != nil {
		return 0, fmt.Errorf("sim: push to phone %s: %w", phoneID, err)
	}
	for _, e := range entries {
		if readOnlyFS(e.path) {
			return 0, fmt.Errorf("sim: push %s to phone %s: %w: read-only file system", e.path, phoneID, runtime.ErrBadArchive)
		}
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.running(phoneID)
	if err != nil {
		return 0, fmt.Errorf("sim: push to phone %s: %w", phoneID, err)
	}
	n := 0
	err = d.commitFiles(p, res, func(f *fileMap) {
		for _, e := range entries {
			if write(f, e) {
				n++
			}
		}
	})
	if err != nil {
		return 0, fmt.Errorf("sim: push to phone %s: %w", phoneID, err)
	}
	snap = d.phoneSnapshot(p)
	return n, nil
}

// tarEntry is a file or directory of an archive, with its absolute path.
type tarEntry struct {
	path string
	dir  bool
	data []byte
}

// readTar reads the regular files and directories of a tar archive
// through archive.Reader with lim, skipping those for which keep (if not
// nil) reports false. The simulated phone keeps files in memory, so the
// entries are read whole: each is taken from res before its content is
// read.
func readTar(r io.Reader, lim archive.Limits, res *reservation, keep func(name string, h *tar.Header) (bool, error)) ([]tarEntry, error) {
	ar := archive.NewReader(r, lim)
	var out []tarEntry
	for {
		h, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		name := canonical(path.Clean("/" + h.Name))
		if h.Typeflag != tar.TypeDir && h.Typeflag != tar.TypeReg {
			continue
		}
		if keep != nil {
			ok, err := keep(name, h)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		size := h.Size
		if h.Typeflag == tar.TypeDir {
			size = 0
		}
		if err := res.take(size); err != nil {
			return nil, fmt.Errorf("entry %q: %w", h.Name, err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			out = append(out, tarEntry{path: name, dir: true})
		case tar.TypeReg:
			data := make([]byte, h.Size)
			if _, err := io.ReadFull(ar, data); err != nil {
				return nil, err
			}
			out = append(out, tarEntry{path: name, data: data})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no files", runtime.ErrBadArchive)
	}
	return out, nil
}

// write stores one archive entry in f; it reports whether it was a file.
// The caller holds Driver.mu.
func write(f *fileMap, e tarEntry) bool {
	if e.path == "/" || androidDir(e.path) {
		return false // a built-in directory: nothing to store
	}
	if e.dir {
		if !exists(f.m, e.path) {
			f.set(e.path+"/", nil)
		}
		return false
	}
	f.del(e.path + "/")
	f.set(e.path, e.data)
	return true
}

// under reports whether name is dir or lies below it.
func under(name, dir string) bool {
	return name == dir || strings.HasPrefix(name, strings.TrimSuffix(dir, "/")+"/")
}

// exists reports whether name is a file or a directory. The caller holds
// Driver.mu.
func (p *phone) exists(name string) bool { return exists(p.files.m, name) }

// exists reports whether name is a file or a directory of files.
func exists(files map[string][]byte, name string) bool {
	if name == "/" || builtinFile(name) {
		return true
	}
	if _, ok := files[name]; ok {
		return true
	}
	return isDir(files, name)
}

// isDir reports whether name is a directory: an empty directory marker
// (a key ending in '/') or the parent of a file. The caller holds
// Driver.mu.
func (p *phone) isDir(name string) bool { return isDir(p.files.m, name) }

// isDir reports whether name is a directory of files or a built-in
// directory.
func isDir(files map[string][]byte, name string) bool {
	if name == "/" || androidDir(name) {
		return true
	}
	prefix := strings.TrimSuffix(name, "/") + "/"
	for k := range files {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// removeTree removes name and everything below it. The caller holds
// Driver.mu.
func (p *phone) removeTree(name string) { removeTree(&p.files, name) }

// removeTree removes name and everything below it from f.
func removeTree(f *fileMap, name string) {
	prefix := strings.TrimSuffix(name, "/") + "/"
	f.deleteFunc(func(k string, _ []byte) bool {
		return k == name || strings.HasPrefix(k, prefix)
	})
}

// manifestName is the archive entry that holds a phone's properties and
// user applications in a data export.
const manifestName = "opencph-export.json"

// maxManifestSize is the largest manifestName entry a data import reads.
const maxManifestSize = 1 << 20

// exportManifest is the content of manifestName.
type exportManifest struct {
	Version    int               `json:"version"`
	PhoneID    string            `json:"phone_id"`
	ImageID    string            `json:"image_id"`
	Properties map[string]string `json:"properties"`
	Packages   []Package         `json:"packages"`
}

// matches reports whether name is selected by one of patterns.
func matches(name string, patterns []string) bool {
	for _, pat := range patterns {
		if prefix, ok := strings.CutSuffix(pat, "*"); ok {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		} else if under(strings.TrimSuffix(name, "/"), path.Clean(pat)) {
			return true
		}
	}
	return false
}

// ExportData implements runtime.DataArchiver. The archive holds the
// selected files (paths relative to the root) and the manifest entry
// opencph-export.json with the phone's properties and user applications.
// It is written to w as it is made, without holding the driver's lock.
func (d *Driver) ExportData(ctx context.Context, phoneID string, include, exclude []string, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: export phone %s: %w", phoneID, err)
	}
	d.mu.Lock()
	p, err := d.running(phoneID)
	if err != nil {
		d.mu.Unlock()
		return fmt.Errorf("sim: export phone %s: %w", phoneID, err)
	}
	// File contents are never changed in place (a write stores a new
	// slice), so the selected slices can be written after unlocking.
	// Applications of the server's shared app area, and their files, are
	// the server's: they are left out of every archive.
	var shared []string
	for _, pkg := range p.packages.m {
		if pkg.Shared {
			shared = append(shared, appDir+pkg.Name, "/data/data/"+pkg.Name)
		}
	}
	files := make(map[string][]byte)
	for k, v := range p.files.m {
		if matches(k, include) && !matches(k, exclude) && !matches(k, shared) {
			files[k] = v
		}
	}
	m := exportManifest{Version: 1, PhoneID: p.id, ImageID: p.imageID, Properties: maps.Clone(p.property.m)}
	for _, pkg := range p.packages.m {
		if !pkg.System && !pkg.Shared {
			m.Packages = append(m.Packages, pkg)
		}
	}
	d.mu.Unlock()
	sort.Slice(m.Packages, func(i, j int) bool { return m.Packages[i].Name < m.Packages[j].Name })

	tw := tar.NewWriter(w)
	meta, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("sim: export phone %s: %w", phoneID, err)
	}
	if err := writeTarFile(tw, manifestName, meta); err != nil {
		return fmt.Errorf("sim: export phone %s: %w", phoneID, err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sim: export phone %s: %w", phoneID, err)
		}
		rel := strings.TrimPrefix(name, "/")
		if strings.HasSuffix(name, "/") {
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel, Mode: 0o771})
		} else {
			err = writeTarFile(tw, rel, files[name])
		}
		if err != nil {
			return fmt.Errorf("sim: export phone %s: %w", phoneID, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("sim: export phone %s: %w", phoneID, err)
	}
	return nil
}

func writeTarFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o660, Size: int64(len(data))}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// ImportData implements runtime.DataArchiver. The archive is read with
// archive.ImportLimits. Files below /data and /cache are written; the
// manifest's user applications are registered again and its properties
// restored. Entries elsewhere are skipped, unread. The manifest may have
// at most 1 MiB; it and the written entries are counted against the
// Quota before they are read, as in Push. Nothing is written unless the
// whole archive is usable.
func (d *Driver) ImportData(ctx context.Context, phoneID string, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: import into phone %s: %w", phoneID, err)
	}
	res := d.reserve(true)
	defer res.release()
	keep := func(name string, h *tar.Header) (bool, error) {
		if name == "/"+manifestName && h.Typeflag == tar.TypeReg {
			if h.Size > maxManifestSize {
				return false, fmt.Errorf("%w: %s is larger than %s", runtime.ErrBadArchive, manifestName, formatBytes(maxManifestSize))
			}
			return true, nil
		}
		return under(name, "/data") || under(name, "/cache"), nil
	}
	entries, err := readTar(r, archive.ImportLimits(), res, keep)
	if err != nil {
		return fmt.Errorf("sim: import into phone %s: %w", phoneID, err)
	}
	var m *exportManifest
	for _, e := range entries {
		if e.path == "/"+manifestName && !e.dir {
			m = new(exportManifest)
			if err := json.Unmarshal(e.data, m); err != nil {
				return fmt.Errorf("sim: import into phone %s: %w: bad %s: %v", phoneID, runtime.ErrBadArchive, manifestName, err)
			}
		}
	}
	if m == nil {
		return fmt.Errorf("sim: import into phone %s: %w: no %s (not a data export)", phoneID, runtime.ErrBadArchive, manifestName)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.running(phoneID)
	if err != nil {
		return fmt.Errorf("sim: import into phone %s: %w", phoneID, err)
	}
	err = d.commitFiles(p, res, func(f *fileMap) {
		for _, e := range entries {
			if under(e.path, "/data") || under(e.path, "/cache") {
				write(f, e)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("sim: import into phone %s: %w", phoneID, err)
	}
	for _, pkg := range m.Packages {
		if old, ok := p.packages.m[pkg.Name]; ok && old.System {
			continue
		}
		pkg.System = false
		p.packages.set(pkg.Name, pkg)
	}
	p.property.copyFrom(m.Properties)
	snap = d.phoneSnapshot(p)
	return nil
}
