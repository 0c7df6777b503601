package sim

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/opencph/opencph/runtime"
)

var (
	_ runtime.PhoneRemover  = (*Driver)(nil)
	_ runtime.SharedStorage = (*Driver)(nil)
)

// sharedState is the simulated server's shared storage: files and the
// shared application area. Guarded by Driver.mu; maps are created on
// first use.
type sharedState struct {
	files map[string][]byte
	apps  map[string]int // package name -> size in bytes
	// mounts are the mounted shared file systems, by ID (sharefs.go).
	mounts map[string]shareMount
}

// RemovePhone implements runtime.PhoneRemover. It waits for an operation
// in progress on the phone to finish.
func (d *Driver) RemovePhone(ctx context.Context, phoneID string) error {
	d.mu.Lock()
	_, ok := d.phones[phoneID]
	d.mu.Unlock()
	if !ok {
		return nil
	}
	_, release, err := d.acquire(ctx, phoneID)
	if err != nil {
		return fmt.Errorf("sim: remove phone %s: %w", phoneID, err)
	}
	defer release()
	d.mu.Lock()
	if p := d.phones[phoneID]; p != nil {
		d.stored -= p.files.cost()
		// Under the lock, so that a phone created again with the same ID
		// saves after the removal.
		d.removeState(p)
	}
	delete(d.phones, phoneID)
	d.mu.Unlock()
	d.log.Debug("phone removed", "phone", phoneID)
	return nil
}

// WriteSharedFile implements runtime.SharedStorage. The simulated
// storage is in memory: the content is read whole before the file is
// replaced, and counts against the server's Quota (ServerBytes) as it is
// read; a file that would exceed it is a *QuotaError and replaces
// nothing.
func (d *Driver) WriteSharedFile(ctx context.Context, name string, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: write shared file: %w", err)
	}
	clean, err := cleanPath(name)
	if err != nil {
		return fmt.Errorf("sim: write shared file: %w", err)
	}
	res := d.reserve(false)
	defer res.release()
	data, err := readAll(r, res)
	if err != nil {
		return fmt.Errorf("sim: write shared file %s: %w", clean, err)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	grow := fileCost(data)
	if old, ok := d.shared.files[clean]; ok {
		grow -= fileCost(old)
	}
	if d.stored+grow+d.inflight-res.bytes > d.quota.ServerBytes {
		return fmt.Errorf("sim: write shared file %s: %w", clean, &QuotaError{Quota: "ServerBytes", Max: d.quota.ServerBytes})
	}
	res.releaseLocked()
	if d.shared.files == nil {
		d.shared.files = make(map[string][]byte)
	}
	d.shared.files[clean] = data
	d.stored += grow
	snap = d.sharedSnapshot()
	return nil
}

// DeleteSharedFiles implements runtime.SharedStorage.
func (d *Driver) DeleteSharedFiles(ctx context.Context, paths []string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: delete shared files: %w", err)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() { snap = d.sharedSnapshot() }()
	for _, p := range paths {
		clean, err := cleanPath(p)
		if err != nil {
			return fmt.Errorf("sim: delete shared files: %w", err)
		}
		for name := range d.shared.files {
			if name == clean || strings.HasPrefix(name, strings.TrimSuffix(clean, "/")+"/") {
				d.stored -= fileCost(d.shared.files[name])
				delete(d.shared.files, name)
			}
		}
	}
	return nil
}

// SharedFiles implements runtime.SharedStorage.
func (d *Driver) SharedFiles(ctx context.Context, dir string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: list shared files: %w", err)
	}
	clean := path.Clean("/" + dir)
	prefix := strings.TrimSuffix(clean, "/") + "/"
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for name := range d.shared.files {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// InstallSharedApp implements runtime.SharedStorage. With preinstall, every
// running phone of the server gets the package installed.
func (d *Driver) InstallSharedApp(ctx context.Context, pkg string, size int, preinstall bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: install shared app: %w", err)
	}
	var snaps []*snapshot
	defer func() { d.persist(snaps...) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shared.apps == nil {
		d.shared.apps = make(map[string]int)
	}
	d.shared.apps[pkg] = size
	snaps = append(snaps, d.sharedSnapshot())
	if preinstall {
		for _, p := range d.phones {
			if p.state == runtime.StateRunning {
				p.packages.set(pkg, Package{Name: pkg, Version: "shared", Shared: true})
				snaps = append(snaps, d.phoneSnapshot(p))
			}
		}
	}
	return nil
}

// DeleteSharedApp implements runtime.SharedStorage.
func (d *Driver) DeleteSharedApp(ctx context.Context, pkg string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: delete shared app: %w", err)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.shared.apps, pkg)
	snap = d.sharedSnapshot()
	return nil
}

// SharedApps implements runtime.SharedStorage.
func (d *Driver) SharedApps(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: list shared apps: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Sorted(maps.Keys(d.shared.apps)), nil
}
