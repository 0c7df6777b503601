package cph

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fault injection is an OpenCPH extension for tests: a project's admins
// add rules that make its own API calls or jobs fail, hang or slow down,
// so that a client's error handling can be exercised against the
// stand-in. The rules act in the control plane, so they work the same on
// every runtime. docs/faults.md describes them.

// Fault effects.
const (
	// FaultFail ends a job failed with the rule's code and message,
	// without it reaching the agent.
	FaultFail = "fail"
	// FaultHang holds a job's operation (not dispatched, the job running,
	// the phone in its transient status) until the rule is deleted (then it
	// runs) or its delay_ms passes (then it fails like FaultFail).
	FaultHang = "hang"
	// FaultDelay delays an API call's answer, or a job's dispatch, by the
	// rule's delay_ms.
	FaultDelay = "delay"
	// FaultHTTPError answers an API call with the rule's status, code and
	// message, as a genuine error of that code.
	FaultHTTPError = "http_error"
)

// FaultJobPrefix starts the operation of a rule that acts on jobs:
// "job:" and a job type (FaultJobTypes).
const FaultJobPrefix = "job:"

// Limits of fault-injection rules.
const (
	// MaxFaultsPerProject is the most rules a project holds.
	MaxFaultsPerProject = 100
	// MaxFaultTargets is the most ids of each target filter of a rule.
	MaxFaultTargets = 100
	// MaxFaultDelay bounds a rule's delay_ms.
	MaxFaultDelay = time.Hour
	// MaxFaultCallDelay bounds the delay of an API call (within every
	// route's 30 s request deadline).
	MaxFaultCallDelay = 20 * time.Second
	// MaxFaultMessage bounds a rule's error_msg, in bytes.
	MaxFaultMessage = 512
	// MaxFaultCount bounds a rule's count.
	MaxFaultCount = 1_000_000
)

// FaultJobType is a job type a rule can name: the kind of the job's
// operation and, for ADB command jobs, the commands it covers (none: any).
type FaultJobType struct {
	Kind     OpKind
	Commands []string
}

// FaultJobTypes returns the job types of fault rules ("job:" + key).
func FaultJobTypes() map[string]FaultJobType {
	return map[string]FaultJobType{
		"restart":         {Kind: OpRestartPhone},
		"reset":           {Kind: OpResetPhone},
		"stop":            {Kind: OpStopPhone},
		"update_property": {Kind: OpUpdateProperty},
		"expand_volume":   {Kind: OpExpandVolume},
		"import_traffic":  {Kind: OpImportTraffic},
		"export":          {Kind: OpExportData},
		"import":          {Kind: OpImportData},
		"command":         {Kind: OpADBCommand},
		"shell":           {Kind: OpADBCommand, Commands: []string{CommandShell}},
		"install":         {Kind: OpADBCommand, Commands: []string{CommandInstall, CommandInstallMultiple}},
		"uninstall":       {Kind: OpADBCommand, Commands: []string{CommandUninstall}},
		"push":            {Kind: OpADBCommand, Commands: []string{CommandPush}},
	}
}

// MatchesJob reports whether the job type covers an operation of kind
// running command (empty for jobs that are no ADB command).
func (t FaultJobType) MatchesJob(kind OpKind, command string) bool {
	return t.Kind == kind && (len(t.Commands) == 0 || slices.Contains(t.Commands, command))
}

// Fault is a fault-injection rule of a project.
type Fault struct {
	ID string `json:"fault_id"`
	// Operation is an API call's operation name (ListCloudPhones,
	// BatchRestartCloudPhones, ...) or "job:" and a job type.
	Operation string   `json:"operation"`
	PhoneIDs  []string `json:"phone_ids"`
	ServerIDs []string `json:"server_ids"`
	Effect    string   `json:"effect"`
	ErrorCode string   `json:"error_code,omitempty"`
	ErrorMsg  string   `json:"error_msg,omitempty"`
	// Status is the HTTP status of an http_error answer.
	Status int `json:"status,omitempty"`
	// DelayMillis is a delay's length, or a hang's timeout (0: none).
	DelayMillis int64 `json:"delay_ms,omitempty"`
	// Count, if set, is how many matches the rule applies to; Remaining
	// how many are left.
	Count     *int `json:"count,omitempty"`
	Remaining *int `json:"remaining,omitempty"`
	// Probability is the chance that a match applies (1: always).
	Probability float64 `json:"probability"`
	// Applied counts the matches the rule applied to.
	Applied   int64  `json:"applied"`
	ExpiresAt Time   `json:"expires_at"`
	CreatedAt Time   `json:"created_at"`
	ProjectID string `json:"-"`
}

// Job reports whether the rule acts on jobs (rather than API calls), and
// its job type.
func (f *Fault) Job() (FaultJobType, bool) {
	name, ok := strings.CutPrefix(f.Operation, FaultJobPrefix)
	if !ok {
		return FaultJobType{}, false
	}
	t, ok := FaultJobTypes()[name]
	return t, ok
}

// Targets reports whether a call or job on the ids passes the rule's
// target filters: every filter set must name one of ids.
func (f *Fault) Targets(phoneID, serverID string) bool {
	if len(f.PhoneIDs) > 0 && !slices.Contains(f.PhoneIDs, phoneID) {
		return false
	}
	if len(f.ServerIDs) > 0 && !slices.Contains(f.ServerIDs, serverID) {
		return false
	}
	return true
}

// Live reports whether the rule may still apply at now (not spent, not
// expired).
func (f *Fault) Live(now time.Time) bool {
	if f.Remaining != nil && *f.Remaining <= 0 {
		return false
	}
	return f.ExpiresAt.IsZero() || f.ExpiresAt.After(now)
}

// CreateFaultParams is a new fault-injection rule.
type CreateFaultParams struct {
	Operation   string   `json:"operation"`
	PhoneIDs    []string `json:"phone_ids,omitempty"`
	ServerIDs   []string `json:"server_ids,omitempty"`
	Effect      string   `json:"effect"`
	ErrorCode   string   `json:"error_code,omitempty"`
	ErrorMsg    string   `json:"error_msg,omitempty"`
	Status      int      `json:"status,omitempty"`
	DelayMillis int64    `json:"delay_ms,omitempty"`
	Count       *int     `json:"count,omitempty"`
	Probability *float64 `json:"probability,omitempty"`
	ExpiresAt   Time     `json:"expires_at,omitzero"`
}

// CallFault is what a rule does to one API call: wait Delay, then, if Err
// is set, answer it.
type CallFault struct {
	FaultID string
	Delay   time.Duration
	Err     *Error
}

// FaultService manages the fault-injection rules of the caller's project.
type FaultService interface {
	// CreateFault adds a rule. Errors: CPS.0001 (read-only user),
	// CPS.9018 (invalid rule), CPS.9019 (too many rules).
	CreateFault(ctx context.Context, p CreateFaultParams) (*Fault, error)
	// ListFaults returns the project's rules, oldest first.
	ListFaults(ctx context.Context) ([]*Fault, error)
	// ShowFault returns one rule. Errors: CPS.9017 (unknown rule).
	ShowFault(ctx context.Context, id string) (*Fault, error)
	// DeleteFault deletes a rule; the operations a hang of it holds run
	// at once. Errors: CPS.0001 (read-only user), CPS.9017 (unknown rule).
	DeleteFault(ctx context.Context, id string) error
	// MatchCallFault returns what the project's rules do to a call of
	// operation on the target ids (path parameters), or nil. A rule with
	// a count is consumed by the match.
	MatchCallFault(ctx context.Context, operation string, targetIDs []string) (*CallFault, error)
}

// FaultNotes collects the rules applied while one request was served,
// for its audit event.
type FaultNotes struct {
	mu  sync.Mutex
	ids []string
}

type faultNotesKey struct{}

// NewFaultNotesContext returns ctx carrying a new FaultNotes.
func NewFaultNotesContext(ctx context.Context) (context.Context, *FaultNotes) {
	n := &FaultNotes{}
	return context.WithValue(ctx, faultNotesKey{}, n), n
}

// NoteInjectedFault records in ctx's FaultNotes, if any, that rule id was
// applied.
func NoteInjectedFault(ctx context.Context, id string) {
	n, _ := ctx.Value(faultNotesKey{}).(*FaultNotes)
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !slices.Contains(n.ids, id) && len(n.ids) < MaxAuditTargets {
		n.ids = append(n.ids, id)
	}
}

// IDs returns the rules noted, in order.
func (n *FaultNotes) IDs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.ids)
}
