// Package engine runs OpenCPH's asynchronous jobs: it accepts batch
// operations on phones, queues one operation per phone for the agent of the
// phone's server, hands operations to agents through long-polls, applies
// their results, and sweeps operations whose agent went silent so that no
// phone stays in a transient status forever.
//
// The database is the source of truth. Accepting a batch writes, in one
// transaction, each phone's transient status, one job and one queued
// operation per phone. Applying a result writes, in one transaction, the
// job's final status and the phone's new status. In-memory wake-ups only
// shorten the wait of a long-poll; a lost wake-up costs at most
// Config.PollRecheck of latency.
//
// Failure handling (see docs/architecture.md):
//   - An agent that starts a new session gets the operations its previous
//     session had claimed again (the runtime operations are idempotent).
//   - A claimed operation whose lease (Config.Lease) runs out is queued
//     again, up to Config.MaxAttempts claims; after that its job fails
//     with CPS.9004 and the phone takes the operation's failure status.
//   - An operation that no agent claims within Config.PendingTimeout fails
//     the same way.
//   - A server whose agent stays silent for Config.AgentTTL is marked
//     abnormal and its open operations fail.
//
// Every one of these timeouts counts only time during which this control
// plane could have heard the agent: from the later of the event (claim,
// queueing, last heartbeat) and the moment this engine started serving
// (New, or Serving). A control plane that was down for longer than a
// timeout therefore fails nothing when it comes back; agents get the full
// timeout to return first. Each replica keeps its own start, so a replica
// that has just started masks nothing for the replicas that kept running.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/internal/combine"
	"github.com/opencph/opencph/internal/vcache"
	"github.com/opencph/opencph/sqlstore"
)

// Config tunes the engine. Zero fields take the defaults shown.
type Config struct {
	Lease          time.Duration // how long an agent may hold an operation: 2m
	MaxAttempts    int           // claims before an operation fails: 3
	PendingTimeout time.Duration // how long an operation may wait for an agent: 5m
	SweepInterval  time.Duration // how often Run sweeps: 2s
	PollRecheck    time.Duration // how often a long-poll re-reads the queue: 2s
	MaxBatch       int           // most phones in one batch request: 100
	// AgentTTL is how long a server's agent may stay silent before the
	// server is marked abnormal (2), its phones abnormal (-7) and its
	// operations failed: 30s.
	AgentTTL time.Duration
	// FleetRuntime is the runtime recorded for servers created through the
	// API, whose in-process agents the replicas of that runtime run: "sim".
	FleetRuntime string
	// ZoneCapacity is the most servers of a flavor each availability
	// zone holds; a pair without an entry is unlimited.
	ZoneCapacity []cph.ZoneCapacity
	Logger       *slog.Logger
	// Observer, if set, is told of jobs and operations (metrics).
	Observer Observer
}

func (c *Config) setDefaults() {
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.PendingTimeout <= 0 {
		c.PendingTimeout = 5 * time.Minute
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 2 * time.Second
	}
	if c.PollRecheck <= 0 {
		c.PollRecheck = 2 * time.Second
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 100
	}
	if c.AgentTTL <= 0 {
		c.AgentTTL = 30 * time.Second
	}
	if c.FleetRuntime == "" {
		c.FleetRuntime = "sim"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Engine accepts, dispatches and completes jobs.
type Engine struct {
	db  *sqlstore.DB
	cfg Config
	log *slog.Logger
	hub hub

	touchMu sync.Mutex
	touched map[string]time.Time // by server/session: last heartbeat written

	sinceMu sync.Mutex
	since   time.Time // when this engine started serving agents (store clock)

	// faults caches the fault-injection rules of projects (FaultRules).
	faults *vcache.Cache[string, []*cph.Fault]

	// claims and results combine the claims and the results of the agents
	// that call at the same time (combined.go).
	claims  *combine.Batcher[sqlstore.ClaimRequest, claimed]
	results *combine.Batcher[resultBatch, appliedResults]
	// heartbeats combines the heartbeats of agents.
	heartbeats *combine.Batcher[sqlstore.AgentSession, touched]
}

// New returns an engine over db. Its sweep timeouts count from now (see
// Serving).
func New(db *sqlstore.DB, cfg Config) *Engine {
	cfg.setDefaults()
	e := &Engine{db: db, cfg: cfg, log: cfg.Logger, hub: hub{waiters: map[string]chan struct{}{}}, touched: map[string]time.Time{},
		since: db.Now(), faults: vcache.New[string, []*cph.Fault](faultCacheEntries, faultCacheTTL)}
	e.claims = combine.NewLanes(maxCombinedClaims, combinedLanes(db), e.claimTogether)
	e.results = combine.NewLanes(maxCombinedResults, combinedLanes(db), e.applyTogether)
	e.heartbeats = combine.New(maxCombinedHeartbeats, e.touchTogether)
	return e
}

// Serving records that the control plane serves agents from now on: the
// sweep's timeouts (lease, agent TTL, pending timeout) count time from
// now at the earliest, because before it no agent could reach this
// control plane. cphd calls it once its listener is up.
func (e *Engine) Serving() {
	e.sinceMu.Lock()
	e.since = e.db.Now()
	e.sinceMu.Unlock()
}

// servingFor returns how long, by the store's clock at now, this engine
// has been serving agents.
func (e *Engine) servingFor(now time.Time) time.Duration {
	e.sinceMu.Lock()
	defer e.sinceMu.Unlock()
	return now.Sub(e.since)
}

// Config returns the engine's effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// opRule describes how one kind of phone operation moves a phone's status.
// A zero during status means the operation leaves the phone's status as it
// is (it is only accepted while the phone is in one of from).
type opRule struct {
	from    []cph.PhoneStatus
	during  cph.PhoneStatus
	success cph.PhoneStatus
	failure cph.PhoneStatus
	verb    string // for failure messages
	// onSuccess, if set, records what a successful operation changed, in
	// the result's transaction.
	onSuccess func(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, r Result) error
}

// rules returns the state machine of phone operations.
func rules(kind cph.OpKind) (opRule, bool) {
	if r, ok := phoneOpRules()[kind]; ok {
		return r, true
	}
	switch kind {
	case cph.OpRestartPhone:
		// Abnormal (-7) is accepted: a phone whose runtime broke (its
		// container died) comes back with a restart, as a server restart
		// restarts it; phones of a server that is down are refused anyway.
		return opRule{
			from:   []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneStopped, cph.PhoneResetFailed, cph.PhoneRestartFailed, cph.PhoneAbnormal, cph.PhoneStopFailed},
			during: cph.PhoneRestarting, success: cph.PhoneRunning, failure: cph.PhoneRestartFailed, verb: "restart",
		}, true
	case cph.OpResetPhone:
		return opRule{
			from:   []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneStopped, cph.PhoneResetFailed, cph.PhoneRestartFailed, cph.PhoneAbnormal, cph.PhoneStopFailed},
			during: cph.PhoneResetting, success: cph.PhoneRunning, failure: cph.PhoneResetFailed, verb: "reset",
		}, true
	case cph.OpStopPhone:
		return opRule{
			from:   []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneStopFailed},
			during: cph.PhoneStopping, success: cph.PhoneStopped, failure: cph.PhoneStopFailed, verb: "stop",
		}, true
	}
	return opRule{}, false
}

// PhoneBatch is a batch operation on phones.
type PhoneBatch struct {
	ProjectID string
	Kind      cph.OpKind
	ImageID   string         // optional: image to boot (restart, reset)
	Phones    []cph.PhoneRef // targets, in request order
	// Args, if set, are the arguments of every operation of the batch;
	// otherwise each operation gets cph.RestartArgs with the batch's image
	// and the phone's property.
	Args json.RawMessage
	// Factory makes a reset also return the phone's properties to its
	// image's defaults (cph.RestartArgs.Factory); for a project reset.
	Factory bool
	// Unbounded lifts Config.MaxBatch, for a batch the control plane
	// makes itself over a whole project.
	Unbounded bool
	// Accept, if set, is called in the batch's transaction for each phone
	// about to get a job, before the job is made: a refusal (code and
	// message) answers the phone's entry instead, and no job is made for
	// it. Only for kinds without a transient status.
	Accept func(ctx context.Context, tx *sqlstore.Tx, phoneID string) (code, msg string, err error)
	// Within, if set, runs at the end of the batch's transaction with what
	// it accepted; an error it returns rolls the whole batch back (for a
	// batch that must commit together with another change).
	Within func(ctx context.Context, tx *sqlstore.Tx, acc *Accepted) error
}

// Accepted is the answer to an accepted batch: its request id and one entry
// per distinct phone, in request order.
type Accepted struct {
	RequestID string
	Jobs      []cph.PhoneJob
}

// SubmitPhones validates a batch and, in one transaction, moves each
// acceptable phone to its transient status, creates its job and queues its
// operation. Phones that cannot take the operation get a per-item error
// (CPS.0004 malformed id, CPS.0005 unknown phone, CPS.9011 bad property,
// CPS.9001 status does not allow it) and nothing changes for them.
// Whole-request errors: CPS.0009 empty list, CPS.9010 too many phones,
// CPS.0030 unusable image.
func (e *Engine) SubmitPhones(ctx context.Context, b PhoneBatch) (*Accepted, error) {
	rule, ok := rules(b.Kind)
	if !ok {
		return nil, fmt.Errorf("engine: unknown operation kind %q", b.Kind)
	}
	if b.Accept != nil && rule.during != 0 {
		return nil, fmt.Errorf("engine: an accept check for %q, which has a transient status", b.Kind)
	}
	if len(b.Phones) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	if len(b.Phones) > e.cfg.MaxBatch && !b.Unbounded {
		return nil, cph.ErrTooManyItems("phones", e.cfg.MaxBatch)
	}
	faults, err := e.jobFaults(ctx, b)
	if err != nil {
		return nil, err
	}
	acc := &Accepted{RequestID: cph.NewOrderedID()}
	var woken []string
	ctx, t := withTally(ctx)
	err = e.db.BulkTx(ctx, func(tx *sqlstore.Tx) error {
		t.reset()
		acc.Jobs = acc.Jobs[:0]
		woken = woken[:0]
		if b.ImageID != "" {
			if _, err := tx.UsableImage(ctx, b.ProjectID, b.ImageID); err != nil {
				if errors.Is(err, sqlstore.ErrNotFound) {
					return cph.ErrInvalidImage()
				}
				return err
			}
		}
		// First pass: per-item checks that need no database, in request
		// order, one entry per distinct phone (a duplicate id is answered at
		// its first occurrence).
		type candidate struct {
			entry   int // index in acc.Jobs
			props   map[string]string
			factory bool
		}
		seen := map[string]bool{}
		var cands []candidate
		var ids []string
		for _, ref := range b.Phones {
			if seen[ref.PhoneID] {
				continue
			}
			seen[ref.PhoneID] = true
			item := cph.PhoneJob{PhoneID: ref.PhoneID}
			if !cph.ValidID(ref.PhoneID) {
				item.ErrorCode, item.ErrorMsg = cph.Refuse(cph.CodeInvalidPhoneID)
				acc.Jobs = append(acc.Jobs, item)
				continue
			}
			props, perr := cph.ParseProperty(ref.Property)
			if perr != nil {
				item.ErrorCode, item.ErrorMsg = cph.CodeInvalidParameter, "Parameter: property is invalid: "+perr.Error()+"."
				acc.Jobs = append(acc.Jobs, item)
				continue
			}
			cands = append(cands, candidate{entry: len(acc.Jobs), props: props, factory: ref.FactoryReset})
			ids = append(ids, ref.PhoneID)
			acc.Jobs = append(acc.Jobs, item)
		}
		// Second pass: the phones and their servers, read at once.
		phones, err := tx.PhoneBriefs(ctx, b.ProjectID, ids)
		if err != nil {
			return err
		}
		var serverIDs []string
		for _, p := range phones {
			if !slices.Contains(serverIDs, p.ServerID) {
				serverIDs = append(serverIDs, p.ServerID)
			}
		}
		servers, err := tx.ServerStatuses(ctx, serverIDs)
		if err != nil {
			return err
		}
		var eligible []string
		for _, c := range cands {
			item := &acc.Jobs[c.entry]
			p, ok := phones[item.PhoneID]
			switch {
			case !ok:
				item.ErrorCode, item.ErrorMsg = cph.Refuse(cph.CodePhoneNotFound)
			case servers[p.ServerID] != cph.ServerNormal:
				item.ErrorCode, item.ErrorMsg = cph.Refuse(cph.CodeServerUnavailable, "phone's server")
			case slices.Contains(rule.from, p.Status):
				eligible = append(eligible, p.ID)
			}
		}
		// The transient status is set by one conditional update: a phone
		// another request moved meanwhile is not changed, and refused.
		changed := make(map[string]bool, len(eligible))
		if rule.during != 0 {
			if changed, err = tx.SetPhonesStatus(ctx, eligible, rule.from, rule.during); err != nil {
				return err
			}
		} else {
			for _, id := range eligible {
				changed[id] = true
			}
		}
		// Boot times set for simulated phones travel in the operation's
		// arguments, so that any agent's simulated driver honours them.
		var bootTimes map[string]int64
		if b.Args == nil && (b.Kind == cph.OpRestartPhone || b.Kind == cph.OpResetPhone) {
			if bootTimes, err = tx.SimBootTimes(ctx, b.ProjectID, eligible); err != nil {
				return err
			}
		}
		var jobs []*cph.Job
		var ops []*cph.Operation
		now := cph.NewTime(tx.Now())
		for _, c := range cands {
			item := &acc.Jobs[c.entry]
			if item.ErrorCode != "" {
				continue
			}
			p := phones[item.PhoneID]
			if !changed[p.ID] {
				item.ErrorCode, item.ErrorMsg = cph.Refuse(cph.CodeStatusNotAllowed, fmt.Sprintf("phone status %d", p.Status))
				continue
			}
			if b.Accept != nil {
				code, msg, err := b.Accept(ctx, tx, p.ID)
				if err != nil {
					return err
				}
				if code != "" {
					item.ErrorCode, item.ErrorMsg = code, msg
					continue
				}
			}
			job := &cph.Job{
				ID: cph.NewOrderedID(), RequestID: acc.RequestID, ProjectID: b.ProjectID, Kind: b.Kind, Position: len(jobs),
				PhoneID: p.ID, ServerID: p.ServerID, Status: cph.JobRunning, BeginTime: now,
			}
			args := b.Args
			if args == nil {
				ra := cph.RestartArgs{ImageID: b.ImageID, Property: c.props, Factory: (b.Factory || c.factory) && b.Kind == cph.OpResetPhone}
				if ms, ok := bootTimes[p.ID]; ok {
					ra.BootTimeMS = &ms
				}
				if args, err = json.Marshal(ra); err != nil {
					return fmt.Errorf("engine: encode operation args: %w", err)
				}
			}
			jobs = append(jobs, job)
			t.accept(b.Kind)
			ops = append(ops, &cph.Operation{ID: cph.NewOrderedID(), JobID: job.ID, ServerID: p.ServerID, PhoneID: p.ID, Kind: b.Kind, Args: args})
			item.JobID = job.ID
			if !slices.Contains(woken, p.ServerID) {
				woken = append(woken, p.ServerID)
			}
		}
		if err := tx.CreateJobs(ctx, jobs); err != nil {
			return err
		}
		if err := tx.CreateOperations(ctx, ops); err != nil {
			return err
		}
		if b.Within != nil {
			if err := b.Within(ctx, tx, acc); err != nil {
				return err
			}
		}
		if err := e.applyJobFaults(ctx, tx, faults, ops); err != nil {
			return err
		}
		return tx.NotifyServers(ctx, woken)
	})
	if err != nil {
		return nil, err
	}
	e.emit(t)
	e.hub.wakeAll(woken)
	return acc, nil
}

// ErrSessionGone is returned to an agent whose session was replaced.
var ErrSessionGone = errors.New("engine: agent session replaced by a newer one")

// ErrNotClaimed is returned for a result of an operation the session does
// not hold (any more).
var ErrNotClaimed = errors.New("engine: operation not claimed by this session")

// StartSession starts a new agent session for serverID: operations claimed
// by earlier sessions go back to the queue, and a server marked down
// comes back with its phones in the state the agent reports (reported,
// by phone id; phones it does not report get their status from before
// the outage). It returns the session id.
func (e *Engine) StartSession(ctx context.Context, serverID string, reported map[string]cph.PhoneStatus) (string, error) {
	session := cph.NewID()
	var requeued int64
	var restored int
	err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		n, err := tx.StartAgentSession(ctx, serverID, session)
		if err != nil {
			return err
		}
		requeued = n
		restored, err = tx.MarkServerUp(ctx, serverID, reported)
		return err
	})
	if err != nil {
		return "", err
	}
	if restored > 0 {
		e.log.Info("server's agent is back; server normal again", "server_id", serverID, "phones_restored", restored)
	}
	if requeued > 0 {
		e.log.Info("agent session started; re-queued operations of the previous session", "server_id", serverID, "requeued", requeued)
	}
	e.hub.wake(serverID)
	return session, nil
}

// Poll is an agent's long-poll: it records the agent's heartbeat, then
// claims up to max pending operations of serverID, waiting up to wait for
// some to arrive. It returns no operations (and no error) when the wait
// ends empty or ctx ends.
func (e *Engine) Poll(ctx context.Context, serverID, sessionID string, wait time.Duration, max int) ([]*sqlstore.OperationRecord, error) {
	return e.poll(ctx, serverID, sessionID, wait, max, false)
}

// PollCurrent is Poll for a session the caller has just read as the
// server's current one (the agent's authentication reads it): the poll
// does not read it again before its first claim, unless the heartbeat is
// due, which checks it anyway.
func (e *Engine) PollCurrent(ctx context.Context, serverID, sessionID string, wait time.Duration, max int) ([]*sqlstore.OperationRecord, error) {
	return e.poll(ctx, serverID, sessionID, wait, max, true)
}

func (e *Engine) poll(ctx context.Context, serverID, sessionID string, wait time.Duration, max int, current bool) ([]*sqlstore.OperationRecord, error) {
	if max <= 0 || max > 100 {
		max = 100
	}
	deadline := time.Now().Add(wait)
	woken := false   // by work, in this poll
	wokeNow := false // by work, since the last look
	for {
		ok, err := e.touch(ctx, serverID, sessionID, woken, current)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrSessionGone
		}
		current = false // read again after a wait
		woke := e.hub.wait(serverID)
		// Look before claiming: the look is a read, which idle agents'
		// rechecks cost instead of a write. A poll woken by work claims
		// at once: the look would find the work that woke it.
		pending := wokeNow
		wokeNow = false
		if !pending {
			if pending, err = e.db.HasPendingOperations(ctx, serverID); err != nil {
				return nil, err
			}
		}
		if pending {
			ops, err := e.claim(ctx, sqlstore.ClaimRequest{ServerID: serverID, SessionID: sessionID, Max: max})
			if err != nil {
				return nil, err
			}
			if len(ops) > 0 {
				if o := e.cfg.Observer; o != nil {
					now := e.db.Now()
					for _, op := range ops {
						o.OperationClaimed(op.Kind, now.Sub(op.CreatedAt))
					}
				}
				return ops, nil
			}
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, nil
		}
		t := time.NewTimer(min(remaining, e.pollRecheck()))
		select {
		case <-woke:
			woken, wokeNow = true, true
			// Work arrived. Batches often come in a burst: wait a moment
			// so that one claim takes what the next few bring.
			t.Stop()
			t = time.NewTimer(claimLinger)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, nil
			}
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		}
		t.Stop()
	}
}

// claimLinger is how long a woken poll waits before it claims, so that one
// claim takes the operations of several batches accepted together. It
// adds as much to the dispatch latency of a lone operation. Claims of
// many servers made together are combined anyway (combined.go), so the
// wait only needs to cover batches accepted right after one another.
const claimLinger = 2 * time.Millisecond

// touch records the heartbeat of an agent session, or, when this replica
// recorded one less than touchEvery ago, only checks that the session is
// current. It reports false when the session was replaced.
//
// A poll woken by work (busy) writes the heartbeat only when the last one
// is older than twice the usual interval, still well within AgentTTL: the
// write would wait for a transaction of its own before the claim, and
// delay the dispatch of the work.
//
// current says that the caller has just read sessionID as the server's
// current session: then a touch that writes no heartbeat reads nothing.
func (e *Engine) touch(ctx context.Context, serverID, sessionID string, busy, current bool) (bool, error) {
	key := serverID + "/" + sessionID
	now := time.Now()
	e.touchMu.Lock()
	last, seen := e.touched[key]
	e.touchMu.Unlock()
	every := e.touchEvery()
	if busy {
		every = min(2*every, e.cfg.AgentTTL/3)
	}
	if seen && now.Sub(last) < every {
		if current {
			return true, nil
		}
		return e.db.AgentSessionIs(ctx, serverID, sessionID)
	}
	ok, err := e.heartbeats.Do(ctx, sqlstore.AgentSession{ServerID: serverID, SessionID: sessionID})
	if err == nil {
		err = ok.err
	}
	if err != nil || !ok.current {
		e.touchMu.Lock()
		delete(e.touched, key)
		e.touchMu.Unlock()
		return ok.current, err
	}
	e.touchMu.Lock()
	if len(e.touched) > 100_000 {
		clear(e.touched) // a bound; entries of ended sessions go here too
	}
	e.touched[key] = now
	e.touchMu.Unlock()
	return true, nil
}

// pollRecheck is how often a waiting poll re-reads the queue and renews
// its heartbeat: Config.PollRecheck, or more often under a short AgentTTL
// so that a waiting agent is never taken for silent.
func (e *Engine) pollRecheck() time.Duration {
	return min(e.cfg.PollRecheck, e.cfg.AgentTTL/3)
}

// touchEvery is how often a session's heartbeat is written: often enough
// that a live agent is never taken for silent (AgentTTL).
func (e *Engine) touchEvery() time.Duration {
	return min(e.cfg.AgentTTL/6, 5*time.Second)
}

// Release hands operations claimed by a poll whose answer never reached
// the agent back to the queue of serverID.
func (e *Engine) Release(ctx context.Context, serverID, sessionID string, ops []*sqlstore.OperationRecord) error {
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	if err := e.db.ReleaseOperations(ctx, sessionID, ids); err != nil {
		return err
	}
	e.hub.wake(serverID)
	return nil
}

// Result is an agent's report on one operation.
type Result struct {
	Success    bool
	ErrorCode  string
	ErrorMsg   string
	ExecuteMsg string
	// FailedPhones lists, for a server operation that acts on the
	// server's phones, the phones on which it failed.
	FailedPhones []string
	// Screenshot is the PNG of a successful OpScreenshot.
	Screenshot []byte
	// AppVersion is, for a successful OpPushShareApps, the versionName of
	// the package's base APK ("" when it could not be read).
	AppVersion string
}

// maxExecuteMsg is the most bytes of command output a job keeps.
const maxExecuteMsg = 1024

// ApplyResult records the outcome of operation opID reported by session
// sessionID of serverID: in one transaction the operation is done, its job
// final and its phone in the operation's success or failure status. It
// returns ErrNotClaimed if the session does not hold the operation.
//
// A result the store refuses for its data (see sqlstore.IsInvalidData)
// would be refused again however often the agent reported it: the job
// fails at once instead (unstorable).
func (e *Engine) ApplyResult(ctx context.Context, serverID, sessionID, opID string, r Result) error {
	err := e.applyResult(ctx, serverID, sessionID, opID, r)
	if sqlstore.IsInvalidData(err) {
		e.log.Warn("agent result could not be stored; failing its job", "server", serverID, "operation", opID, "err", err)
		err = e.applyResult(ctx, serverID, sessionID, opID, unstorable(err))
	}
	return err
}

// unstorable is the result recorded instead of one the store refused
// with err.
func unstorable(err error) Result {
	why := "a value the database cannot store"
	if errors.Is(err, sqlstore.ErrInvalidText) {
		why = "text with a NUL byte or invalid UTF-8"
	}
	code, msg := cph.Refuse(cph.CodeJobFailed, "the result the agent reported could not be stored ("+why+").")
	return Result{ErrorCode: code, ErrorMsg: msg}
}

func (e *Engine) applyResult(ctx context.Context, serverID, sessionID, opID string, r Result) error {
	return e.observedTx(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		op, err := tx.OperationByID(ctx, opID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return ErrNotClaimed
		} else if err != nil {
			return err
		}
		if op.ServerID != serverID {
			return ErrNotClaimed
		}
		done, err := tx.CompleteOperation(ctx, opID, sqlstore.OpClaimed, sessionID)
		if err != nil {
			return err
		}
		if !done {
			return ErrNotClaimed
		}
		tallyOf(ctx).run(op.Kind, tx.Now().Sub(op.LeaseUntil.Add(-e.cfg.Lease)))
		return e.finish(ctx, tx, op, r)
	})
}

// OpResult is the result of one operation, for ApplyResults.
type OpResult struct {
	OperationID string
	Result
}

// ApplyResults records the results of several operations reported by
// session sessionID of serverID, in one transaction. It returns one error
// per result, in order: nil when it was applied, ErrNotClaimed when the
// session does not hold the operation. A database failure fails the whole
// batch and is returned as err. When the store refuses the data of a
// result, the batch is applied one result at a time and the job of each
// refused one fails at once, as with ApplyResult.
func (e *Engine) ApplyResults(ctx context.Context, serverID, sessionID string, results []OpResult) ([]error, error) {
	errs, err := e.applyResults(ctx, serverID, sessionID, results)
	if !sqlstore.IsInvalidData(err) {
		return errs, err
	}
	errs = make([]error, len(results))
	for i, r := range results {
		one, err := e.applyResults(ctx, serverID, sessionID, results[i:i+1])
		if sqlstore.IsInvalidData(err) {
			e.log.Warn("agent result could not be stored; failing its job", "server", serverID, "operation", r.OperationID, "err", err)
			one, err = e.applyResults(ctx, serverID, sessionID, []OpResult{{OperationID: r.OperationID, Result: unstorable(err)}})
		}
		if err != nil {
			return nil, err
		}
		errs[i] = one[0]
	}
	return errs, nil
}

func (e *Engine) applyResults(ctx context.Context, serverID, sessionID string, results []OpResult) ([]error, error) {
	a, err := e.results.Do(ctx, resultBatch{serverID: serverID, sessionID: sessionID, results: results})
	if err != nil {
		return nil, err
	}
	return a.errs, a.err
}

// applyResultsAlone is applyResults in a transaction (a savepoint of a
// shared one) of its own.
func (e *Engine) applyResultsAlone(ctx context.Context, serverID, sessionID string, results []OpResult) ([]error, error) {
	errs := make([]error, len(results))
	ctx, t := withTally(ctx)
	err := e.db.GroupTx(ctx, func(tx *sqlstore.Tx) error {
		t.reset()
		clear(errs)
		ids := make([]string, 0, len(results))
		for _, r := range results {
			ids = append(ids, r.OperationID)
		}
		// One statement completes what the session holds and returns it.
		ops, err := tx.CompleteClaimed(ctx, serverID, sessionID, ids)
		if err != nil {
			return err
		}
		w := e.newResultWriter(tx, t)
		for i, r := range results {
			op := ops[r.OperationID]
			if op == nil {
				errs[i] = ErrNotClaimed
				continue
			}
			delete(ops, op.ID) // a result repeated in the batch applies once
			if err := w.apply(ctx, op, r.Result); err != nil {
				return err
			}
		}
		return w.flush(ctx)
	})
	if err != nil {
		return nil, err
	}
	e.emit(t)
	return errs, nil
}

// resultWriter applies the results of one transaction: plain successes
// (a phone back from its transient status, nothing else to record) are
// collected and written set by set by flush; every other result goes
// through finish at once.
type resultWriter struct {
	e      *Engine
	tx     *sqlstore.Tx
	t      *tally
	jobs   []string
	phones map[phoneMove][]string
}

// phoneMove is a status change of plain successes.
type phoneMove struct{ from, to cph.PhoneStatus }

func (e *Engine) newResultWriter(tx *sqlstore.Tx, t *tally) *resultWriter {
	return &resultWriter{e: e, tx: tx, t: t, jobs: []string{}, phones: map[phoneMove][]string{}}
}

// apply applies the result r of the completed operation op.
func (w *resultWriter) apply(ctx context.Context, op *sqlstore.OperationRecord, r Result) error {
	w.t.run(op.Kind, w.tx.Now().Sub(op.LeaseUntil.Add(-w.e.cfg.Lease)))
	if rule, ok := fastRule(op, r); ok {
		w.t.finish(op.Kind, true)
		w.jobs = append(w.jobs, op.JobID)
		k := phoneMove{rule.during, rule.success}
		w.phones[k] = append(w.phones[k], op.PhoneID)
		return nil
	}
	return w.e.finish(ctx, w.tx, op, r)
}

// flush writes the plain successes collected so far.
func (w *resultWriter) flush(ctx context.Context) error {
	if err := w.tx.SucceedJobs(ctx, w.jobs); err != nil {
		return err
	}
	for k, phones := range w.phones {
		if _, err := w.tx.SetPhonesStatus(ctx, phones, []cph.PhoneStatus{k.from}, k.to); err != nil {
			return err
		}
	}
	return nil
}

// fastRule returns the rule of op when its result r is a plain success:
// a phone operation that moves the phone back from a transient status and
// records nothing else (no command output, no image or property to keep,
// no extra step on success).
func fastRule(op *sqlstore.OperationRecord, r Result) (opRule, bool) {
	if !r.Success || r.ExecuteMsg != "" || op.PhoneID == "" {
		return opRule{}, false
	}
	if _, ok := serverRules()[op.Kind]; ok {
		return opRule{}, false
	}
	rule, ok := rules(op.Kind)
	if !ok || rule.during == 0 || rule.onSuccess != nil {
		return opRule{}, false
	}
	if op.Kind == cph.OpRestartPhone || op.Kind == cph.OpResetPhone {
		if a := string(op.Args); a != "" && a != "{}" && a != "null" {
			return opRule{}, false
		}
	}
	return rule, true
}

// finish writes the final status of op's job and phone.
func (e *Engine) finish(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, r Result) error {
	if sr, ok := serverRules()[op.Kind]; ok {
		return e.finishServer(ctx, tx, op, sr, r)
	}
	rule, ok := rules(op.Kind)
	if !ok {
		return fmt.Errorf("engine: operation %s has unknown kind %q", op.ID, op.Kind)
	}
	r = checkScreenshot(op, r)
	var execMsg *string
	if r.ExecuteMsg != "" {
		m := truncate(r.ExecuteMsg, maxExecuteMsg)
		execMsg = &m
	}
	if r.Success {
		if ended, err := tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: op.JobID, Status: cph.JobSucceeded, ExecuteMsg: execMsg}); err != nil {
			return err
		} else if ended {
			tallyOf(ctx).finish(op.Kind, true)
		}
		changed := true
		if rule.during != 0 {
			var err error
			if changed, err = tx.SetPhoneStatus(ctx, op.PhoneID, []cph.PhoneStatus{rule.during}, rule.success); err != nil {
				return err
			}
		}
		if changed && (op.Kind == cph.OpRestartPhone || op.Kind == cph.OpResetPhone) {
			if err := e.applyBootArgs(ctx, tx, op); err != nil {
				return err
			}
		}
		if changed && rule.onSuccess != nil {
			return rule.onSuccess(ctx, tx, op, r)
		}
		return nil
	}
	code, msg := r.ErrorCode, r.ErrorMsg
	if code == "" {
		code = cph.CodeJobFailed
	}
	if msg == "" {
		_, msg = cph.Refuse(cph.CodeJobFailed, "phone "+rule.verb+" failed.")
	}
	if ended, err := tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: op.JobID, Status: cph.JobFailed, ErrorCode: &code, ErrorMsg: &msg, ExecuteMsg: execMsg}); err != nil {
		return err
	} else if ended {
		tallyOf(ctx).finish(op.Kind, false)
	}
	if rule.during == 0 {
		return nil
	}
	_, err := tx.SetPhoneStatus(ctx, op.PhoneID, []cph.PhoneStatus{rule.during}, rule.failure)
	return err
}

// applyBootArgs records the image and properties a successful restart or
// reset booted the phone with.
func (e *Engine) applyBootArgs(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord) error {
	var args cph.RestartArgs
	if len(op.Args) > 0 {
		if err := json.Unmarshal(op.Args, &args); err != nil {
			return fmt.Errorf("engine: decode operation args: %w", err)
		}
	}
	if args.ImageID == "" && len(args.Property) == 0 && !args.Factory {
		return nil
	}
	phone, err := tx.PhoneByID(ctx, "", op.PhoneID)
	if err != nil {
		return err
	}
	if args.Factory {
		// A factory reset forgets the recorded and the custom properties.
		phone.Property = "{}"
		if err := tx.DeletePhoneCustomProperty(ctx, phone.ID); err != nil {
			return err
		}
	}
	imageID, version := phone.ImageID, phone.ImageVersion
	if args.ImageID != "" {
		im, err := tx.UsableImage(ctx, phone.ProjectID, args.ImageID)
		if err != nil {
			return fmt.Errorf("engine: image of operation %s: %w", op.ID, err)
		}
		imageID, version = im.ID, im.Version
	}
	props, err := cph.ParseProperty(phone.Property)
	if err != nil {
		props = map[string]string{}
	}
	for k, v := range args.Property {
		props[k] = v
	}
	return tx.SetPhoneImageAndProperty(ctx, phone.ID, imageID, version, cph.FormatProperty(props))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Run sweeps every Config.SweepInterval until ctx ends. On PostgreSQL it
// also listens for the wake-ups of other replicas.
func (e *Engine) Run(ctx context.Context) {
	go e.db.Listen(ctx, e.log, e.hub.wake)
	t := time.NewTicker(e.cfg.SweepInterval)
	defer t.Stop()
	for {
		if err := e.Sweep(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep re-queues or fails operations whose lease ran out, marks servers
// whose agent is silent past the TTL abnormal, and fails operations that
// waited too long for an agent, then moves scheduled events along (see
// sweepEvents). Each step is a conditional update, so concurrent sweeps
// (several replicas) are safe.
//
// A step runs only once this engine has been serving for at least its
// timeout: a timeout counts from the later of its event and the engine's
// start, so downtime of the control plane never counts against an agent.
func (e *Engine) Sweep(ctx context.Context) error {
	now := e.db.Now()
	// Holds of fault-injection rules end on the rules' own terms, whatever
	// the downtime.
	if err := e.sweepHolds(ctx, now); err != nil {
		return err
	}
	up := e.servingFor(now)
	if up >= e.cfg.Lease {
		if err := e.sweepLeases(ctx, now); err != nil {
			return err
		}
	}
	if up >= e.cfg.AgentTTL {
		silent, err := e.db.SilentServers(ctx, now.Add(-e.cfg.AgentTTL))
		if err != nil {
			return err
		}
		for _, id := range silent {
			if err := e.markDown(ctx, id, now.Add(-e.cfg.AgentTTL)); err != nil {
				return err
			}
		}
	}
	if up >= e.cfg.PendingTimeout {
		stale, err := e.db.StalePending(ctx, now.Add(-e.cfg.PendingTimeout), 500)
		if err != nil {
			return err
		}
		for _, op := range stale {
			if err := e.fail(ctx, op, sqlstore.OpPending, "the server's agent is unavailable."); err != nil {
				return err
			}
		}
	}
	return e.sweepEvents(ctx)
}

// sweepLeases re-queues operations whose lease ran out, or fails them
// after Config.MaxAttempts claims.
func (e *Engine) sweepLeases(ctx context.Context, now time.Time) error {
	expired, err := e.db.ExpiredLeases(ctx, now, 500)
	if err != nil {
		return err
	}
	for _, op := range expired {
		if op.Attempt < e.cfg.MaxAttempts {
			var requeued bool
			err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
				var err error
				if requeued, err = tx.RequeueOperation(ctx, op.ID); err != nil || !requeued {
					return err
				}
				return tx.NotifyServer(ctx, op.ServerID)
			})
			if err != nil {
				return err
			}
			if requeued {
				e.log.Warn("operation lease expired; re-queued", "operation_id", op.ID, "server_id", op.ServerID, "attempt", op.Attempt)
				e.hub.wake(op.ServerID)
			}
			continue
		}
		if err := e.fail(ctx, op, sqlstore.OpClaimed, "the server's agent did not report a result in time."); err != nil {
			return err
		}
	}
	return nil
}

// markDown handles a server whose agent went silent: in one transaction
// the server becomes abnormal, every open operation of it fails (so its
// phone leaves its transient status) and every phone becomes abnormal.
func (e *Engine) markDown(ctx context.Context, serverID string, cutoff time.Time) error {
	var failed int
	var marked bool
	ctx, t := withTally(ctx)
	err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		t.reset()
		failed = 0
		var err error
		marked, err = tx.MarkServerDown(ctx, serverID, cutoff)
		if err != nil || !marked {
			return err
		}
		ops, err := tx.OpenOperations(ctx, serverID)
		if err != nil {
			return err
		}
		for _, op := range ops {
			done, err := tx.CompleteOperation(ctx, op.ID, op.State, "")
			if err != nil {
				return err
			}
			if !done {
				continue
			}
			failed++
			code, msg := cph.Refuse(cph.CodeAgentOffline)
			if err := e.finish(ctx, tx, op, Result{ErrorCode: code, ErrorMsg: msg}); err != nil {
				return err
			}
		}
		return tx.MarkPhonesDown(ctx, serverID)
	})
	if err == nil {
		e.emit(t)
	}
	if err == nil && marked {
		e.log.Warn("server's agent is silent; server and phones marked abnormal", "server_id", serverID, "failed_operations", failed)
	}
	return err
}

// fail ends op (if it is still in state from) with a failed job; detail
// says why.
func (e *Engine) fail(ctx context.Context, op *sqlstore.OperationRecord, from, detail string) error {
	ctx, t := withTally(ctx)
	err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		t.reset()
		if from == sqlstore.OpClaimed {
			// Only if the lease is still expired: a re-claim renews it.
			cur, err := tx.OperationByID(ctx, op.ID)
			if err != nil {
				return err
			}
			if cur.State != sqlstore.OpClaimed || cur.LeaseUntil.After(tx.Now()) {
				return nil
			}
		}
		done, err := tx.CompleteOperation(ctx, op.ID, from, "")
		if err != nil || !done {
			return err
		}
		e.log.Warn("operation failed by the control plane", "operation_id", op.ID, "server_id", op.ServerID, "reason", detail)
		code, msg := cph.Refuse(cph.CodeJobFailed, detail)
		return e.finish(ctx, tx, op, Result{ErrorCode: code, ErrorMsg: msg})
	})
	if err == nil {
		e.emit(t)
	}
	return err
}

// hub wakes long-polls of a server when operations are queued for it.
type hub struct {
	mu      sync.Mutex
	waiters map[string]chan struct{}
}

// wait returns a channel that is closed at the next wake of serverID.
func (h *hub) wait(serverID string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, ok := h.waiters[serverID]
	if !ok {
		ch = make(chan struct{})
		h.waiters[serverID] = ch
	}
	return ch
}

// wakeAll wakes each of serverIDs.
func (h *hub) wakeAll(serverIDs []string) {
	for _, id := range serverIDs {
		h.wake(id)
	}
}

// wake closes the current wait channel of serverID.
func (h *hub) wake(serverID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch, ok := h.waiters[serverID]; ok {
		close(ch)
		delete(h.waiters, serverID)
	}
}
