// Package docker is a runtime driver that runs each phone as a container
// on a Docker Engine, created from an Android container image such as
// redroid (https://github.com/remote-android/redroid-doc).
//
// One phone is one container, named opencph-<server id>-<phone id> and
// labelled with the phone's id, server, index, name, CPH image id and
// properties; the labels are the source of truth when an agent restarts
// and adopts the containers it finds. The phone's /data is a named volume
// of its own (the container's name plus "-data"), so a restart keeps the
// user's files and a reset (container and volume removed, then created
// again) wipes them.
//
// Restart and Reset wait until Android reports boot completed
// (getprop sys.boot_completed is 1, checked through exec) or until
// Config.BootTimeout, after which the phone is failed with the reason.
// Docker events (die, oom, destroy) of a phone's container outside an
// operation make the phone failed at once and are reported through
// runtime.StateNotifier.
//
// The driver talks to the Engine through github.com/moby/moby/client and
// negotiates the API version with the Engine (API 1.40 or newer).
package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"github.com/opencph/opencph/runtime"
)

// Labels of the containers and volumes of the driver.
const (
	LabelPhone    = "opencph.phone"
	LabelServer   = "opencph.server"
	LabelIndex    = "opencph.index"
	LabelName     = "opencph.name"
	LabelImage    = "opencph.image"
	LabelProperty = "opencph.property"
	LabelADBPort  = "opencph.adb_port"
)

// ADBPort is the port of adbd inside a phone's container.
const ADBPort = 5555

// Defaults of Config.
const (
	DefaultBootTimeout = 3 * time.Minute
	DefaultBootPoll    = 500 * time.Millisecond
	DefaultStopTimeout = 10 * time.Second
	DefaultPortMin     = 40000
	DefaultPortMax     = 40999
	DefaultBindAddress = "127.0.0.1"
)

// Config configures a Driver.
type Config struct {
	// Host is the Engine's address, such as "unix:///var/run/docker.sock"
	// or "tcp://host:2376"; empty means DOCKER_HOST or the default socket.
	Host string
	// ServerID is the phone server the driver runs; it is in every
	// container's name and labels. Required.
	ServerID string
	// Images maps CPH image ids to container image references, such as
	// "redroid/redroid:11.0.0-latest". A phone whose image has no entry
	// fails its operations with a message naming the image id.
	Images map[string]string
	// PortMin and PortMax bound the host ports on which phones' ADB ports
	// are published (default 40000-40999).
	PortMin, PortMax int
	// BindAddress is the host address the ADB ports are bound to (default
	// 127.0.0.1: an open ADB port is root on the phone).
	BindAddress string
	// AccessIP is the address reported as the phones' access address;
	// default BindAddress. It must be set when BindAddress is a wildcard
	// (0.0.0.0 or ::), which names no address a client could use.
	AccessIP string
	// Privileged runs the containers privileged, as redroid needs.
	Privileged bool
	// BootArgs are extra boot arguments for every phone, such as
	// "androidboot.redroid_gpu_mode=guest".
	BootArgs []string
	// DNS servers for the containers (also passed to redroid as
	// androidboot.redroid_net_dns1..n); empty means the Engine's default.
	DNS []string
	// Labels are added to every container and volume (tests use them to
	// find what they created).
	Labels map[string]string
	// BootTimeout bounds a boot (default 3m); BootPoll is how often boot
	// completion is checked (default 500ms).
	BootTimeout time.Duration
	BootPoll    time.Duration
	// StopTimeout is how long a stopping container may take before it is
	// killed (default 10s).
	StopTimeout time.Duration
	// SpoolDir is where a pushed or imported archive is kept while it is
	// checked, before it is copied into the container (default: the
	// system's temporary directory). It needs room for the largest
	// archive the limits allow (package archive).
	SpoolDir string
	// Logger receives the driver's logs; default: discarded.
	Logger *slog.Logger
}

// Driver runs phones as containers. Create it with New; Close stops its
// event watcher.
type Driver struct {
	cfg  Config
	cli  *client.Client
	log  *slog.Logger
	ncpu int

	mu     sync.Mutex
	phones map[string]*phone
	notify func(runtime.PhoneInfo)
	// reserved are host ports handed out by this driver whose container
	// may not show them yet.
	reserved map[int]bool
	// mounts are the server's shared file systems, by ID: every container
	// is created with them (sharefs.go).
	mounts map[string]runtime.ShareMount

	// ctx ends when the driver is closed; background boots and the event
	// watcher run in it.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// phone is the driver's record of one phone. Fields other than lock are
// guarded by Driver.mu.
type phone struct {
	// lock serialises operations on the phone (a one-slot semaphore, so
	// that waiting honours a context).
	lock chan struct{}
	// busy is set while an operation runs: events of the phone's
	// container are then the operation's own.
	busy bool
	// settled is when the last operation ended; events from before are
	// the operation's own.
	settled time.Time

	info      runtime.PhoneInfo
	defaults  map[string]string
	resources runtime.Resources
	// container is the container's id ("" when there is none) and args
	// the boot arguments it was created with.
	container string
	args      []string
	image     string // the container's image reference
	port      int
	// mounts is the LabelShareFilesystems value the container was
	// created with.
	mounts string
}

// New connects to the Engine (negotiating the API version), adopts the
// containers labelled with cfg.ServerID and starts watching the Engine's
// events. It fails when the Engine cannot be reached.
func New(ctx context.Context, cfg Config) (*Driver, error) {
	if cfg.ServerID == "" {
		return nil, errors.New("docker: no server id")
	}
	if cfg.PortMin == 0 && cfg.PortMax == 0 {
		cfg.PortMin, cfg.PortMax = DefaultPortMin, DefaultPortMax
	}
	if cfg.PortMin < 1 || cfg.PortMax > 65535 || cfg.PortMin > cfg.PortMax {
		return nil, fmt.Errorf("docker: port range %d-%d: want 1 <= min <= max <= 65535", cfg.PortMin, cfg.PortMax)
	}
	if cfg.BindAddress == "" {
		cfg.BindAddress = DefaultBindAddress
	}
	bind, err := netip.ParseAddr(cfg.BindAddress)
	if err != nil {
		return nil, fmt.Errorf("docker: bind address %q: %w", cfg.BindAddress, err)
	}
	if cfg.AccessIP == "" {
		if bind.IsUnspecified() {
			return nil, fmt.Errorf("docker: bind address %s listens everywhere: set the access address (--docker-access-ip) clients should use", cfg.BindAddress)
		}
		cfg.AccessIP = cfg.BindAddress
	}
	if cfg.BootTimeout <= 0 {
		cfg.BootTimeout = DefaultBootTimeout
	}
	if cfg.BootPoll <= 0 {
		cfg.BootPoll = DefaultBootPoll
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Images = maps.Clone(cfg.Images)
	cli, err := NewClient(cfg.Host)
	if err != nil {
		return nil, err
	}
	d := &Driver{cfg: cfg, cli: cli, log: cfg.Logger, phones: map[string]*phone{}, reserved: map[int]bool{},
		mounts: map[string]runtime.ShareMount{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		d.cancel()
		cli.Close()
		return nil, fmt.Errorf("docker: Engine unreachable at %s: %w", d.host(), err)
	}
	d.ncpu = info.Info.NCPU
	if err := d.adopt(ctx); err != nil {
		d.cancel()
		cli.Close()
		return nil, err
	}
	d.done = make(chan struct{})
	ready := make(chan struct{})
	go d.watch(d.ctx, ready)
	select {
	case <-ready:
	case <-ctx.Done():
		d.Close()
		return nil, fmt.Errorf("docker: watch events: %w", ctx.Err())
	}
	return d, nil
}

// NewClient returns an Engine client for host (empty: DOCKER_HOST or the
// default socket) that negotiates the API version on its first request.
func NewClient(host string) (*client.Client, error) {
	opts := []client.Opt{client.WithHostFromEnv()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: client: %w", err)
	}
	return cli, nil
}

func (d *Driver) host() string {
	if d.cfg.Host != "" {
		return d.cfg.Host
	}
	return d.cli.DaemonHost()
}

// Close stops the event watcher and closes the Engine connection. The
// containers keep running.
func (d *Driver) Close() error {
	d.cancel()
	if d.done != nil {
		<-d.done
	}
	return d.cli.Close()
}

// NotifyStates implements runtime.StateNotifier.
func (d *Driver) NotifyStates(f func(runtime.PhoneInfo)) {
	d.mu.Lock()
	d.notify = f
	d.mu.Unlock()
}

// Client returns the driver's Engine client (for checks and tests).
func (d *Driver) Client() *client.Client { return d.cli }

// containerName is the name of a phone's container; its volume is
// containerName + "-data".
func (d *Driver) containerName(phoneID string) string {
	return "opencph-" + d.cfg.ServerID + "-" + phoneID
}

func (d *Driver) volumeName(phoneID string) string { return d.containerName(phoneID) + "-data" }

// acquire takes a phone's operation lock and marks it busy.
func (d *Driver) acquire(ctx context.Context, phoneID string) (*phone, error) {
	d.mu.Lock()
	p, ok := d.phones[phoneID]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("docker: phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	select {
	case p.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("docker: phone %s: %w", phoneID, ctx.Err())
	}
	d.mu.Lock()
	if d.phones[phoneID] != p {
		d.mu.Unlock()
		<-p.lock
		return nil, fmt.Errorf("docker: phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	p.busy = true
	d.mu.Unlock()
	return p, nil
}

// release ends an operation on p.
func (d *Driver) release(p *phone) {
	d.mu.Lock()
	p.busy = false
	p.settled = time.Now()
	d.mu.Unlock()
	<-p.lock
}

// set changes a phone's record under the driver's lock.
func (d *Driver) set(p *phone, f func(p *phone)) {
	d.mu.Lock()
	f(p)
	d.mu.Unlock()
}

// snapshot copies a phone's info. Driver.mu is held.
func snapshot(p *phone) runtime.PhoneInfo {
	info := p.info
	info.Property = maps.Clone(p.info.Property)
	return info
}

// Phone implements runtime.Driver.
func (d *Driver) Phone(ctx context.Context, phoneID string) (runtime.PhoneInfo, error) {
	if err := ctx.Err(); err != nil {
		return runtime.PhoneInfo{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.phones[phoneID]
	if !ok {
		return runtime.PhoneInfo{}, fmt.Errorf("docker: phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	return snapshot(p), nil
}

// Phones implements runtime.Driver.
func (d *Driver) Phones(ctx context.Context) ([]runtime.PhoneInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	out := make([]runtime.PhoneInfo, 0, len(d.phones))
	for _, p := range d.phones {
		out = append(out, snapshot(p))
	}
	d.mu.Unlock()
	slices.SortFunc(out, func(a, b runtime.PhoneInfo) int {
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out, nil
}

// imageRef maps a CPH image id to a container image.
func (d *Driver) imageRef(imageID string) (string, error) {
	ref, ok := d.cfg.Images[imageID]
	if !ok {
		ref, ok = d.cfg.Images[AnyImage]
	}
	if !ok || ref == "" {
		return "", fmt.Errorf("docker: CPH image %q has no container image in the image mapping", imageID)
	}
	return ref, nil
}

// Images returns the driver's image mapping.
func (d *Driver) Images() map[string]string { return maps.Clone(d.cfg.Images) }

func itoa(n int) string { return strconv.Itoa(n) }
