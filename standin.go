package cph

import (
	"context"
	"time"
)

// Limits of the stand-in extensions (StandInService).
const (
	// MaxSimBootTime is the longest boot time SetSimSettings takes.
	MaxSimBootTime = time.Hour
	// MaxJobWait is the longest WaitForJobs waits.
	MaxJobWait = 60 * time.Second
	// DefaultJobWait is how long WaitForJobs waits when no timeout is
	// given.
	DefaultJobWait = 30 * time.Second
	// MaxJobWaitsPerUser is how many WaitForJobs calls of one user may
	// wait at once on one replica.
	MaxJobWaitsPerUser = 16
)

// SimSettings are the simulated runtime's settings of a project or of one
// phone. They apply to phones of the simulated runtime only (cphd's
// built-in fleet, cph-agent --runtime sim); real phones boot as they boot.
type SimSettings struct {
	// BootTimeMS is how long a restart or reset keeps a phone booting, in
	// milliseconds (0 boots at once). Null when not set: a phone's
	// setting falls back to its project's, a project's to the runtime's
	// own (cphd --sim-boot-time).
	BootTimeMS *int64 `json:"boot_time_ms"`
	// EffectiveBootTimeMS, in the answer for a phone, is the boot time
	// its next restart gets from the settings (its own, else its
	// project's); null when neither is set.
	EffectiveBootTimeMS *int64 `json:"effective_boot_time_ms,omitempty"`
}

// JobWait says what WaitForJobs waits for: one job (JobID) or every job
// of one request (RequestID), exactly one of the two.
type JobWait struct {
	JobID     string
	RequestID string
	// Timeout bounds the wait: 0 is DefaultJobWait, at most MaxJobWait.
	Timeout time.Duration
}

// JobWaitResult is what WaitForJobs found.
type JobWaitResult struct {
	// Final is true when every job is final (succeeded or failed).
	Final bool
	// Jobs are the request's jobs in request order (or the one job), as
	// they were when the wait ended.
	Jobs []*Job
}

// ProjectReset are the options of ResetProject.
type ProjectReset struct {
	// Wait makes ResetProject return only once the phone resets it queued
	// are final, or Timeout (0 is DefaultJobWait, at most MaxJobWait)
	// passed.
	Wait    bool
	Timeout time.Duration
}

// ProjectResetResult is what ResetProject did.
type ProjectResetResult struct {
	// Cleared counts what the reset removed, by name: "jobs", "buckets",
	// "objects", and those of the reset steps of other features (see
	// service.ResetStep).
	Cleared map[string]int
	// RequestID and Jobs are the request of the phone resets (one job per
	// phone; a phone whose status refused a reset carries its error).
	RequestID string
	Jobs      []PhoneJob
	// Final, when Wait was asked, says whether every reset finished in
	// time; FinalJobs are the jobs as they were then.
	Final     bool
	FinalJobs []*Job
}

// StandInService holds the OpenCPH extensions that serve OpenCPH as a
// local stand-in for CPH in tests: simulated boot times, a server-side
// wait for jobs and a reset of a project. The caller travels in the
// context (NewCallerContext).
type StandInService interface {
	// ShowSimSettings returns the simulated-runtime settings of the
	// caller's project (phoneID "") or of one of its phones.
	// Errors: CPS.0004 (malformed phone id), CPS.0005 (unknown phone),
	// APIGW.0301, APIGW.0302.
	ShowSimSettings(ctx context.Context, phoneID string) (*SimSettings, error)
	// SetSimSettings replaces the settings of the project (phoneID "") or
	// of one phone (BootTimeMS nil clears the setting) and returns them.
	// Restarts and resets queued afterwards use them. Admins only.
	// Errors: CPS.9011 (boot_time_ms below 0 or above MaxSimBootTime),
	// those of ShowSimSettings, CPS.0001 (a read-only user).
	SetSimSettings(ctx context.Context, phoneID string, s SimSettings) (*SimSettings, error)
	// WaitForJobs returns as soon as the job, or every job of the
	// request, is final, or when the timeout passes (Final false). An
	// unknown request (or one of another project) has no jobs: it is
	// answered at once, Final true and no jobs. The wait follows the
	// change notifications (ChangeService), so it sees jobs finished on
	// any replica.
	// Errors: CPS.9002 (unknown job id), CPS.9003 (neither or both ids, an
	// overlong request id), CPS.9011 (timeout below 0 or above
	// MaxJobWait), CPS.9009 (more than MaxJobWaitsPerUser waits of the
	// user at once), APIGW.0301, APIGW.0302.
	WaitForJobs(ctx context.Context, w JobWait) (*JobWaitResult, error)
	// ResetProject brings the caller's project back to its initial
	// fleet: every phone is reset (reset-phone jobs of one request,
	// booting the phone's image with the image's default properties; a
	// phone in a transient status is refused per item), and the
	// project's final jobs and its buckets with their objects are
	// removed. The simulated-runtime settings stay (they configure the
	// stand-in rather than the fleet). Admins only.
	// Errors: CPS.9011 (timeout out of range), CPS.0001, APIGW.0301,
	// APIGW.0302.
	ResetProject(ctx context.Context, r ProjectReset) (*ProjectResetResult, error)
}

// Snapshot is a named snapshot of the fleet state.
type Snapshot struct {
	Name          string `json:"name"`
	CreatedAt     Time   `json:"created_at"`
	SchemaVersion int    `json:"schema_version"`
	// Rows counts the rows saved or restored, by table (in the answers
	// of SaveSnapshot and RestoreSnapshot).
	Rows map[string]int `json:"rows,omitempty"`
}

// SnapshotService saves the fleet state of the whole installation
// (servers, phones, jobs, images, buckets, ...; not identity, the audit
// trail or the objects' files) as a named snapshot, and restores it while
// the control plane runs: each is one transaction with the fleet's tables
// locked, so no engine transaction is half in a snapshot or half over a
// restore, and the agents stay connected. Operators only (an admin of the
// bootstrap account).
type SnapshotService interface {
	// ListSnapshots returns the snapshots, by name.
	// Errors: CPS.0001 (not an operator), APIGW.0301.
	ListSnapshots(ctx context.Context) ([]*Snapshot, error)
	// SaveSnapshot saves the fleet state as name (1 to 64 letters,
	// digits, '.', '_' or '-'), replacing a snapshot of that name only if
	// replace is set.
	// Errors: CPS.9011 (a bad name), CPS.9021 (the name is taken),
	// those of ListSnapshots.
	SaveSnapshot(ctx context.Context, name string, replace bool) (*Snapshot, error)
	// RestoreSnapshot replaces the fleet state by snapshot name's.
	// Errors: CPS.9020 (no such snapshot), CPS.9022 (taken at another
	// schema version), those of ListSnapshots.
	RestoreSnapshot(ctx context.Context, name string) (*Snapshot, error)
	// DeleteSnapshot removes snapshot name.
	// Errors: CPS.9020, those of ListSnapshots.
	DeleteSnapshot(ctx context.Context, name string) error
}
