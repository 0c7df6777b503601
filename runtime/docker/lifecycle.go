package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/opencph/opencph/runtime"
)

// adopt takes over the containers labelled with the driver's server: each
// becomes a phone in the state its container is in.
func (d *Driver) adopt(ctx context.Context) error {
	list, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: client.Filters{}.Add("label", LabelServer+"="+d.cfg.ServerID)})
	if err != nil {
		return fmt.Errorf("docker: list containers: %w", err)
	}
	for _, c := range list.Items {
		id := c.Labels[LabelPhone]
		if id == "" {
			continue
		}
		ins, err := d.cli.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			return fmt.Errorf("docker: inspect container of phone %s: %w", id, err)
		}
		p := d.phoneFromContainer(ins.Container)
		if old, dup := d.phones[id]; dup {
			d.log.Warn("two containers for one phone; keeping the first", "phone", id, "kept", old.container, "ignored", c.ID)
			continue
		}
		d.phones[id] = p
		d.adoptMounts(p.mounts)
		if p.info.State == runtime.StateRunning {
			out, code, err := d.exec(ctx, p.container, []string{"getprop", "sys.boot_completed"}, nil, 64)
			if err != nil || code != 0 || strings.TrimSpace(string(out)) != "1" {
				// Still booting: finish the boot in the background.
				p.info.State = runtime.StateBooting
				p.lock <- struct{}{}
				p.busy = true
				go d.bootInBackground(p)
			}
		}
		d.log.Info("adopted phone container", "phone", id, "container", c.ID[:12], "state", p.info.State)
	}
	return nil
}

// phoneFromContainer builds a phone record from an inspected container.
func (d *Driver) phoneFromContainer(c container.InspectResponse) *phone {
	l := c.Config.Labels
	idx, _ := strconv.Atoi(l[LabelIndex])
	port, _ := strconv.Atoi(l[LabelADBPort])
	props := map[string]string{}
	_ = json.Unmarshal([]byte(l[LabelProperty]), &props)
	p := &phone{lock: make(chan struct{}, 1), container: c.ID, args: slices.Clone(c.Config.Cmd),
		image: c.Config.Image, port: port, defaults: maps.Clone(props), mounts: l[LabelShareFilesystems]}
	p.info = runtime.PhoneInfo{ID: l[LabelPhone], Name: l[LabelName], Index: idx, ImageID: l[LabelImage], Property: props}
	switch {
	case c.State != nil && c.State.Running:
		// Running before the agent started: it booted then, or boots now;
		// checkBoot in EnsurePhone tells.
		p.info.State = runtime.StateRunning
	default:
		p.info.State = runtime.StateStopped
	}
	p.info.Access = d.access(c, port)
	return p
}

// access is where a phone's ADB port can be reached.
func (d *Driver) access(c container.InspectResponse, port int) runtime.Access {
	a := runtime.Access{IP: d.cfg.AccessIP, Port: port}
	if c.NetworkSettings != nil {
		for _, ep := range c.NetworkSettings.Networks {
			if ep != nil && ep.IPAddress.IsValid() {
				a.IntranetIP = ep.IPAddress.String()
				break
			}
		}
	}
	return a
}

// EnsurePhone implements runtime.Driver. A phone whose container exists
// (adopted at start) keeps it and takes spec's name, index and properties
// as its defaults; a new phone gets a volume and a container, started when
// spec.Running, and boots in the background. A phone whose image has no
// mapping is recorded as failed, with the reason, so that its operations
// say what is missing.
func (d *Driver) EnsurePhone(ctx context.Context, spec runtime.PhoneSpec) error {
	if spec.ID == "" {
		return errors.New("docker: phone without an id")
	}
	d.mu.Lock()
	p, ok := d.phones[spec.ID]
	if !ok {
		p = &phone{lock: make(chan struct{}, 1), defaults: maps.Clone(spec.Property), resources: spec.Resources}
		if p.defaults == nil {
			p.defaults = map[string]string{}
		}
		p.info = runtime.PhoneInfo{ID: spec.ID, Name: spec.Name, Index: spec.Index, ImageID: spec.ImageID,
			Property: maps.Clone(p.defaults), State: runtime.StateStopped}
		d.phones[spec.ID] = p
	} else {
		p.resources = spec.Resources
		if spec.Property != nil {
			p.defaults = maps.Clone(spec.Property)
		}
		p.info.Name, p.info.Index = spec.Name, spec.Index
	}
	d.mu.Unlock()
	if ok {
		return nil
	}
	p, err := d.acquire(ctx, spec.ID)
	if err != nil {
		return err
	}
	d.mu.Lock()
	props := maps.Clone(p.defaults)
	d.mu.Unlock()
	err = d.create(ctx, p, spec.ImageID, props)
	if err == nil && spec.Running {
		err = d.start(ctx, p)
		if err == nil {
			d.set(p, func(p *phone) { p.info.State = runtime.StateBooting })
			go d.bootInBackground(p)
			return nil
		}
	}
	if err != nil {
		d.set(p, func(p *phone) { p.info.State, p.info.LastError = runtime.StateFailed, err.Error() })
	}
	d.release(p)
	return err
}

// bootInBackground waits for the boot of a phone created running, holding
// its operation lock.
func (d *Driver) bootInBackground(p *phone) {
	defer d.release(p)
	ctx, cancel := context.WithTimeout(d.ctx, d.cfg.BootTimeout+time.Minute)
	defer cancel()
	err := d.waitBoot(ctx, p)
	if err == nil {
		return
	}
	d.log.Warn("phone did not boot", "phone", p.info.ID, "err", err)
	// Nobody waits for this boot: report the failure as a state change.
	d.mu.Lock()
	info, notify := snapshot(p), d.notify
	d.mu.Unlock()
	if notify != nil {
		notify(info)
	}
}

// Restart implements runtime.Driver. The container is restarted; it is
// created again (keeping the data volume) when the image or the boot
// arguments change, or when it is gone.
func (d *Driver) Restart(ctx context.Context, phoneID string, opts runtime.RestartOptions) error {
	p, err := d.acquire(ctx, phoneID)
	if err != nil {
		return err
	}
	defer d.release(p)
	d.mu.Lock()
	imageID := p.info.ImageID
	props := maps.Clone(p.info.Property)
	d.mu.Unlock()
	if opts.ImageID != "" {
		imageID = opts.ImageID
	}
	maps.Copy(props, opts.Property)
	return d.boot(ctx, p, imageID, props, false)
}

// Reset implements runtime.Driver: the container and its data volume are
// removed and created again from the image with the phone's default
// properties and opts.
func (d *Driver) Reset(ctx context.Context, phoneID string, opts runtime.RestartOptions) error {
	p, err := d.acquire(ctx, phoneID)
	if err != nil {
		return err
	}
	defer d.release(p)
	d.mu.Lock()
	imageID := p.info.ImageID
	props := maps.Clone(p.defaults)
	d.mu.Unlock()
	if opts.ImageID != "" {
		imageID = opts.ImageID
	}
	maps.Copy(props, opts.Property)
	return d.boot(ctx, p, imageID, props, true)
}

// boot brings a phone up with an image and properties; wipe removes the
// container and its volume first.
func (d *Driver) boot(ctx context.Context, p *phone, imageID string, props map[string]string, wipe bool) error {
	d.set(p, func(p *phone) { p.info.State, p.info.LastError = runtime.StateBooting, "" })
	err := d.bootSteps(ctx, p, imageID, props, wipe)
	if err != nil {
		d.set(p, func(p *phone) { p.info.State, p.info.LastError = runtime.StateFailed, err.Error() })
		return err
	}
	return d.waitBoot(ctx, p)
}

func (d *Driver) bootSteps(ctx context.Context, p *phone, imageID string, props map[string]string, wipe bool) error {
	ref, err := d.imageRef(imageID)
	if err != nil {
		return err
	}
	if wipe {
		if err := d.removeContainer(ctx, p); err != nil {
			return err
		}
		if err := d.removeVolume(ctx, p.info.ID); err != nil {
			return err
		}
	}
	d.mu.Lock()
	same := p.container != "" && p.image == ref && slices.Equal(p.args, d.bootArgs(p.resources, props)) && p.mounts == d.mountsLabel()
	d.mu.Unlock()
	if same {
		if _, err := d.cli.ContainerInspect(ctx, p.container, client.ContainerInspectOptions{}); cerrdefs.IsNotFound(err) {
			same = false
		}
	}
	if same {
		timeout := int(d.cfg.StopTimeout / time.Second)
		if _, err := d.cli.ContainerRestart(ctx, p.container, client.ContainerRestartOptions{Timeout: &timeout}); err != nil {
			return fmt.Errorf("docker: restart container of phone %s: %w", p.info.ID, err)
		}
		d.set(p, func(p *phone) { p.info.Property = props; p.info.ImageID = imageID })
		return d.refresh(ctx, p)
	}
	if err := d.removeContainer(ctx, p); err != nil {
		return err
	}
	if err := d.create(ctx, p, imageID, props); err != nil {
		return err
	}
	return d.start(ctx, p)
}

// create makes the phone's volume and container (not started).
func (d *Driver) create(ctx context.Context, p *phone, imageID string, props map[string]string) error {
	ref, err := d.imageRef(imageID)
	if err != nil {
		return err
	}
	id := p.info.ID
	labels := d.labels(id)
	if _, err := d.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: d.volumeName(id), Labels: labels}); err != nil {
		return fmt.Errorf("docker: create data volume of phone %s: %w", id, err)
	}
	d.mu.Lock()
	port := p.port
	d.mu.Unlock()
	if port == 0 {
		port, err = d.allocPort(ctx)
	}
	d.mu.Lock()
	args := d.bootArgs(p.resources, props)
	res := p.resources
	name, index := p.info.Name, p.info.Index
	mounts, binds := d.mountsLabel(), d.bindMounts()
	d.mu.Unlock()
	if err != nil {
		return err
	}
	pj, _ := json.Marshal(props)
	labels[LabelIndex] = strconv.Itoa(index)
	labels[LabelName] = name
	labels[LabelImage] = imageID
	labels[LabelProperty] = string(pj)
	labels[LabelADBPort] = strconv.Itoa(port)
	if mounts != "" {
		labels[LabelShareFilesystems] = mounts
	}
	adb := network.MustParsePort(strconv.Itoa(ADBPort) + "/tcp")
	bind, _ := netip.ParseAddr(d.cfg.BindAddress)
	hc := &container.HostConfig{
		Privileged:   d.cfg.Privileged,
		Mounts:       append([]mount.Mount{{Type: mount.TypeVolume, Source: d.volumeName(id), Target: "/data"}}, binds...),
		PortBindings: network.PortMap{adb: {{HostIP: bind, HostPort: strconv.Itoa(port)}}},
		DNS:          dnsAddrs(d.cfg.DNS),
	}
	if res.CPUs > 0 {
		cpus := res.CPUs
		if d.ncpu > 0 && cpus > d.ncpu {
			cpus = d.ncpu // the Engine refuses more CPUs than the host has
		}
		hc.NanoCPUs = int64(cpus) * 1e9
	}
	if res.MemoryMB > 0 {
		hc.Memory = int64(res.MemoryMB) << 20
	}
	cc := &container.Config{Image: ref, Cmd: args, Labels: labels, ExposedPorts: network.PortSet{adb: {}}}
	created, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: d.containerName(id), Config: cc, HostConfig: hc})
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: create container of phone %s: image %s (CPH image %s) is not on this host; load or build it first: %w", id, ref, imageID, err)
	} else if err != nil {
		return fmt.Errorf("docker: create container of phone %s: %w", id, err)
	}
	d.set(p, func(p *phone) {
		p.container, p.args, p.image, p.port, p.mounts = created.ID, args, ref, port, mounts
		p.info.ImageID, p.info.Property = imageID, maps.Clone(props)
		p.info.Access.IP, p.info.Access.Port = d.cfg.AccessIP, port
		delete(d.reserved, port)
	})
	return nil
}

// start starts the phone's container. A host port taken by another
// program makes it pick another port and create the container again.
func (d *Driver) start(ctx context.Context, p *phone) error {
	for range 10 {
		_, err := d.cli.ContainerStart(ctx, p.container, client.ContainerStartOptions{})
		if err == nil {
			return d.refresh(ctx, p)
		}
		msg := err.Error()
		if !strings.Contains(msg, "already allocated") && !strings.Contains(msg, "address already in use") {
			return fmt.Errorf("docker: start container of phone %s: %w", p.info.ID, err)
		}
		d.log.Warn("ADB host port taken; trying another", "phone", p.info.ID, "port", p.port)
		d.mu.Lock()
		imageID, props, taken := p.info.ImageID, maps.Clone(p.info.Property), p.port
		d.mu.Unlock()
		if err := d.removeContainer(ctx, p); err != nil {
			return err
		}
		d.set(p, func(p *phone) { p.port = 0; d.reserved[taken] = true })
		if err := d.create(ctx, p, imageID, props); err != nil {
			return err
		}
	}
	return fmt.Errorf("docker: start container of phone %s: no free host port in %d-%d", p.info.ID, d.cfg.PortMin, d.cfg.PortMax)
}

// refresh reads the container's address after a start.
func (d *Driver) refresh(ctx context.Context, p *phone) error {
	ins, err := d.cli.ContainerInspect(ctx, p.container, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("docker: inspect container of phone %s: %w", p.info.ID, err)
	}
	d.set(p, func(p *phone) { p.info.Access = d.access(ins.Container, p.port) })
	return nil
}

// allocPort picks the lowest free host port of the range: not labelled on
// any OpenCPH container of the Engine, nor handed out by this driver.
func (d *Driver) allocPort(ctx context.Context) (int, error) {
	list, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelADBPort)})
	if err != nil {
		return 0, fmt.Errorf("docker: list containers for a free port: %w", err)
	}
	used := map[int]bool{}
	for _, c := range list.Items {
		if n, err := strconv.Atoi(c.Labels[LabelADBPort]); err == nil {
			used[n] = true
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	maps.Copy(used, d.reserved)
	for _, p := range d.phones {
		if p.port != 0 {
			used[p.port] = true
		}
	}
	for port := d.cfg.PortMin; port <= d.cfg.PortMax; port++ {
		if !used[port] {
			d.reserved[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("docker: no free host port in %d-%d for a phone's ADB port", d.cfg.PortMin, d.cfg.PortMax)
}

// labels are the labels of a phone's container and volume.
func (d *Driver) labels(phoneID string) map[string]string {
	l := maps.Clone(d.cfg.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelPhone] = phoneID
	l[LabelServer] = d.cfg.ServerID
	return l
}

func dnsAddrs(dns []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range dns {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// bootArgs are the container's command: redroid's boot parameters for the
// screen, the DNS servers, the configured extra arguments and the phone's
// properties as key=value pairs, sorted by key.
func (d *Driver) bootArgs(res runtime.Resources, props map[string]string) []string {
	var args []string
	add := func(k string, v int) {
		if v > 0 {
			args = append(args, "androidboot.redroid_"+k+"="+strconv.Itoa(v))
		}
	}
	add("width", res.Width)
	add("height", res.Height)
	add("dpi", res.DPI)
	add("fps", res.FPS)
	if len(d.cfg.DNS) > 0 {
		args = append(args, "androidboot.redroid_net_ndns="+strconv.Itoa(len(d.cfg.DNS)))
		for i, s := range d.cfg.DNS {
			args = append(args, fmt.Sprintf("androidboot.redroid_net_dns%d=%s", i+1, s))
		}
	}
	args = append(args, d.cfg.BootArgs...)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, k+"="+props[k])
	}
	return args
}

// waitBoot waits until the phone reports boot completed, the container
// exits or the boot timeout passes; the phone ends running or failed.
func (d *Driver) waitBoot(ctx context.Context, p *phone) error {
	err := d.pollBoot(ctx, p)
	d.set(p, func(p *phone) {
		if err != nil {
			p.info.State, p.info.LastError = runtime.StateFailed, err.Error()
			return
		}
		p.info.State, p.info.LastError = runtime.StateRunning, ""
		p.info.BootCount++
		p.info.BootedAt = time.Now()
	})
	return err
}

func (d *Driver) pollBoot(ctx context.Context, p *phone) error {
	deadline := time.Now().Add(d.cfg.BootTimeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	t := time.NewTicker(d.cfg.BootPoll)
	defer t.Stop()
	for {
		out, code, err := d.exec(ctx, p.container, []string{"getprop", "sys.boot_completed"}, nil, 64)
		if err == nil && code == 0 && strings.TrimSpace(string(out)) == "1" {
			return nil
		}
		ins, ierr := d.cli.ContainerInspect(ctx, p.container, client.ContainerInspectOptions{})
		switch {
		case ierr == nil && ins.Container.State != nil && !ins.Container.State.Running && !ins.Container.State.Restarting:
			st := ins.Container.State
			reason := fmt.Sprintf("exited with code %d", st.ExitCode)
			if st.OOMKilled {
				reason = "was killed for lack of memory"
			}
			if st.Error != "" {
				reason += ": " + st.Error
			}
			return fmt.Errorf("docker: phone %s did not boot: its container %s", p.info.ID, reason)
		case cerrdefs.IsNotFound(ierr):
			return fmt.Errorf("docker: phone %s did not boot: its container was removed", p.info.ID)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			if time.Now().After(deadline) {
				return fmt.Errorf("docker: phone %s did not report boot completed (getprop sys.boot_completed) within the boot timeout of %s", p.info.ID, d.cfg.BootTimeout)
			}
			return fmt.Errorf("docker: boot of phone %s: %w", p.info.ID, ctx.Err())
		}
	}
}

// Stop implements runtime.Driver.
func (d *Driver) Stop(ctx context.Context, phoneID string) error {
	p, err := d.acquire(ctx, phoneID)
	if err != nil {
		return err
	}
	defer d.release(p)
	d.mu.Lock()
	prev, cid := p.info.State, p.container
	if prev == runtime.StateStopped || cid == "" {
		p.info.State = runtime.StateStopped
		d.mu.Unlock()
		return nil
	}
	p.info.State = runtime.StateStopping
	d.mu.Unlock()
	timeout := int(d.cfg.StopTimeout / time.Second)
	_, err = d.cli.ContainerStop(ctx, cid, client.ContainerStopOptions{Timeout: &timeout})
	if err != nil && !cerrdefs.IsNotFound(err) {
		d.set(p, func(p *phone) { p.info.State, p.info.LastError = prev, err.Error() })
		return fmt.Errorf("docker: stop container of phone %s: %w", phoneID, err)
	}
	d.set(p, func(p *phone) { p.info.State, p.info.LastError = runtime.StateStopped, "" })
	return nil
}

// RemovePhone implements runtime.PhoneRemover: the container and the data
// volume are removed.
func (d *Driver) RemovePhone(ctx context.Context, phoneID string) error {
	p, err := d.acquire(ctx, phoneID)
	if errors.Is(err, runtime.ErrNoSuchPhone) {
		// Not known (any more): remove what carries its labels anyway.
		if err := d.removeByName(ctx, phoneID); err != nil {
			return err
		}
		return d.removeVolume(ctx, phoneID)
	} else if err != nil {
		return err
	}
	defer d.release(p)
	if err := d.removeContainer(ctx, p); err != nil {
		return err
	}
	if err := d.removeVolume(ctx, phoneID); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.phones, phoneID)
	d.mu.Unlock()
	return nil
}

// removeContainer force-removes the phone's container, if any.
func (d *Driver) removeContainer(ctx context.Context, p *phone) error {
	if err := d.removeByName(ctx, p.info.ID); err != nil {
		return err
	}
	d.set(p, func(p *phone) { p.container, p.args = "", nil })
	return nil
}

func (d *Driver) removeByName(ctx context.Context, phoneID string) error {
	_, err := d.cli.ContainerRemove(ctx, d.containerName(phoneID), client.ContainerRemoveOptions{Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: remove container of phone %s: %w", phoneID, err)
	}
	return nil
}

func (d *Driver) removeVolume(ctx context.Context, phoneID string) error {
	_, err := d.cli.VolumeRemove(ctx, d.volumeName(phoneID), client.VolumeRemoveOptions{Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: remove data volume of phone %s: %w", phoneID, err)
	}
	return nil
}
