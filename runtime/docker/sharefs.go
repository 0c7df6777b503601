package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/moby/moby/api/types/mount"

	"github.com/opencph/opencph/runtime"
)

// LabelShareFilesystems is the label of a phone's container that lists
// the shared file systems bound into it (JSON: id -> source and mount
// point); an agent that restarts takes the server's mounts from it.
const LabelShareFilesystems = "opencph.share_filesystems"

var _ runtime.ShareFilesystems = (*Driver)(nil)

// shareMount is one entry of LabelShareFilesystems.
type shareMount struct {
	Source     string `json:"source"`
	MountPoint string `json:"mount_point"`
}

// mountsLabel is the label value of the server's current mounts ("" when
// there are none). Driver.mu is held.
func (d *Driver) mountsLabel() string {
	if len(d.mounts) == 0 {
		return ""
	}
	m := map[string]shareMount{}
	for id, sm := range d.mounts {
		m[id] = shareMount{Source: sm.Source, MountPoint: sm.MountPoint}
	}
	b, _ := json.Marshal(m) // map keys are sorted: equal mounts, equal labels
	return string(b)
}

// bindMounts are the bind mounts of the server's shared file systems, by
// mount point. Driver.mu is held.
func (d *Driver) bindMounts() []mount.Mount {
	var out []mount.Mount
	for _, id := range slices.Sorted(maps.Keys(d.mounts)) {
		m := d.mounts[id]
		out = append(out, mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.MountPoint})
	}
	return out
}

// adoptMounts takes the server's mounts from an adopted container's label
// when none are known yet. Driver.mu is held.
func (d *Driver) adoptMounts(label string) {
	if label == "" || len(d.mounts) > 0 {
		return
	}
	var m map[string]shareMount
	if json.Unmarshal([]byte(label), &m) != nil {
		return
	}
	for id, sm := range m {
		d.mounts[id] = runtime.ShareMount{ID: id, Source: sm.Source, MountPoint: sm.MountPoint}
	}
}

// MountShareFilesystem implements runtime.ShareFilesystems. A bind mount
// can only be given to a container when it is created, so every phone
// container of the server is created again with the mount, keeping the
// phone's data volume, image and properties: a running phone reboots (and
// the call waits for its boot), a stopped one stays stopped. Phones
// created later get the mount too.
func (d *Driver) MountShareFilesystem(ctx context.Context, m runtime.ShareMount) error {
	if m.ID == "" || m.Source == "" || m.MountPoint == "" {
		return fmt.Errorf("docker: mount shared file system %q: incomplete mount", m.ID)
	}
	d.mu.Lock()
	d.mounts[m.ID] = m
	d.mu.Unlock()
	return d.remountAll(ctx)
}

// UnmountShareFilesystem implements runtime.ShareFilesystems: the
// containers are created again without the mount.
func (d *Driver) UnmountShareFilesystem(ctx context.Context, id string) error {
	d.mu.Lock()
	_, ok := d.mounts[id]
	delete(d.mounts, id)
	d.mu.Unlock()
	if !ok {
		return nil
	}
	return d.remountAll(ctx)
}

// remountAll gives every phone container of the server the current
// mounts.
func (d *Driver) remountAll(ctx context.Context) error {
	d.mu.Lock()
	ids := slices.Sorted(maps.Keys(d.phones))
	d.mu.Unlock()
	var errs []error
	for _, id := range ids {
		if err := d.remount(ctx, id); err != nil && !errors.Is(err, runtime.ErrNoSuchPhone) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// remount creates a phone's container again when its mounts are not the
// server's: started and booted if it was running or booting, else left
// stopped. A phone without a container gets the mounts when it is
// created.
func (d *Driver) remount(ctx context.Context, phoneID string) error {
	p, err := d.acquire(ctx, phoneID)
	if err != nil {
		return err
	}
	defer d.release(p)
	d.mu.Lock()
	current := p.mounts == d.mountsLabel()
	hasContainer := p.container != ""
	state, imageID, props := p.info.State, p.info.ImageID, maps.Clone(p.info.Property)
	d.mu.Unlock()
	if current || !hasContainer {
		return nil
	}
	if state == runtime.StateRunning || state == runtime.StateBooting {
		return d.boot(ctx, p, imageID, props, false)
	}
	if err := d.removeContainer(ctx, p); err != nil {
		return err
	}
	return d.create(ctx, p, imageID, props)
}
