package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencph/opencph/runtime"
)

var _ runtime.ShareFilesystems = (*Driver)(nil)

// shareMount is a shared file system mounted in the server's phones: the
// host directory it shows, read through, at MountPoint.
type shareMount struct {
	Source     string `json:"source"`
	MountPoint string `json:"mount_point"`
}

// maxMountEntries is the most entries ls shows of a directory of a
// mounted shared file system.
const maxMountEntries = 1000

// MountShareFilesystem implements runtime.ShareFilesystems. The mount is
// a record of the server's shared state (saved with it): every phone's
// ls shows the host directory's entries at the mount point, as they are
// when it runs.
func (d *Driver) MountShareFilesystem(ctx context.Context, m runtime.ShareMount) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: mount shared file system: %w", err)
	}
	mp := path.Clean("/" + m.MountPoint)
	if mp == "/" || m.ID == "" {
		return fmt.Errorf("sim: mount shared file system %q at %q: invalid mount", m.ID, m.MountPoint)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shared.mounts == nil {
		d.shared.mounts = make(map[string]shareMount)
	}
	d.shared.mounts[m.ID] = shareMount{Source: m.Source, MountPoint: mp}
	snap = d.sharedSnapshot()
	return nil
}

// UnmountShareFilesystem implements runtime.ShareFilesystems.
func (d *Driver) UnmountShareFilesystem(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: unmount shared file system: %w", err)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.shared.mounts[id]; !ok {
		return nil
	}
	delete(d.shared.mounts, id)
	snap = d.sharedSnapshot()
	return nil
}

// ShareMounts returns the mount point of each mounted shared file system,
// by ID.
func (d *Driver) ShareMounts() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]string{}
	for id, m := range d.shared.mounts {
		out[id] = m.MountPoint
	}
	return out
}

// mountAt returns the mount that holds name and name's path inside it.
// The caller holds Driver.mu.
func (d *Driver) mountAt(name string) (shareMount, string, bool) {
	for _, m := range d.shared.mounts {
		if rest, ok := strings.CutPrefix(name, m.MountPoint); ok && (rest == "" || rest[0] == '/') {
			return m, rest, true
		}
	}
	return shareMount{}, "", false
}

// mountChildren returns the entries that mount points add to the
// directory dir (the first element of each mount point below it). The
// caller holds Driver.mu.
func (d *Driver) mountChildren(dir string) []string {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []string
	for _, m := range d.shared.mounts {
		if rest, ok := strings.CutPrefix(m.MountPoint, prefix); ok && rest != "" {
			child, _, _ := strings.Cut(rest, "/")
			out = append(out, child)
		}
	}
	return out
}

// lsWithMounts is the shell's ls when shared file systems are mounted:
// a path inside a mount lists the host directory; the directories that
// lead to a mount point show it. The caller holds Driver.mu.
func (d *Driver) lsWithMounts(p *phone, out *strings.Builder, args []string) int {
	flags, operands := splitFlags(args)
	if len(operands) == 0 {
		operands = []string{"/"}
	}
	all := slices.Contains(flags, "a")
	code := 0
	for _, o := range operands {
		name := abs(o)
		if m, rel, ok := d.mountAt(name); ok {
			entries, isDir, err := readMountDir(filepath.Join(m.Source, filepath.FromSlash(strings.TrimPrefix(rel, "/"))))
			switch {
			case err != nil:
				fmt.Fprintf(out, "ls: %s: No such file or directory\n", o)
				code = 1
			case !isDir:
				fmt.Fprintln(out, name)
			default:
				if len(operands) > 1 {
					fmt.Fprintf(out, "%s:\n", name)
				}
				for _, e := range entries {
					if all || !strings.HasPrefix(e, ".") {
						fmt.Fprintln(out, e)
					}
				}
			}
			continue
		}
		extra := d.mountChildren(name)
		switch {
		case p.isDir(name) || len(extra) > 0:
			if len(operands) > 1 {
				fmt.Fprintf(out, "%s:\n", name)
			}
			children := map[string]bool{}
			for _, c := range p.children(name) {
				children[c] = true
			}
			for _, c := range extra {
				children[c] = true
			}
			for _, c := range slices.Sorted(maps.Keys(children)) {
				if all || !strings.HasPrefix(c, ".") {
					fmt.Fprintln(out, c)
				}
			}
		case p.exists(name):
			fmt.Fprintln(out, name)
		default:
			fmt.Fprintf(out, "ls: %s: No such file or directory\n", o)
			code = 1
		}
	}
	return code
}

// readMountDir returns the sorted names in the host directory dir (at
// most maxMountEntries), or reports that dir is a file.
func readMountDir(dir string) ([]string, bool, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, false, err
	}
	if !fi.IsDir() {
		return nil, false, nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	entries, err := f.ReadDir(maxMountEntries)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names, true, nil
}
