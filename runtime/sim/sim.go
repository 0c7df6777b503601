// Package sim is a simulated phone runtime: a complete runtime.Driver whose
// phones live in memory, saved to a state dir if it is given one.
//
// Every simulated phone has a state, an image, Android properties, installed
// packages and a small file tree, and it takes time to boot and to stop, as
// set by Config. Failures can be injected, once (InjectFailure) or at random
// (Config.FailureRate), so the control plane's failure paths can be
// exercised without real phones. It serves development setups, demos and
// tests.
//
// Timing is done with the time package only, so tests can run the driver
// inside a testing/synctest bubble and observe a boot without sleeping.
//
// Phones share their driver's default properties, system packages and
// image files until they change them (copy on write), so a phone nobody
// touched costs a few hundred bytes: a load tool can run a million of them
// in one process.
//
// Semantics worth knowing:
//
//   - Restart boots the phone for Config.BootTime in runtime.StateBooting,
//     or for runtime.RestartOptions.BootTime when it is set.
//     Image and property changes are applied only when the boot succeeds.
//   - Reset wipes the phone (user packages and files removed, properties
//     back to the phone's defaults, image switched if asked) as soon as it
//     starts, then boots as Restart does; a failed or interrupted reset
//     leaves the phone wiped and failed.
//   - A boot that fails, by injection or at random, fails at the end of
//     BootTime and leaves the phone in runtime.StateFailed. A boot whose
//     context is done first returns the context's error and also leaves
//     the phone in runtime.StateFailed: the old system is already down.
//     An operation whose context is done while it still waits for the
//     phone (see below) changes nothing.
//   - Stop holds the phone in runtime.StateStopping for Config.StopTime. A
//     failed or interrupted stop puts the phone back in the state it had.
//     Stopping a stopped phone succeeds at once.
//   - Operations on one phone never interleave: a second operation waits
//     for the first (or for its own context). Phones are independent.
//   - Property updates (UpdateProperty) become the phone's defaults; keys
//     that apply at once change a running phone, the others wait for the
//     next successful boot.
//   - Shell (see adb.go and shell.go) is a small shell over the phone's
//     properties, packages and files; user applications live under
//     /data/app/<package>/ and /data/data/<package>/.
//
// Storage is bounded by Config.Quota (see Quota): files live in the
// memory of the process, so their size and number are checked before an
// archive, an APK or a shared file is held.
//
// With Config.StateDir (see Open and persist.go), every phone's files,
// packages, properties and state, and the shared storage, are saved after
// every change and loaded again when the process restarts; without it
// nothing persists across a restart of the process.
//
// Every phone has the usual Android directories (/data, /data/local/tmp,
// /sdcard, also reached as /storage/emulated/0, /system, /system/bin,
// /vendor, /cache, /mnt, ...; see android.go): they are not stored and
// count nothing against the Quota.
//
// Known limits: the shell has no quoting, pipes or redirection; there is no networking and
// no accounting of CPU or memory; packages and files are names and bytes
// with no behaviour.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencph/opencph/runtime"
)

// Op names a simulated operation that can fail.
type Op string

// Operations that accept injected failures.
const (
	// OpRestart is runtime.Driver.Restart.
	OpRestart Op = "restart"
	// OpReset is runtime.Driver.Reset.
	OpReset Op = "reset"
	// OpStop is runtime.Driver.Stop.
	OpStop Op = "stop"
)

// Config sets the behaviour of a simulated runtime. The zero value is a
// runtime whose phones boot and stop at once and never fail.
type Config struct {
	// BootTime is how long a restart or reset keeps a phone booting.
	BootTime time.Duration
	// StopTime is how long a stop keeps a phone stopping.
	StopTime time.Duration
	// FailureRate is the probability, from 0 to 1, that any restart, reset
	// or stop fails. Values outside the range are clamped.
	FailureRate float64
	// Rand is the source of random failures. It is used under the
	// driver's lock, so it need not be safe for concurrent use. If nil, a
	// randomly seeded source is used.
	Rand *rand.Rand
	// Logger receives a record for every phone state change. If nil, logs
	// are discarded.
	Logger *slog.Logger
	// Quota bounds the storage of the phones and the shared storage; its
	// zero fields take the values of DefaultQuota.
	Quota Quota
	// Now is the driver's clock: boot times and the time screenshots
	// show. If nil, time.Now.
	Now func() time.Time
	// StateDir, if not empty, is where Open keeps the phones' state and
	// the shared storage, so that they survive a restart of the process
	// (see persist.go). Empty: everything is in memory only.
	StateDir string
}

// Package is an application installed on a simulated phone.
type Package struct {
	// Name is the Android package name, such as "com.android.settings".
	Name string
	// Version is the package's version name.
	Version string
	// System reports whether the package is part of the image; a reset
	// keeps system packages and removes all others.
	System bool
	// Shared reports whether the package was installed from the server's
	// shared app area (PushShareApps with pre_install_app); a data
	// export leaves it and its data out.
	Shared bool `json:",omitempty"`
}

// FailureError is the error of an operation that failed in the simulation,
// by injection or at random.
type FailureError struct {
	// Op is the operation that failed.
	Op Op
	// PhoneID is the phone the operation ran on.
	PhoneID string
	// Message describes the failure.
	Message string
	// Injected reports whether the failure was set by InjectFailure.
	Injected bool
}

// Error implements the error interface.
func (e *FailureError) Error() string {
	return fmt.Sprintf("sim: %s phone %s: %s", e.Op, e.PhoneID, e.Message)
}

// Driver is a simulated runtime. It implements runtime.Driver and is safe
// for concurrent use. Create it with New.
type Driver struct {
	bootTime    time.Duration
	stopTime    time.Duration
	failureRate float64
	log         *slog.Logger
	quota       Quota
	now         func() time.Time

	mu       sync.Mutex // guards everything below and every phone's state
	rand     *rand.Rand
	phones   map[string]*phone
	shared   sharedState // the server's shared storage; see shared.go
	image    image       // what every phone starts with; never written
	stored   int64       // storage counted against quota.ServerBytes: phones' files.cost() and shared files
	inflight int64       // storage read by operations in progress (see reservation)

	stateDir   string    // Config.StateDir; empty: nothing persists
	sharedGen  uint64    // changes of the shared storage, for sharedSave
	sharedSave saveState // orders the writes of the shared storage's state file
}

// image is the content every new or wiped phone starts with. Phones share
// these maps (see cowMap) until they change them.
type image struct {
	property map[string]string
	packages map[string]Package
	files    map[string][]byte
	fileCost int64 // filesCost(files)
}

var _ runtime.Driver = (*Driver)(nil)

// phone is the state of one simulated phone. The ops channel is the
// phone's operation lock; every field, and the creation of ops, is guarded
// by Driver.mu. The maps are shared with the driver's image and the other
// phones until the phone changes them (see cowMap); pending and failNext
// are nil until used.
type phone struct {
	ops chan struct{} // holds one token while an operation runs; made by the first acquire

	id    string
	name  string
	index int

	state     runtime.State
	imageID   string
	defaults  cowMap[string, string] // properties a reset returns to
	property  cowMap[string, string]
	pending   map[string]string // property changes applied at the next boot
	packages  cowMap[string, Package]
	files     fileMap
	bootCount int
	bootedAt  time.Time
	lastError string
	failNext  map[Op]string // one-shot injected failures

	gen  uint64     // snapshots taken of the phone's state (with Config.StateDir)
	save *saveState // orders the writes of its state file; nil until the first
}

// New returns a simulated runtime with no phones, or with the phones and
// shared storage saved in cfg.StateDir; a state dir that cannot be used
// is logged, and the driver then keeps what it cannot save in memory. Use
// Open to get that error instead.
func New(cfg Config) *Driver {
	d, err := Open(cfg)
	if err != nil {
		d.log.Error("simulated state dir unusable; state is kept in memory only", "dir", cfg.StateDir, "err", err)
	}
	return d
}

// Open returns a simulated runtime. With cfg.StateDir it loads the phones
// and shared storage saved there, and saves them after every change; it
// fails (returning a driver that keeps its state in memory) only when the
// directory cannot be made or read: files that cannot be loaded are set
// aside with a logged warning.
func Open(cfg Config) (*Driver, error) {
	d := &Driver{
		bootTime:    max(cfg.BootTime, 0),
		stopTime:    max(cfg.StopTime, 0),
		failureRate: min(max(cfg.FailureRate, 0), 1),
		log:         cfg.Logger,
		quota:       cfg.Quota.withDefaults(),
		now:         cfg.Now,
		rand:        cfg.Rand,
		phones:      make(map[string]*phone),
		image:       image{property: DefaultProperties(), packages: systemPackages(), files: imageFiles()},
	}
	d.image.fileCost = filesCost(d.image.files)
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.rand == nil {
		d.rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if cfg.StateDir != "" {
		d.stateDir = cfg.StateDir
		if err := d.load(); err != nil {
			d.stateDir = ""
			return d, err
		}
	}
	return d, nil
}

// DefaultProperties returns the properties every simulated phone starts
// with: common Android build properties and the documented defaults of the
// CPH property keys. The map is a new copy.
func DefaultProperties() map[string]string {
	return map[string]string{
		"ro.product.brand":                "OpenCPH",
		"ro.product.manufacturer":         "OpenCPH",
		"ro.product.model":                "OpenCPH Simulated Phone",
		"ro.product.name":                 "opencph_sim",
		"ro.product.cpu.abi":              "arm64-v8a",
		"ro.build.version.release":        "11",
		"ro.build.version.sdk":            "30",
		"ro.build.type":                   "user",
		"persist.sys.locale":              "en-US",
		"persist.sys.timezone":            "UTC",
		"com.cph.mainkeys":                "0",
		"disable.status.bar":              "0",
		"ro.permission.changed":           "0",
		"ro.install.auto":                 "0",
		"ro.com.cph.non_root":             "1",
		"ro.com.cph.notification_disable": "0",
		"com.cph.disable_fb_permission":   "0",
		"ro.com.cph.toast_enable":         "0",
		"sys.prop.writewifissid":          "cloudphone_wifi",
		"gsm.sim.operator.iso-country":    "cn",
		"ro.build.product":                "STF",
		"ro.board.platform":               "hi3660",
	}
}

// systemPackages returns the packages of the simulated image.
func systemPackages() map[string]Package {
	pkgs := make(map[string]Package)
	for _, name := range []string{
		"android",
		"com.android.launcher3",
		"com.android.packageinstaller",
		"com.android.providers.settings",
		"com.android.settings",
		"com.android.shell",
		"com.android.systemui",
	} {
		pkgs[name] = Package{Name: name, Version: "11", System: true}
	}
	return pkgs
}

// imageFiles returns the file tree of the simulated image.
func imageFiles() map[string][]byte {
	return map[string][]byte{
		"/system/build.prop":            []byte("ro.build.version.release=11\nro.build.product=STF\n"),
		"/system/etc/hosts":             []byte("127.0.0.1 localhost\n::1 ip6-localhost\n"),
		"/sdcard/Android/data/.nomedia": nil,
		"/sdcard/DCIM/.nomedia":         nil,
		"/sdcard/Download/.nomedia":     nil,
	}
}

// EnsurePhone implements runtime.Driver. A new phone gets the default
// properties, overridden by spec.Property, the image's packages and files,
// and the state spec.Running asks for; a phone created running counts one
// boot. An existing phone is left as it is.
func (d *Driver) EnsurePhone(ctx context.Context, spec runtime.PhoneSpec) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: ensure phone %s: %w", spec.ID, err)
	}
	if spec.ID == "" {
		return errors.New("sim: ensure phone: empty phone ID")
	}
	// A new phone is not saved: it is what spec and the image make, and
	// the agent ensures it again from the same spec after a restart. Its
	// file is written at its first change, so creating a fleet of
	// thousands of phones writes nothing.
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.phones[spec.ID]; ok {
		return nil
	}
	p := &phone{
		id:       spec.ID,
		name:     spec.Name,
		index:    spec.Index,
		state:    runtime.StateStopped,
		imageID:  spec.ImageID,
		defaults: sharedMap(d.image.property),
		packages: sharedMap(d.image.packages),
		files:    sharedFiles(d.image.files, d.image.fileCost),
	}
	p.defaults.copyFrom(spec.Property)
	p.property = p.defaults.share()
	if spec.Running {
		p.state = runtime.StateRunning
		p.bootCount = 1
		p.bootedAt = d.now()
	}
	d.phones[spec.ID] = p
	d.log.Debug("phone created", "phone", p.id, "state", p.state, "image", p.imageID)
	return nil
}

// Restart implements runtime.Driver.
func (d *Driver) Restart(ctx context.Context, phoneID string, opts runtime.RestartOptions) error {
	return d.boot(ctx, OpRestart, phoneID, opts)
}

// Reset implements runtime.Driver. The wipe, and the switch to
// opts.ImageID, happen as soon as the reset starts; opts.Property is
// merged when the boot succeeds.
func (d *Driver) Reset(ctx context.Context, phoneID string, opts runtime.RestartOptions) error {
	return d.boot(ctx, OpReset, phoneID, opts)
}

// boot runs a restart or a reset.
func (d *Driver) boot(ctx context.Context, op Op, id string, opts runtime.RestartOptions) error {
	p, release, err := d.acquire(ctx, id)
	if err != nil {
		return fmt.Errorf("sim: %s phone %s: %w", op, id, err)
	}
	defer release()

	d.mu.Lock()
	var wiped *snapshot
	if op == OpReset {
		d.tracked(p, func() {
			if opts.Factory {
				p.defaults = sharedMap(d.image.property)
			}
			p.wipe(&d.image, opts.ImageID)
		})
	}
	p.state = runtime.StateBooting
	if op == OpReset {
		wiped = d.phoneSnapshot(p) // a reset interrupted now leaves the phone wiped
	}
	failure, injected := d.failure(p, op)
	d.mu.Unlock()
	d.persist(wiped)
	d.log.Debug("phone booting", "phone", id, "op", op)

	bootTime := d.bootTime
	if opts.BootTime != nil {
		bootTime = max(*opts.BootTime, 0)
	}
	if err := sleep(ctx, bootTime); err != nil {
		d.mu.Lock()
		p.state = runtime.StateFailed
		p.lastError = fmt.Sprintf("%s interrupted: %v", op, err)
		snap := d.phoneSnapshot(p)
		d.mu.Unlock()
		d.persist(snap)
		d.log.Info("phone boot interrupted", "phone", id, "op", op, "err", err)
		return fmt.Errorf("sim: %s phone %s: %w", op, id, err)
	}

	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() { snap = d.phoneSnapshot(p) }()
	if failure != "" {
		p.state = runtime.StateFailed
		p.lastError = failure
		d.log.Info("phone boot failed", "phone", id, "op", op, "err", failure, "injected", injected)
		return &FailureError{Op: op, PhoneID: id, Message: failure, Injected: injected}
	}
	if opts.ImageID != "" {
		p.imageID = opts.ImageID
	}
	p.property.copyFrom(p.pending)
	clear(p.pending)
	p.property.copyFrom(opts.Property)
	p.state = runtime.StateRunning
	p.bootCount++
	p.bootedAt = d.now()
	p.lastError = ""
	d.log.Debug("phone running", "phone", id, "op", op, "boots", p.bootCount)
	return nil
}

// wipe returns p to img, switching to imageID if it is not empty. The
// caller holds Driver.mu.
func (p *phone) wipe(img *image, imageID string) {
	if imageID != "" {
		p.imageID = imageID
	}
	p.property = p.defaults.share()
	p.packages = sharedMap(img.packages)
	p.files = sharedFiles(img.files, img.fileCost)
}

// Stop implements runtime.Driver. Stopping a stopped phone succeeds at once
// and consumes no injected failure.
func (d *Driver) Stop(ctx context.Context, phoneID string) error {
	p, release, err := d.acquire(ctx, phoneID)
	if err != nil {
		return fmt.Errorf("sim: stop phone %s: %w", phoneID, err)
	}
	defer release()

	d.mu.Lock()
	prev := p.state
	if prev == runtime.StateStopped {
		d.mu.Unlock()
		return nil
	}
	p.state = runtime.StateStopping
	failure, injected := d.failure(p, OpStop)
	d.mu.Unlock()
	d.log.Debug("phone stopping", "phone", phoneID)

	if err := sleep(ctx, d.stopTime); err != nil {
		d.mu.Lock()
		p.state = prev
		p.lastError = fmt.Sprintf("stop interrupted: %v", err)
		snap := d.phoneSnapshot(p)
		d.mu.Unlock()
		d.persist(snap)
		d.log.Info("phone stop interrupted", "phone", phoneID, "err", err)
		return fmt.Errorf("sim: stop phone %s: %w", phoneID, err)
	}

	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() { snap = d.phoneSnapshot(p) }()
	if failure != "" {
		p.state = prev
		p.lastError = failure
		d.log.Info("phone stop failed", "phone", phoneID, "err", failure, "injected", injected)
		return &FailureError{Op: OpStop, PhoneID: phoneID, Message: failure, Injected: injected}
	}
	p.state = runtime.StateStopped
	p.lastError = ""
	d.log.Debug("phone stopped", "phone", phoneID)
	return nil
}

// acquire waits for the operation lock of phone id. The returned function
// releases it.
func (d *Driver) acquire(ctx context.Context, id string) (*phone, func(), error) {
	d.mu.Lock()
	p := d.phones[id]
	if p != nil && p.ops == nil {
		p.ops = make(chan struct{}, 1)
	}
	d.mu.Unlock()
	if p == nil {
		return nil, nil, runtime.ErrNoSuchPhone
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	select {
	case p.ops <- struct{}{}:
		return p, func() { <-p.ops }, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// failure decides whether op on p fails, consuming an injected failure
// first. It returns the failure message, or "" for success. The caller
// holds Driver.mu.
func (d *Driver) failure(p *phone, op Op) (msg string, injected bool) {
	if msg, ok := p.failNext[op]; ok {
		delete(p.failNext, op)
		return msg, true
	}
	if d.failureRate > 0 && d.rand.Float64() < d.failureRate {
		return fmt.Sprintf("simulated %s failure", op), false
	}
	return "", false
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// InjectFailure makes the next op on the phone fail with message. The
// failure is one-shot: it is consumed by the first such operation, which
// fails at the end of its boot or stop time. Injecting again before it is
// consumed replaces the message. It returns an error wrapping
// runtime.ErrNoSuchPhone for an unknown phone.
func (d *Driver) InjectFailure(phoneID string, op Op, message string) error {
	switch op {
	case OpRestart, OpReset, OpStop:
	default:
		return fmt.Errorf("sim: inject failure: unknown operation %q", op)
	}
	if message == "" {
		message = fmt.Sprintf("injected %s failure", op)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.phones[phoneID]
	if p == nil {
		return fmt.Errorf("sim: inject failure: phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	if p.failNext == nil {
		p.failNext = make(map[Op]string)
	}
	p.failNext[op] = message
	return nil
}

// Phone implements runtime.Driver.
func (d *Driver) Phone(ctx context.Context, phoneID string) (runtime.PhoneInfo, error) {
	if err := ctx.Err(); err != nil {
		return runtime.PhoneInfo{}, fmt.Errorf("sim: phone %s: %w", phoneID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.phones[phoneID]
	if p == nil {
		return runtime.PhoneInfo{}, fmt.Errorf("sim: phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	return p.info(), nil
}

// Phones implements runtime.Driver.
func (d *Driver) Phones(ctx context.Context) ([]runtime.PhoneInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: phones: %w", err)
	}
	d.mu.Lock()
	infos := make([]runtime.PhoneInfo, 0, len(d.phones))
	for _, p := range d.phones {
		infos = append(infos, p.info())
	}
	d.mu.Unlock()
	slices.SortFunc(infos, func(a, b runtime.PhoneInfo) int {
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		return strings.Compare(a.ID, b.ID)
	})
	return infos, nil
}

// info returns a snapshot of p. The caller holds Driver.mu.
func (p *phone) info() runtime.PhoneInfo {
	return runtime.PhoneInfo{
		ID:        p.id,
		Name:      p.name,
		Index:     p.index,
		State:     p.state,
		ImageID:   p.imageID,
		Property:  maps.Clone(p.property.m),
		BootCount: p.bootCount,
		BootedAt:  p.bootedAt,
		LastError: p.lastError,
	}
}

// running returns phone id if it exists and runs. The caller holds
// Driver.mu.
func (d *Driver) running(id string) (*phone, error) {
	p := d.phones[id]
	if p == nil {
		return nil, runtime.ErrNoSuchPhone
	}
	if p.state != runtime.StateRunning {
		return nil, fmt.Errorf("%w (state %s)", runtime.ErrNotRunning, p.state)
	}
	return p, nil
}

// InstallPackage installs pkg on a running phone, replacing a package of
// the same name. Packages installed this way are user packages whatever
// pkg.System says, so a reset removes them. It returns an error wrapping
// runtime.ErrNoSuchPhone or runtime.ErrNotRunning when the phone is unknown
// or not running.
func (d *Driver) InstallPackage(ctx context.Context, phoneID string, pkg Package) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: install package on phone %s: %w", phoneID, err)
	}
	if pkg.Name == "" {
		return fmt.Errorf("sim: install package on phone %s: empty package name", phoneID)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.running(phoneID)
	if err != nil {
		return fmt.Errorf("sim: install package on phone %s: %w", phoneID, err)
	}
	pkg.System = false
	p.packages.set(pkg.Name, pkg)
	snap = d.phoneSnapshot(p)
	return nil
}

// Packages returns the packages installed on a phone, in any state, sorted
// by name. It returns an error wrapping runtime.ErrNoSuchPhone for an
// unknown phone.
func (d *Driver) Packages(ctx context.Context, phoneID string) ([]Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: packages of phone %s: %w", phoneID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.phones[phoneID]
	if p == nil {
		return nil, fmt.Errorf("sim: packages of phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	pkgs := slices.Collect(maps.Values(p.packages.m))
	slices.SortFunc(pkgs, func(a, b Package) int { return strings.Compare(a.Name, b.Name) })
	return pkgs, nil
}

// cleanPath validates an absolute file path and returns it cleaned.
func cleanPath(name string) (string, error) {
	if !strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("path %q is not absolute", name)
	}
	return canonical(path.Clean(name)), nil
}

// WriteFile creates or replaces the file at the absolute path name on a
// running phone. A reset removes it, or restores the image's version of
// it. It returns an error wrapping runtime.ErrNoSuchPhone or
// runtime.ErrNotRunning when the phone is unknown or not running, and a
// *QuotaError when the phone or the server would store more than its
// Quota.
func (d *Driver) WriteFile(ctx context.Context, phoneID, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: write file on phone %s: %w", phoneID, err)
	}
	name, err := cleanPath(name)
	if err != nil {
		return fmt.Errorf("sim: write file on phone %s: %w", phoneID, err)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.running(phoneID)
	if err != nil {
		return fmt.Errorf("sim: write file %s on phone %s: %w", name, phoneID, err)
	}
	if p.isDir(name) {
		return fmt.Errorf("sim: write file %s on phone %s: is a directory", name, phoneID)
	}
	var grow int64 = fileCost(data)
	entries := 1
	if old, ok := p.files.m[name]; ok {
		grow -= fileCost(old)
		entries = 0
	}
	if err := d.room(p, entries, grow); err != nil {
		return fmt.Errorf("sim: write file %s on phone %s: %w", name, phoneID, err)
	}
	d.tracked(p, func() { p.files.set(name, slices.Clone(data)) })
	snap = d.phoneSnapshot(p)
	return nil
}

// ReadFile returns a copy of the file at the absolute path name on a
// running phone. It returns an error wrapping fs.ErrNotExist for a missing
// file, and runtime.ErrNoSuchPhone or runtime.ErrNotRunning when the phone
// is unknown or not running.
func (d *Driver) ReadFile(ctx context.Context, phoneID, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: read file on phone %s: %w", phoneID, err)
	}
	name, err := cleanPath(name)
	if err != nil {
		return nil, fmt.Errorf("sim: read file on phone %s: %w", phoneID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.running(phoneID)
	if err != nil {
		return nil, fmt.Errorf("sim: read file %s on phone %s: %w", name, phoneID, err)
	}
	data, ok := p.files.m[name]
	if !ok {
		return nil, fmt.Errorf("sim: read file %s on phone %s: %w", name, phoneID, fs.ErrNotExist)
	}
	return slices.Clone(data), nil
}

// Files returns the paths of the files on a phone, in any state, sorted.
// It returns an error wrapping runtime.ErrNoSuchPhone for an unknown phone.
func (d *Driver) Files(ctx context.Context, phoneID string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: files of phone %s: %w", phoneID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.phones[phoneID]
	if p == nil {
		return nil, fmt.Errorf("sim: files of phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	return slices.Sorted(maps.Keys(p.files.m)), nil
}
