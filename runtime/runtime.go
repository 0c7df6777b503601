// Package runtime defines the interface between an OpenCPH agent and the
// thing that actually runs the phones of one phone server: a runtime
// driver.
//
// A driver owns a set of phones, each named by the phone ID the control
// plane gave it. The agent tells the driver which phones must exist
// (EnsurePhone) and then drives their lifecycle with Restart, Stop and
// Reset as operations arrive. Every method takes a context and honours its
// cancellation.
//
// The lifecycle a driver reports is deliberately small:
//
//	           EnsurePhone(Running: true)        EnsurePhone(Running: false)
//	                     │                                   │
//	                     ▼           Stop                    ▼
//	Restart/Reset ─▶ booting ─▶ running ─▶ stopping ─▶ stopped
//	                     │                                   ▲
//	                     └──────▶ failed ────── Stop ────────┘
//
// Restart and Reset boot a phone from any state; a boot either ends in
// StateRunning or in StateFailed.
//
// Phones are removed through the optional PhoneRemover capability.
// Driver covers power and reset operations only; ADB-style commands,
// property updates and data export/import are optional capabilities
// (ADB, PropertyUpdater, DataArchiver in adb.go) that a driver may lack.
package runtime

import (
	"context"
	"errors"
	"time"
)

// State is the runtime state of one phone as its driver sees it.
type State string

// Phone states.
const (
	// StateRunning means the phone has booted and is usable.
	StateRunning State = "running"
	// StateStopped means the phone is powered off.
	StateStopped State = "stopped"
	// StateBooting means a restart or reset is in progress.
	StateBooting State = "booting"
	// StateStopping means a stop is in progress.
	StateStopping State = "stopping"
	// StateFailed means the last boot failed or was interrupted; the phone
	// does not run until it is restarted or reset.
	StateFailed State = "failed"
)

// Valid reports whether s is one of the documented states.
func (s State) Valid() bool {
	switch s {
	case StateRunning, StateStopped, StateBooting, StateStopping, StateFailed:
		return true
	}
	return false
}

// Errors returned by drivers. Drivers wrap them with context, so callers
// test for them with errors.Is.
var (
	// ErrNoSuchPhone is returned for a phone ID the driver does not know.
	ErrNoSuchPhone = errors.New("runtime: no such phone")
	// ErrNotRunning is returned by operations that need a running phone
	// when the phone is in any other state.
	ErrNotRunning = errors.New("runtime: phone is not running")
)

// PhoneSpec describes a phone a driver must have.
type PhoneSpec struct {
	// ID is the phone's control-plane ID; it names the phone in the driver.
	ID string
	// Name is the phone's display name, for logs and diagnostics.
	Name string
	// Index is the phone's 1-based position on its server.
	Index int
	// ImageID is the image the phone is created from.
	ImageID string
	// Property holds the phone's provisioned properties. They
	// are merged over the driver's defaults and count as the phone's
	// defaults from then on, so a Reset keeps them.
	Property map[string]string
	// Running says whether a newly created phone runs or is stopped.
	Running bool
	// Resources are what the phone's flavor gives it; drivers that run
	// real phones turn them into limits and boot parameters. Zero fields
	// mean "no limit" or "the driver's default".
	Resources Resources
}

// Resources are the CPU, memory and screen of a phone flavor.
type Resources struct {
	// Model is the phone flavor name, for logs.
	Model string
	// CPUs is the number of vCPUs and MemoryMB the memory in MiB.
	CPUs     int
	MemoryMB int
	// Width and Height are the screen size in pixels, DPI its density
	// and FPS its frame rate.
	Width, Height, DPI, FPS int
}

// RestartOptions change a phone as it boots.
type RestartOptions struct {
	// ImageID, when not empty, replaces the phone's image.
	ImageID string
	// Property is merged into the phone's properties when the boot
	// succeeds.
	Property map[string]string
	// BootTime, when not nil, is how long a simulated phone boots this
	// time instead of its driver's configured boot time (0 boots at
	// once). Runtimes whose phones really boot ignore it.
	BootTime *time.Duration
	// Factory, on a reset, also returns the phone's default properties
	// to its image's, forgetting PhoneSpec.Property and property updates.
	Factory bool
}

// PhoneInfo is a snapshot of one phone's runtime state. It is a copy: the
// caller may keep and modify it.
type PhoneInfo struct {
	// ID is the phone's ID.
	ID string
	// Name is the phone's display name.
	Name string
	// Index is the phone's 1-based position on its server.
	Index int
	// State is the phone's current state.
	State State
	// ImageID is the image the phone runs (or last ran).
	ImageID string
	// Property holds the phone's current properties.
	Property map[string]string
	// BootCount is the number of successful boots since the phone was
	// created, including the initial one of a phone created running.
	BootCount int
	// BootedAt is when the phone last finished booting; zero if never.
	BootedAt time.Time
	// LastError describes why the phone is in StateFailed, or why the last
	// operation on it failed; empty when the last operation succeeded.
	LastError string
	// Access is where the phone can be reached; zero when the driver has
	// no real address (the simulated runtime).
	Access Access
}

// Access is the network address of a phone's ADB port.
type Access struct {
	// IP and Port are the host address and port at which the phone's ADB
	// port is published.
	IP   string
	Port int
	// IntranetIP is the phone's own address on its server's network.
	IntranetIP string
}

// Driver runs the phones of one phone server.
//
// Implementations are safe for concurrent use. Operations on one phone are
// serialised by the driver: a second operation on a phone waits until the
// first has finished (or until its own context is done). Operations on
// different phones proceed concurrently.
type Driver interface {
	// EnsurePhone makes the phone exist in the runtime. It is idempotent:
	// a new phone is created at once (no boot delay) in the state
	// spec.Running asks for; an existing phone is left as it is.
	EnsurePhone(ctx context.Context, spec PhoneSpec) error

	// Restart reboots a running phone, or boots a stopped or failed one,
	// applying opts. It returns nil once the phone runs, or an error if the
	// boot failed, in which case the phone is left in StateFailed. It
	// returns ErrNoSuchPhone for an unknown phone and ctx.Err() (wrapped)
	// if ctx is done first.
	Restart(ctx context.Context, phoneID string, opts RestartOptions) error

	// Stop powers the phone off and returns once it is stopped. Stopping a
	// stopped phone succeeds at once. If the stop fails the phone keeps the
	// state it had. It returns ErrNoSuchPhone for an unknown phone.
	Stop(ctx context.Context, phoneID string) error

	// Reset wipes the phone back to its image: applications and files the
	// user added are removed and properties return to the phone's defaults
	// (see PhoneSpec.Property). Then opts is applied and the phone boots as
	// in Restart; a stopped phone is started by a reset. A failed or
	// interrupted reset leaves the phone in StateFailed; whether the wipe
	// already happened then is up to the driver. It returns ErrNoSuchPhone
	// for an unknown phone.
	Reset(ctx context.Context, phoneID string, opts RestartOptions) error

	// Phone returns a snapshot of one phone's state, or ErrNoSuchPhone.
	Phone(ctx context.Context, phoneID string) (PhoneInfo, error)

	// Phones returns a snapshot of every phone of the driver, ordered by
	// Index and then ID.
	Phones(ctx context.Context) ([]PhoneInfo, error)
}
