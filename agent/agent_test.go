package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

const (
	credential = "agent-secret"
	// deadline bounds every wait of these tests; nothing should come close.
	deadline = 10 * time.Second
)

// fakeCP is a minimal control plane for the agent protocol: a queue of
// operations, claims per session and a record of the results it accepted.
// It follows agentproto's rules: a new session re-queues the operations the
// previous one had claimed but not finished.
type fakeCP struct {
	t      testing.TB
	server *httptest.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	phones   []agentproto.Phone
	sessions []string // every session started, in order
	current  string   // the valid session, "" if none
	ops      map[string]cph.Operation
	pending  []string          // operation IDs waiting to be claimed
	claimed  map[string]string // operation ID -> session ID
	results  []result          // accepted results, in order
	attempts map[string]int    // result posts per operation

	// Knobs.
	rejectSessions int             // answer that many session starts with 401
	failResults    int             // answer that many result posts with 503
	notClaimed     map[string]bool // answer results of these operations with 409
	goneResults    map[string]bool // answer the next result of these operations with 409 session gone
	singleResults  bool            // no batch results path, as an older control plane
	holdResults    chan struct{}   // if set, batch result posts wait until it is closed
	batches        []int           // sizes of the result batches accepted
}

// result is a result accepted by the fake control plane.
type result struct {
	OpID string
	agentproto.Result
}

func newFakeCP(t testing.TB, phones ...agentproto.Phone) *fakeCP {
	cp := &fakeCP{
		t:           t,
		changed:     make(chan struct{}),
		phones:      phones,
		ops:         make(map[string]cph.Operation),
		claimed:     make(map[string]string),
		attempts:    make(map[string]int),
		notClaimed:  make(map[string]bool),
		goneResults: make(map[string]bool),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+agentproto.SessionPath, cp.handleSession)
	mux.HandleFunc("POST "+agentproto.PollPath, cp.handlePoll)
	mux.HandleFunc("POST /agent/v1/operations/{id}/result", cp.handleResult)
	mux.HandleFunc("POST "+agentproto.ResultsPath, cp.handleResults)
	cp.server = httptest.NewServer(cp.authenticate(mux))
	t.Cleanup(cp.server.Close)
	return cp
}

// notify wakes parked polls. The caller holds cp.mu.
func (cp *fakeCP) notify() {
	close(cp.changed)
	cp.changed = make(chan struct{})
}

// enqueue adds operations to the queue.
func (cp *fakeCP) enqueue(ops ...cph.Operation) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	for _, op := range ops {
		cp.ops[op.ID] = op
		cp.pending = append(cp.pending, op.ID)
	}
	cp.notify()
}

// expireSession invalidates the current session, as if another agent of the
// same server had started one, and re-queues its claimed operations.
func (cp *fakeCP) expireSession() {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.current = ""
	cp.notify()
}

func (cp *fakeCP) sessionCount() int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return len(cp.sessions)
}

func (cp *fakeCP) resultsSnapshot() []result {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return slices.Clone(cp.results)
}

func (cp *fakeCP) attemptsFor(opID string) int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.attempts[opID]
}

// waitResult waits until the result of operation opID is accepted.
func (cp *fakeCP) waitResult(opID string) result {
	cp.t.Helper()
	var got result
	poll.Within(cp.t, deadline, "result of "+opID, func() bool {
		for _, r := range cp.resultsSnapshot() {
			if r.OpID == opID {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, agentproto.Error{Code: code, Message: msg})
}

func (cp *fakeCP) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+credential {
			writeError(w, http.StatusUnauthorized, agentproto.CodeUnauthorized, "bad credential")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (cp *fakeCP) handleSession(w http.ResponseWriter, r *http.Request) {
	var req agentproto.SessionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "AGENT.0400", err.Error())
		return
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.rejectSessions > 0 {
		cp.rejectSessions--
		writeError(w, http.StatusUnauthorized, agentproto.CodeUnauthorized, "credential revoked")
		return
	}
	id := fmt.Sprintf("s%d", len(cp.sessions)+1)
	cp.sessions = append(cp.sessions, id)
	cp.current = id
	for opID := range cp.claimed {
		cp.pending = append(cp.pending, opID)
		delete(cp.claimed, opID)
	}
	cp.notify()
	writeJSON(w, http.StatusOK, agentproto.SessionResponse{
		SessionID: id, ServerID: "server-1", Phones: cp.phones, PollWaitMillis: 60_000,
	})
}

func (cp *fakeCP) handlePoll(w http.ResponseWriter, r *http.Request) {
	var req agentproto.PollRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "AGENT.0400", err.Error())
		return
	}
	timer := time.NewTimer(time.Duration(req.WaitMillis) * time.Millisecond)
	defer timer.Stop()
	for {
		cp.mu.Lock()
		if req.SessionID != cp.current {
			cp.mu.Unlock()
			writeError(w, http.StatusConflict, agentproto.CodeSessionGone, "session replaced")
			return
		}
		if len(cp.pending) > 0 {
			resp := agentproto.PollResponse{}
			for _, id := range cp.pending {
				op := cp.ops[id]
				op.Attempt++
				cp.ops[id] = op
				cp.claimed[id] = req.SessionID
				resp.Operations = append(resp.Operations, op)
			}
			cp.pending = nil
			cp.mu.Unlock()
			writeJSON(w, http.StatusOK, resp)
			return
		}
		changed := cp.changed
		cp.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			writeJSON(w, http.StatusOK, agentproto.PollResponse{Operations: []cph.Operation{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (cp *fakeCP) handleResult(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var res agentproto.Result
	if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
		writeError(w, http.StatusBadRequest, "AGENT.0400", err.Error())
		return
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.attempts[id]++
	switch {
	case cp.failResults > 0:
		cp.failResults--
		writeError(w, http.StatusServiceUnavailable, "CPS.0003", "database unavailable")
	case cp.goneResults[id]:
		delete(cp.goneResults, id)
		writeError(w, http.StatusConflict, agentproto.CodeSessionGone, "session replaced")
	case cp.notClaimed[id]:
		writeError(w, http.StatusConflict, agentproto.CodeNotClaimed, "operation timed out")
	case res.SessionID != cp.current:
		writeError(w, http.StatusConflict, agentproto.CodeSessionGone, "session replaced")
	case cp.claimed[id] != res.SessionID:
		writeError(w, http.StatusConflict, agentproto.CodeNotClaimed, "operation not claimed")
	default:
		delete(cp.claimed, id)
		cp.results = append(cp.results, result{OpID: id, Result: res})
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

// handleResults takes a batch of results with the same knobs as
// handleResult: failures and session changes answer the whole request,
// unclaimed operations are answered per result.
func (cp *fakeCP) handleResults(w http.ResponseWriter, r *http.Request) {
	var req agentproto.ResultsRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "AGENT.0400", err.Error())
		return
	}
	cp.mu.Lock()
	hold := cp.holdResults
	cp.mu.Unlock()
	if hold != nil {
		<-hold
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.singleResults {
		http.NotFound(w, r)
		return
	}
	for _, res := range req.Results {
		cp.attempts[res.OperationID]++
	}
	if cp.failResults > 0 {
		cp.failResults--
		writeError(w, http.StatusServiceUnavailable, "CPS.0003", "database unavailable")
		return
	}
	for _, res := range req.Results {
		if cp.goneResults[res.OperationID] {
			delete(cp.goneResults, res.OperationID)
			writeError(w, http.StatusConflict, agentproto.CodeSessionGone, "session replaced")
			return
		}
	}
	if req.SessionID != cp.current {
		writeError(w, http.StatusConflict, agentproto.CodeSessionGone, "session replaced")
		return
	}
	var resp agentproto.ResultsResponse
	for _, res := range req.Results {
		id := res.OperationID
		st := agentproto.ResultStatus{OperationID: id}
		if cp.notClaimed[id] || cp.claimed[id] != req.SessionID {
			st.ErrorCode, st.ErrorMsg = agentproto.CodeNotClaimed, "operation not claimed"
		} else {
			delete(cp.claimed, id)
			res.SessionID = req.SessionID
			cp.results = append(cp.results, result{OpID: id, Result: res})
		}
		resp.Results = append(resp.Results, st)
	}
	cp.batches = append(cp.batches, len(req.Results))
	writeJSON(w, http.StatusOK, resp)
}

// startAgent runs an agent against the given URLs until the test ends.
// It returns a function that stops the agent and reports how long Run took
// to return.
func startAgent(t *testing.T, urls []string, driver runtime.Driver, configure func(*agent.Config)) (stop func() time.Duration) {
	t.Helper()
	cfg := agent.Config{
		ControlPlane:        urls,
		Credential:          credential,
		Driver:              driver,
		Logger:              slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		PollWait:            2 * time.Second,
		BackoffMin:          time.Millisecond,
		BackoffMax:          20 * time.Millisecond,
		UnauthorizedBackoff: 20 * time.Millisecond,
		RequestTimeout:      5 * time.Second,
		Version:             "test",
	}
	if configure != nil {
		configure(&cfg)
	}
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("Run returned %v, want nil", err)
				}
			case <-time.After(deadline):
				t.Errorf("Run did not return after its context was cancelled")
			}
			took = time.Since(start)
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return stop
}

func restartOp(id, phone string, args *cph.RestartArgs) cph.Operation {
	op := cph.Operation{ID: id, JobID: "job-" + id, ServerID: "server-1", PhoneID: phone, Kind: cph.OpRestartPhone}
	if args != nil {
		op.Args, _ = json.Marshal(args)
	}
	return op
}

func stopOp(id, phone string) cph.Operation {
	return cph.Operation{ID: id, JobID: "job-" + id, ServerID: "server-1", PhoneID: phone, Kind: cph.OpStopPhone}
}

func phoneInfo(t *testing.T, d runtime.Driver, id string) runtime.PhoneInfo {
	t.Helper()
	info, err := d.Phone(context.Background(), id)
	if err != nil {
		t.Fatalf("Phone(%s): %v", id, err)
	}
	return info
}

// phoneState returns a phone's state, or "" if the driver lacks it.
func phoneState(d runtime.Driver, id string) runtime.State {
	info, err := d.Phone(context.Background(), id)
	if err != nil {
		return ""
	}
	return info.State
}

func runningPhone(id string, index int) agentproto.Phone {
	return agentproto.Phone{ID: id, Name: "phone-" + id, Index: index, Status: cph.PhoneRunning, ImageID: "img-a"}
}

func TestNewValidatesConfig(t *testing.T) {
	d := sim.New(sim.Config{})
	for name, cfg := range map[string]agent.Config{
		"no URL":     {Driver: d},
		"no driver":  {ControlPlane: []string{"http://127.0.0.1:1"}},
		"bad scheme": {ControlPlane: []string{"ftp://cphd"}, Driver: d},
		"no host":    {ControlPlane: []string{"http://"}, Driver: d},
	} {
		if _, err := agent.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := agent.New(agent.Config{ControlPlane: []string{"http://127.0.0.1:8080/"}, Driver: d}); err != nil {
		t.Errorf("New with a valid config: %v", err)
	}
}

func TestSessionCreatesPhones(t *testing.T) {
	cp := newFakeCP(t,
		agentproto.Phone{ID: "running", Index: 1, Status: cph.PhoneRunning, Property: map[string]string{"sys.prop.writephonenum": "139"}},
		agentproto.Phone{ID: "restarting", Index: 2, Status: cph.PhoneRestarting},
		agentproto.Phone{ID: "stopping", Index: 3, Status: cph.PhoneStopping},
		agentproto.Phone{ID: "stopped", Index: 4, Status: cph.PhoneStopped},
		agentproto.Phone{ID: "restart-failed", Index: 5, Status: cph.PhoneRestartFailed},
		agentproto.Phone{ID: "abnormal", Index: 6, Status: cph.PhoneAbnormal},
	)
	d := sim.New(sim.Config{})
	startAgent(t, []string{cp.server.URL}, d, nil)
	poll.Within(t, deadline, "a session", func() bool { return cp.sessionCount() > 0 })

	want := map[string]runtime.State{
		"running":        runtime.StateRunning,
		"restarting":     runtime.StateRunning,
		"stopping":       runtime.StateRunning,
		"stopped":        runtime.StateStopped,
		"restart-failed": runtime.StateStopped,
		"abnormal":       runtime.StateStopped,
	}
	poll.Within(t, deadline, "phones in the driver", func() bool {
		phones, _ := d.Phones(context.Background())
		return len(phones) == len(want)
	})
	for id, state := range want {
		if got := phoneInfo(t, d, id).State; got != state {
			t.Errorf("phone %s: state %q, want %q", id, got, state)
		}
	}
	if got := phoneInfo(t, d, "running").Property["sys.prop.writephonenum"]; got != "139" {
		t.Errorf("provisioned property = %q, want 139", got)
	}
}

func TestWantsRunning(t *testing.T) {
	for _, s := range cph.PhoneStatuses() {
		want := s == cph.PhoneCreating || s == cph.PhoneRunning || s == cph.PhoneResetting ||
			s == cph.PhoneRestarting || s == cph.PhoneStopping
		if got := agent.WantsRunning(s); got != want {
			t.Errorf("WantsRunning(%v) = %v, want %v", s, got, want)
		}
	}
}

func TestOperationsExecuted(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1), agentproto.Phone{ID: "p2", Index: 2, Status: cph.PhoneStopped})
	d := sim.New(sim.Config{BootTime: time.Millisecond})
	startAgent(t, []string{cp.server.URL}, d, nil)

	if err := d.EnsurePhone(context.Background(), runtime.PhoneSpec{ID: "p3", Index: 3, Running: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.InstallPackage(context.Background(), "p3", sim.Package{Name: "com.example.app"}); err != nil {
		t.Fatal(err)
	}
	cp.enqueue(
		restartOp("op1", "p2", &cph.RestartArgs{ImageID: "img-b", Property: map[string]string{"sys.prop.writewifissid": "office"}}),
		stopOp("op2", "p1"),
		cph.Operation{ID: "op3", JobID: "job-op3", PhoneID: "p3", Kind: cph.OpResetPhone,
			Args: json.RawMessage(`{"property":{"com.cph.mainkeys":1,"persist.sys.locale":"fr-FR"}}`)},
	)
	for _, id := range []string{"op1", "op2", "op3"} {
		if r := cp.waitResult(id); !r.Success || r.ErrorCode != "" || r.ErrorMsg != "" {
			t.Errorf("result of %s = %+v, want success", id, r.Result)
		}
	}

	p1, p2, p3 := phoneInfo(t, d, "p1"), phoneInfo(t, d, "p2"), phoneInfo(t, d, "p3")
	if p1.State != runtime.StateStopped {
		t.Errorf("p1 state = %q, want stopped", p1.State)
	}
	if p2.State != runtime.StateRunning || p2.ImageID != "img-b" || p2.Property["sys.prop.writewifissid"] != "office" {
		t.Errorf("p2 = %+v, want running on img-b with the new SSID", p2)
	}
	if p3.State != runtime.StateRunning || p3.Property["com.cph.mainkeys"] != "1" || p3.Property["persist.sys.locale"] != "fr-FR" {
		t.Errorf("p3 = %+v, want running with the reset's properties", p3)
	}
	pkgs, err := d.Packages(context.Background(), "p3")
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(pkgs, func(p sim.Package) bool { return p.Name == "com.example.app" }) {
		t.Errorf("reset kept the user package: %v", pkgs)
	}
}

func TestFailuresReported(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1), runningPhone("p2", 2))
	d := sim.New(sim.Config{})
	if err := d.EnsurePhone(context.Background(), runtime.PhoneSpec{ID: "p1", Running: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.InjectFailure("p1", sim.OpRestart, "disk full"); err != nil {
		t.Fatal(err)
	}
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(
		restartOp("op1", "p1", nil),
		cph.Operation{ID: "op2", PhoneID: "p2", Kind: "explode_phone"},
		restartOp("op3", "unknown-phone", nil),
		cph.Operation{ID: "op4", PhoneID: "p2", Kind: cph.OpRestartPhone, Args: json.RawMessage(`{"image_id":42}`)},
	)

	r := cp.waitResult("op1")
	if r.Success || r.ErrorCode != cph.CodeJobFailed ||
		!strings.HasPrefix(r.ErrorMsg, "Job execution failed: phone restart failed: ") || !strings.Contains(r.ErrorMsg, "disk full") {
		t.Errorf("result of a failed restart = %+v", r.Result)
	}
	if got := phoneInfo(t, d, "p1").State; got != runtime.StateFailed {
		t.Errorf("p1 state = %q, want failed", got)
	}
	r = cp.waitResult("op2")
	if r.Success || r.ErrorCode != cph.CodeJobFailed || !strings.Contains(r.ErrorMsg, `"explode_phone"`) {
		t.Errorf("result of an unknown kind = %+v", r.Result)
	}
	r = cp.waitResult("op3")
	if r.Success || r.ErrorCode != cph.CodeJobFailed || !strings.Contains(r.ErrorMsg, "no such phone") {
		t.Errorf("result for an unknown phone = %+v", r.Result)
	}
	r = cp.waitResult("op4")
	if r.Success || r.ErrorCode != cph.CodeJobFailed || !strings.Contains(r.ErrorMsg, "invalid restart_phone arguments") {
		t.Errorf("result for bad arguments = %+v", r.Result)
	}
}

// tracingDriver wraps a driver and records, per phone, the order in which
// operations started and the most that ran at once, per phone and overall.
type tracingDriver struct {
	runtime.Driver

	mu       sync.Mutex
	started  map[string][]string // phone -> "restart"/"stop" in start order
	active   map[string]int
	maxPhone int
	total    int
	maxTotal int
}

func newTracingDriver(d runtime.Driver) *tracingDriver {
	return &tracingDriver{Driver: d, started: map[string][]string{}, active: map[string]int{}}
}

func (d *tracingDriver) enter(phone, what string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.started[phone] = append(d.started[phone], what)
	d.active[phone]++
	d.total++
	d.maxPhone = max(d.maxPhone, d.active[phone])
	d.maxTotal = max(d.maxTotal, d.total)
}

func (d *tracingDriver) leave(phone string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.active[phone]--
	d.total--
}

func (d *tracingDriver) Restart(ctx context.Context, id string, opts runtime.RestartOptions) error {
	d.enter(id, "restart")
	defer d.leave(id)
	return d.Driver.Restart(ctx, id, opts)
}

func (d *tracingDriver) Stop(ctx context.Context, id string) error {
	d.enter(id, "stop")
	defer d.leave(id)
	return d.Driver.Stop(ctx, id)
}

func TestPerPhoneOrderAndConcurrency(t *testing.T) {
	var phones []agentproto.Phone
	for i := range 6 {
		phones = append(phones, runningPhone(fmt.Sprintf("p%d", i), i))
	}
	cp := newFakeCP(t, phones...)
	d := newTracingDriver(sim.New(sim.Config{BootTime: 20 * time.Millisecond}))
	startAgent(t, []string{cp.server.URL}, d, func(c *agent.Config) { c.Concurrency = 2 })
	poll.Within(t, deadline, "a session", func() bool { return cp.sessionCount() > 0 })

	// p0 gets an alternating sequence; a stop is much faster than a boot,
	// so any reordering would show in the results.
	var ops []cph.Operation
	var wantP0 []string
	for i := range 6 {
		id := fmt.Sprintf("p0-op%d", i)
		if i%2 == 0 {
			ops = append(ops, restartOp(id, "p0", &cph.RestartArgs{Property: map[string]string{"seq": id}}))
			wantP0 = append(wantP0, "restart")
		} else {
			ops = append(ops, stopOp(id, "p0"))
			wantP0 = append(wantP0, "stop")
		}
	}
	for i := 1; i < 6; i++ {
		ops = append(ops, restartOp(fmt.Sprintf("p%d-op", i), fmt.Sprintf("p%d", i), nil))
	}
	cp.enqueue(ops...)
	poll.Within(t, deadline, "all results", func() bool { return len(cp.resultsSnapshot()) == len(ops) })

	var gotP0 []string
	for _, r := range cp.resultsSnapshot() {
		if !r.Success {
			t.Errorf("result of %s = %+v, want success", r.OpID, r.Result)
		}
		if strings.HasPrefix(r.OpID, "p0-") {
			gotP0 = append(gotP0, r.OpID)
		}
	}
	wantIDs := []string{"p0-op0", "p0-op1", "p0-op2", "p0-op3", "p0-op4", "p0-op5"}
	if !slices.Equal(gotP0, wantIDs) {
		t.Errorf("results of p0 in order %v, want %v", gotP0, wantIDs)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Equal(d.started["p0"], wantP0) {
		t.Errorf("p0 operations started in order %v, want %v", d.started["p0"], wantP0)
	}
	if d.maxPhone != 1 {
		t.Errorf("at most %d operations ran at once on one phone, want 1", d.maxPhone)
	}
	if d.maxTotal != 2 {
		t.Errorf("at most %d operations ran at once, want exactly Concurrency = 2", d.maxTotal)
	}
	if got := phoneInfo(t, d, "p0"); got.State != runtime.StateStopped || got.Property["seq"] != "p0-op4" {
		t.Errorf("p0 = %+v, want stopped after the last restart p0-op4", got)
	}
}

func TestResultRetriedAfter503(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	cp.failResults = 2
	d := sim.New(sim.Config{})
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(restartOp("op1", "p1", nil))

	if r := cp.waitResult("op1"); !r.Success {
		t.Errorf("result = %+v, want success", r.Result)
	}
	if got := cp.attemptsFor("op1"); got != 3 {
		t.Errorf("result posted %d times, want 3 (two 503s, then accepted)", got)
	}
	if got := phoneInfo(t, d, "p1").BootCount; got != 2 {
		t.Errorf("boot count = %d, want 2: the operation must run once", got)
	}
}

func TestResultsTravelInBatches(t *testing.T) {
	var phones []agentproto.Phone
	var ops []cph.Operation
	for i := range 30 {
		id := fmt.Sprintf("p%02d", i)
		phones = append(phones, runningPhone(id, i+1))
		ops = append(ops, restartOp("op-"+id, id, nil))
	}
	cp := newFakeCP(t, phones...)
	release := make(chan struct{})
	cp.holdResults = release
	d := sim.New(sim.Config{})
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(ops...)
	// Every operation runs while the first result post is held.
	poll.Within(t, deadline, "all restarts", func() bool {
		for _, p := range phones {
			if info, err := d.Phone(context.Background(), p.ID); err != nil || info.BootCount < 2 {
				return false
			}
		}
		return true
	})
	close(release)
	poll.Within(t, deadline, "all results", func() bool { return len(cp.resultsSnapshot()) == len(ops) })
	cp.mu.Lock()
	batches := slices.Clone(cp.batches)
	cp.mu.Unlock()
	total := 0
	for _, n := range batches {
		total += n
	}
	if total != len(ops) || len(batches) > 2 {
		t.Errorf("result batches %v, want %d results in at most 2 requests (the held one and the rest)", batches, len(ops))
	}
}

func TestObserversSeeDeliveriesAndAppliedResults(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1), runningPhone("p2", 2))
	cp.notClaimed["op2"] = true // refused: never applied
	var mu sync.Mutex
	delivered, applied := map[string]bool{}, map[string]bool{}
	d := sim.New(sim.Config{})
	startAgent(t, []string{cp.server.URL}, d, func(c *agent.Config) {
		c.OnOperation = func(op cph.Operation, _ time.Time) { mu.Lock(); delivered[op.ID] = true; mu.Unlock() }
		c.OnResult = func(op cph.Operation, _ time.Time) { mu.Lock(); applied[op.ID] = true; mu.Unlock() }
	})
	cp.enqueue(restartOp("op1", "p1", nil), restartOp("op2", "p2", nil))
	cp.waitResult("op1")
	poll.Within(t, deadline, "op2 refused", func() bool { return cp.attemptsFor("op2") > 0 })
	poll.Within(t, deadline, "op1 seen applied", func() bool { mu.Lock(); defer mu.Unlock(); return applied["op1"] })
	mu.Lock()
	defer mu.Unlock()
	if !delivered["op1"] || !delivered["op2"] {
		t.Errorf("delivered = %v, want op1 and op2", delivered)
	}
	if applied["op2"] {
		t.Error("a refused result was reported applied")
	}
}

func TestResultsToControlPlaneWithoutBatches(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1), runningPhone("p2", 2))
	cp.singleResults = true
	d := sim.New(sim.Config{})
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(restartOp("op1", "p1", nil), stopOp("op2", "p2"))
	for _, id := range []string{"op1", "op2"} {
		if r := cp.waitResult(id); !r.Success {
			t.Errorf("result of %s = %+v, want success", id, r.Result)
		}
	}
	if got := phoneState(d, "p2"); got != runtime.StateStopped {
		t.Errorf("p2 = %q, want stopped", got)
	}
}

func TestNotClaimedResultDropped(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	cp.notClaimed["op1"] = true
	d := sim.New(sim.Config{})
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(restartOp("op1", "p1", nil), stopOp("op2", "p1"))

	// Results of one phone are settled in order: once op2's is in, op1's
	// has been dropped.
	if r := cp.waitResult("op2"); !r.Success {
		t.Errorf("result of op2 = %+v, want success", r.Result)
	}
	if got := cp.attemptsFor("op1"); got != 1 {
		t.Errorf("not-claimed result posted %d times, want 1", got)
	}
	for _, r := range cp.resultsSnapshot() {
		if r.OpID == "op1" {
			t.Errorf("op1 has an accepted result: %+v", r)
		}
	}
	if cp.sessionCount() != 1 {
		t.Errorf("%d sessions, want 1: a not-claimed result must not end the session", cp.sessionCount())
	}
}

func TestSessionGoneStartsNewSession(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	d := sim.New(sim.Config{})
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(restartOp("op1", "p1", nil))
	if r := cp.waitResult("op1"); r.SessionID != "s1" {
		t.Errorf("op1 reported under session %q, want s1", r.SessionID)
	}

	cp.expireSession()
	poll.Within(t, deadline, "a second session", func() bool { return cp.sessionCount() == 2 })
	cp.enqueue(stopOp("op2", "p1"))
	if r := cp.waitResult("op2"); !r.Success || r.SessionID != "s2" {
		t.Errorf("op2 result = %+v, want success under session s2", r.Result)
	}
	if got := phoneInfo(t, d, "p1").State; got != runtime.StateStopped {
		t.Errorf("p1 state = %q, want stopped", got)
	}
}

func TestSessionGoneWhileOperationRuns(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	d := newTracingDriver(sim.New(sim.Config{BootTime: 500 * time.Millisecond}))
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(restartOp("op1", "p1", nil))
	poll.Within(t, deadline, "the restart to start", func() bool {
		return phoneState(d, "p1") == runtime.StateBooting
	})

	// The new session re-delivers op1 while the agent still runs it: the
	// agent reports it under the new session instead of running it again.
	cp.expireSession()
	r := cp.waitResult("op1")
	if !r.Success || r.SessionID != "s2" {
		t.Errorf("op1 result = %+v, want success under session s2", r.Result)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if got := len(d.started["p1"]); got != 1 {
		t.Errorf("op1 executed %d times, want 1", got)
	}
}

func TestSessionGoneOnResult(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	cp.goneResults["op1"] = true
	d := sim.New(sim.Config{})
	// With a one-minute poll, only the result's answer can end the session
	// in time.
	startAgent(t, []string{cp.server.URL}, d, func(c *agent.Config) { c.PollWait = time.Minute })
	cp.enqueue(restartOp("op1", "p1", nil))

	// The agent drops the result, starts a new session, gets op1 again
	// and reports it there.
	r := cp.waitResult("op1")
	if !r.Success || r.SessionID != "s2" {
		t.Errorf("op1 result = %+v, want success under session s2", r.Result)
	}
	if got := cp.attemptsFor("op1"); got != 2 {
		t.Errorf("op1 result posted %d times, want 2", got)
	}
}

func TestUnauthorizedRetried(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	cp.rejectSessions = 2
	d := sim.New(sim.Config{})
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(restartOp("op1", "p1", nil))
	if r := cp.waitResult("op1"); !r.Success || r.SessionID != "s1" {
		t.Errorf("result = %+v, want success under the first accepted session", r.Result)
	}
}

func TestFailover(t *testing.T) {
	// A URL nothing listens on.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	// A replica that fails every request.
	var brokenHits atomic.Int64
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		brokenHits.Add(1)
		writeError(w, http.StatusBadGateway, "", "bad gateway")
	}))
	t.Cleanup(broken.Close)

	cp := newFakeCP(t, runningPhone("p1", 1))
	d := sim.New(sim.Config{})
	startAgent(t, []string{deadURL, broken.URL, cp.server.URL}, d, nil)
	cp.enqueue(restartOp("op1", "p1", nil), stopOp("op2", "p1"))
	for _, id := range []string{"op1", "op2"} {
		if r := cp.waitResult(id); !r.Success {
			t.Errorf("result of %s = %+v, want success", id, r.Result)
		}
	}
	if brokenHits.Load() == 0 {
		t.Error("the broken replica was never tried")
	}
	// Once a URL answers, the agent sticks to it.
	before := brokenHits.Load()
	cp.enqueue(restartOp("op3", "p1", nil))
	cp.waitResult("op3")
	if after := brokenHits.Load(); after != before {
		t.Errorf("broken replica got %d more requests after failover, want 0", after-before)
	}
}

func TestAllControlPlanesDownThenUp(t *testing.T) {
	// The agent keeps retrying while no control plane answers.
	var up atomic.Bool
	cp := newFakeCP(t, runningPhone("p1", 1))
	var downHits atomic.Int64
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			downHits.Add(1)
			writeError(w, http.StatusServiceUnavailable, "", "starting")
			return
		}
		cp.server.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(gate.Close)
	d := sim.New(sim.Config{})
	startAgent(t, []string{gate.URL}, d, nil)
	poll.Within(t, deadline, "retries", func() bool { return downHits.Load() >= 3 })
	up.Store(true)
	cp.enqueue(restartOp("op1", "p1", nil))
	if r := cp.waitResult("op1"); !r.Success {
		t.Errorf("result = %+v, want success", r.Result)
	}
}

func TestRunReturnsPromptlyOnCancel(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	d := sim.New(sim.Config{BootTime: time.Hour})
	stop := startAgent(t, []string{cp.server.URL}, d, func(c *agent.Config) { c.PollWait = time.Minute })
	cp.enqueue(restartOp("op1", "p1", nil))
	poll.Within(t, deadline, "the restart to start", func() bool {
		return phoneState(d, "p1") == runtime.StateBooting
	})

	// Run is parked in a long-poll and an operation is executing.
	if took := stop(); took > 2*time.Second {
		t.Errorf("Run took %v to return after cancel", took)
	}
	if got := cp.resultsSnapshot(); len(got) != 0 {
		t.Errorf("results after cancel = %+v, want none: an abandoned operation is delivered again", got)
	}
	if got := phoneInfo(t, d, "p1").State; got != runtime.StateFailed {
		t.Errorf("p1 state = %q, want failed after its boot was interrupted", got)
	}
}

func TestRunTwice(t *testing.T) {
	cp := newFakeCP(t)
	a, err := agent.New(agent.Config{ControlPlane: []string{cp.server.URL}, Credential: credential, Driver: sim.New(sim.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	poll.Within(t, deadline, "a session", func() bool { return cp.sessionCount() > 0 })
	if err := a.Run(ctx); err == nil {
		t.Error("a second concurrent Run succeeded")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func TestProtocolError(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &agent.ProtocolError{Status: 409, Code: agentproto.CodeSessionGone, Message: "gone"})
	var pe *agent.ProtocolError
	if !errors.As(err, &pe) || pe.Code != agentproto.CodeSessionGone {
		t.Fatalf("errors.As = %v", pe)
	}
	if got, want := pe.Error(), "AGENT.0409 (HTTP 409): gone"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
