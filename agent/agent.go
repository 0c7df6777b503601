// Package agent is the OpenCPH agent: the program that runs on a phone
// server, pulls operations for that server's phones from the control plane
// (cphd) and executes them through a runtime driver. It implements the
// client side of package agentproto.
//
// An Agent's Run loop starts a session, makes sure every phone of the
// server exists in the driver, then long-polls for operations. Each
// operation runs in its own goroutine, at most Config.Concurrency at once;
// operations on the same phone run one at a time, in the order they
// arrived, and so are their results reported. Results are posted back with
// retries while the control plane is unreachable.
//
// Failure handling:
//
//   - A connection error or a 5xx answer makes the agent try the next URL
//     of Config.ControlPlane at once; when none answers, it backs off
//     (exponentially with jitter, Config.BackoffMin to Config.BackoffMax)
//     and tries again. Run never returns because of such errors.
//   - 409 with agentproto.CodeSessionGone, from any call, ends the session:
//     the agent starts a new one. The control plane then hands the
//     operations the old session had not finished back to the queue, so
//     they are delivered again.
//   - 401 is logged at error level and retried after
//     Config.UnauthorizedBackoff.
//   - 410 with agentproto.CodeServerDeleted (the server was deleted, so
//     its credential will never work again) ends Run with an error that
//     wraps ErrServerDeleted.
//   - A result answered with 409 agentproto.CodeNotClaimed is dropped: the
//     control plane has already timed the operation out or handed it to
//     another session.
//
// Known limits: operations are executed at least once, not exactly once;
// after a lost session an operation may run twice (which is harmless for
// restart, stop and reset). Operations in flight when Run's context ends
// are abandoned without a result and are delivered again to the next
// session. The agent claims as many operations per poll as the control
// plane hands out; Concurrency only bounds how many execute at once. A
// phone that joins the server after the session started is unknown to the
// driver until the next session.
package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/runtime"
)

// Defaults of Config.
const (
	// DefaultPollWait is the default of Config.PollWait.
	DefaultPollWait = 25 * time.Second
	// DefaultConcurrency is the default of Config.Concurrency.
	DefaultConcurrency = 32
	// DefaultBackoffMin is the default of Config.BackoffMin.
	DefaultBackoffMin = 200 * time.Millisecond
	// DefaultBackoffMax is the default of Config.BackoffMax.
	DefaultBackoffMax = 15 * time.Second
	// DefaultUnauthorizedBackoff is the default of Config.UnauthorizedBackoff.
	DefaultUnauthorizedBackoff = time.Minute
	// DefaultRequestTimeout is the default of Config.RequestTimeout.
	DefaultRequestTimeout = 30 * time.Second
)

// Config configures an Agent. ControlPlane and Driver are required; every
// other field has a default.
type Config struct {
	// ControlPlane lists one or more cphd base URLs, such as
	// "http://127.0.0.1:8080". On a connection error or a 5xx answer the
	// agent fails over to the next one.
	ControlPlane []string
	// Credential is the server's agent credential, sent as
	// "Authorization: Bearer <Credential>".
	Credential string
	// Driver runs the phones.
	Driver runtime.Driver
	// HTTPClient makes the requests. The default has connection timeouts
	// but no overall timeout; every request gets its own deadline instead
	// (RequestTimeout, plus the poll wait for polls). A client with a
	// Timeout shorter than PollWait cuts long-polls short.
	HTTPClient *http.Client
	// Logger receives the agent's logs. The default discards them.
	Logger *slog.Logger
	// PollWait is how long a poll may wait for work (default 25s); the
	// control plane may cap it lower.
	PollWait time.Duration
	// Concurrency is the most operations executed at once (default 32).
	Concurrency int
	// Version is the agent's software version, reported at session start.
	Version string
	// BackoffMin and BackoffMax bound the exponential backoff between
	// retries (defaults 200ms and 15s). Each wait is drawn at random from
	// the upper half of the current step.
	BackoffMin time.Duration
	BackoffMax time.Duration
	// UnauthorizedBackoff is the least time the agent waits after the
	// control plane rejected its credential (default 1m).
	UnauthorizedBackoff time.Duration
	// RequestTimeout bounds each request other than the poll's wait
	// (default 30s).
	RequestTimeout time.Duration
	// OnOperation, if set, is called with each operation a poll delivers
	// and the time the poll's answer arrived, before the operation is
	// queued for execution. It must not block; load tools use it to
	// measure dispatch latency.
	OnOperation func(op cph.Operation, received time.Time)
	// OnResult, if set, is called with each operation whose result the
	// control plane has applied (its job is final from then on) and the
	// time the acknowledgement arrived. It must not block.
	OnResult func(op cph.Operation, applied time.Time)
	// RemoveUnknownPhones makes the agent remove, at session start, the
	// runtime's phones that the control plane does not know (containers
	// of deleted phones); by default they are only logged.
	RemoveUnknownPhones bool
}

// Agent runs the phones of one server on behalf of the control plane.
// Create it with New and start it with Run.
type Agent struct {
	bases      []string
	credential string
	driver     runtime.Driver
	client     *http.Client
	log        *slog.Logger
	version    string

	pollWait            time.Duration
	concurrency         int
	backoffMin          time.Duration
	backoffMax          time.Duration
	unauthorizedBackoff time.Duration
	requestTimeout      time.Duration
	onOperation         func(cph.Operation, time.Time)
	onResult            func(cph.Operation, time.Time)
	removeUnknown       bool
	reports             *reports

	endpoint atomic.Int64            // index in bases of the URL to try first
	session  atomic.Pointer[session] // the current session, nil before the first
	running  atomic.Bool
}

// New validates cfg, fills in its defaults and returns an Agent.
func New(cfg Config) (*Agent, error) {
	if len(cfg.ControlPlane) == 0 {
		return nil, errors.New("agent: no control plane URL")
	}
	if cfg.Driver == nil {
		return nil, errors.New("agent: no runtime driver")
	}
	a := &Agent{
		credential:          cfg.Credential,
		driver:              cfg.Driver,
		client:              cfg.HTTPClient,
		log:                 cfg.Logger,
		version:             cfg.Version,
		pollWait:            orDefault(cfg.PollWait, DefaultPollWait),
		concurrency:         cfg.Concurrency,
		backoffMin:          orDefault(cfg.BackoffMin, DefaultBackoffMin),
		backoffMax:          orDefault(cfg.BackoffMax, DefaultBackoffMax),
		unauthorizedBackoff: orDefault(cfg.UnauthorizedBackoff, DefaultUnauthorizedBackoff),
		requestTimeout:      orDefault(cfg.RequestTimeout, DefaultRequestTimeout),
		onOperation:         cfg.OnOperation,
		onResult:            cfg.OnResult,
		removeUnknown:       cfg.RemoveUnknownPhones,
		reports:             newReports(),
	}
	if n, ok := cfg.Driver.(runtime.StateNotifier); ok {
		n.NotifyStates(a.reports.add)
	}
	for _, raw := range cfg.ControlPlane {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("agent: control plane URL %q: %w", raw, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("agent: control plane URL %q: want http(s)://host[:port]", raw)
		}
		a.bases = append(a.bases, strings.TrimRight(raw, "/"))
	}
	if a.concurrency <= 0 {
		a.concurrency = DefaultConcurrency
	}
	a.backoffMax = max(a.backoffMax, a.backoffMin)
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.client == nil {
		a.client = defaultHTTPClient()
	}
	return a, nil
}

// orDefault returns d if v is not positive, and v otherwise.
func orDefault(v, d time.Duration) time.Duration {
	if v <= 0 {
		return d
	}
	return v
}

// defaultHTTPClient returns a client with connection-level timeouts only,
// so that long-polls are bounded by their request contexts.
func defaultHTTPClient() *http.Client { return NewHTTPClient(nil) }

// NewHTTPClient returns the agent's default HTTP client (connection-level
// timeouts only, so that long-polls are bounded by their request
// contexts) with the TLS configuration tlsConfig (nil: Go's default, which
// trusts the system's CA certificates).
func NewHTTPClient(tlsConfig *tls.Config) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				Timeout:   10 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSClientConfig:       tlsConfig,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   16,
		},
	}
}

// session is one agent session.
type session struct {
	id       string
	serverID string
	pollWait time.Duration
	// ctx is done when the session has ended, with the reason as its cause.
	ctx context.Context
	end context.CancelCauseFunc
}

// ErrServerDeleted is wrapped by the error Run returns when the control
// plane says the agent's server was deleted.
var ErrServerDeleted = errors.New("agent: the server was deleted from the control plane")

// Run runs the agent until ctx is done, then waits for the operations in
// progress to be abandoned and returns nil. Transient errors (an
// unreachable control plane, 5xx answers, a lost session, a rejected
// credential) are logged and retried; they never end Run. Run returns an
// error wrapping ErrServerDeleted when the control plane says the server
// was deleted, and an error when it is called while another Run of the
// same Agent is active.
func (a *Agent) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("agent: Run is already active")
	}
	defer a.running.Store(false)

	// The dispatcher ends with Run, whatever ends it.
	dctx, cancel := context.WithCancel(ctx)
	d := newDispatcher(dctx, a)
	defer d.wait()
	defer cancel()
	rctx, stopReports := context.WithCancel(ctx)
	reportsDone := make(chan struct{})
	go func() { defer close(reportsDone); a.runReports(rctx) }()
	defer func() { stopReports(); <-reportsDone }()

	a.log.Info("agent starting", "control_plane", a.bases, "version", a.version)
	bo := a.newBackoff()
	for {
		err := a.runSession(ctx, d, bo)
		if ctx.Err() != nil {
			a.log.Info("agent stopping")
			return nil
		}
		if isServerDeleted(err) {
			a.log.Error("the control plane says this server was deleted; stopping", "err", err)
			return fmt.Errorf("%w: %w", ErrServerDeleted, err)
		}
		wait := bo.next()
		if isUnauthorized(err) {
			wait = max(wait, a.unauthorizedBackoff)
			a.log.Error("control plane rejected the agent credential", "err", err, "retry_in", wait)
		} else {
			a.log.Warn("session interrupted", "err", err, "retry_in", wait)
		}
		if !sleep(ctx, wait) {
			a.log.Info("agent stopping")
			return nil
		}
	}
}

// runSession starts a session and polls for operations until the session
// must be replaced or ctx is done. It always returns a non-nil error
// saying why it stopped. bo is reset once a poll succeeds.
func (a *Agent) runSession(ctx context.Context, d *dispatcher, bo *backoff) error {
	var resp agentproto.SessionResponse
	req := agentproto.SessionRequest{Version: a.version}
	if phones, err := a.driver.Phones(ctx); err == nil {
		for _, p := range phones {
			req.Phones = append(req.Phones, phoneState(p))
		}
	}
	err := a.call(ctx, agentproto.SessionPath, a.requestTimeout, req, &resp)
	if err != nil {
		return fmt.Errorf("agent: start session: %w", err)
	}
	if resp.SessionID == "" {
		return errors.New("agent: start session: answer has no session_id")
	}
	sess := &session{id: resp.SessionID, serverID: resp.ServerID, pollWait: a.pollWait}
	if limit := time.Duration(resp.PollWaitMillis) * time.Millisecond; limit > 0 {
		sess.pollWait = min(sess.pollWait, limit)
	}
	sess.ctx, sess.end = context.WithCancelCause(ctx)
	defer sess.end(errors.New("session replaced"))
	a.session.Store(sess)
	log := a.log.With("session", sess.id, "server_id", sess.serverID)
	log.Info("session started", "phones", len(resp.Phones), "poll_wait", sess.pollWait)

	a.ensurePhones(ctx, log, resp.Phones)
	a.reportUnknownPhones(ctx, log, resp.Phones)
	if phones, err := a.driver.Phones(ctx); err == nil {
		for _, p := range phones {
			if p.Access.Port > 0 || p.Access.IntranetIP != "" {
				a.reports.add(p)
			}
		}
	}
	select {
	case a.reports.wake <- struct{}{}: // send what waited for a session
	default:
	}

	pollBo := a.newBackoff()
	for {
		var poll agentproto.PollResponse
		before := a.endpoint.Load()
		err := a.call(sess.ctx, agentproto.PollPath, sess.pollWait+a.requestTimeout,
			agentproto.PollRequest{SessionID: sess.id, WaitMillis: sess.pollWait.Milliseconds()}, &poll)
		if err == nil && a.onOperation != nil {
			received := time.Now()
			for _, op := range poll.Operations {
				a.onOperation(op, received)
			}
		}
		if err == nil && a.endpoint.Load() != before {
			// The poll failed over to another control plane: the one that
			// failed may have claimed operations whose answer never
			// arrived. Take what came, then start a new session, which
			// hands those operations out again at once.
			for _, op := range poll.Operations {
				d.submit(sess, op)
			}
			return errors.New("agent: control plane changed during a poll")
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case sess.ctx.Err() != nil:
			return fmt.Errorf("agent: session %s: %w", sess.id, context.Cause(sess.ctx))
		case isSessionGone(err), isUnauthorized(err):
			return fmt.Errorf("agent: poll: %w", err)
		case !isRetryable(err):
			// A request the control plane refuses for this session will
			// not succeed by repeating it: start afresh.
			return fmt.Errorf("agent: poll: %w", err)
		case !isProtocolError(err):
			// The connection broke during the poll (a replica died, the
			// network failed): the control plane may have claimed
			// operations whose answer never arrived. A new session hands
			// them out again at once instead of after their lease.
			return fmt.Errorf("agent: poll interrupted: %w", err)
		default:
			wait := pollBo.next()
			log.Warn("poll failed", "err", err, "retry_in", wait)
			if !sleep(sess.ctx, wait) {
				return fmt.Errorf("agent: session %s: %w", sess.id, context.Cause(sess.ctx))
			}
			continue
		}
		pollBo.reset()
		bo.reset()
		for _, op := range poll.Operations {
			d.submit(sess, op)
		}
	}
}

// ensurePhones makes every phone of the session exist in the driver.
func (a *Agent) ensurePhones(ctx context.Context, log *slog.Logger, phones []agentproto.Phone) {
	for _, p := range phones {
		spec := runtime.PhoneSpec{
			ID:        p.ID,
			Name:      p.Name,
			Index:     p.Index,
			ImageID:   p.ImageID,
			Property:  p.Property,
			Running:   WantsRunning(p.Status),
			Resources: resources(p.Model),
		}
		if err := a.driver.EnsurePhone(ctx, spec); err != nil {
			log.Warn("cannot create phone in runtime", "phone", p.ID, "status", p.Status, "err", err)
		}
	}
}

// WantsRunning reports whether a phone the control plane records with
// status s should run when the agent creates it in the runtime: true for
// running phones and for phones in a transient state (creating,
// resetting, restarting, stopping), whose operation will be delivered
// again; false for stopped, frozen and failed phones.
func WantsRunning(s cph.PhoneStatus) bool {
	switch s {
	case cph.PhoneCreating, cph.PhoneRunning, cph.PhoneResetting, cph.PhoneRestarting, cph.PhoneStopping:
		return true
	}
	return false
}

// execute runs op through the driver and returns its result, without the
// session ID.
func (a *Agent) execute(ctx context.Context, op cph.Operation) agentproto.Result {
	var (
		verb string
		err  error
	)
	switch op.Kind {
	case cph.OpRestartPhone, cph.OpResetPhone:
		verb = "restart"
		if op.Kind == cph.OpResetPhone {
			verb = "reset"
		}
		if op.PhoneID == "" {
			return failed("operation has no phone_id.")
		}
		args, derr := decodeRestartArgs(op.Args)
		if derr != nil {
			return failed(fmt.Sprintf("invalid %s arguments: %v", op.Kind, derr))
		}
		opts := runtime.RestartOptions{ImageID: args.ImageID, Property: args.Property, Factory: args.Factory}
		if args.BootTimeMS != nil {
			bt := time.Duration(max(*args.BootTimeMS, 0)) * time.Millisecond
			opts.BootTime = &bt
		}
		if op.Kind == cph.OpResetPhone {
			err = a.driver.Reset(ctx, op.PhoneID, opts)
		} else {
			err = a.driver.Restart(ctx, op.PhoneID, opts)
		}
	case cph.OpStopPhone:
		verb = "stop"
		if op.PhoneID == "" {
			return failed("operation has no phone_id.")
		}
		err = a.driver.Stop(ctx, op.PhoneID)
	default:
		if h, ok := a.phoneHandlers()[op.Kind]; ok {
			return h(ctx, op)
		}
		if h, ok := a.serverHandlers()[op.Kind]; ok {
			return h(ctx, op)
		}
		return failed(fmt.Sprintf("unsupported operation kind %q.", op.Kind))
	}
	if err != nil {
		return failed(fmt.Sprintf("phone %s failed: %v", verb, err))
	}
	if verb != "stop" {
		a.reportAccess(ctx, op.PhoneID)
	}
	return agentproto.Result{Success: true}
}

// failed returns a failure result with code cph.CodeJobFailed; detail
// says what failed ("phone restart failed: ...").
func failed(detail string) agentproto.Result {
	code, msg := cph.Refuse(cph.CodeJobFailed, detail)
	return agentproto.Result{Success: false, ErrorCode: code, ErrorMsg: msg}
}

// decodeRestartArgs decodes the arguments of a restart or reset. Property
// values are strings on the wire; numbers and booleans, as found in
// property JSON written by hand, are accepted and kept in their
// JSON text form.
func decodeRestartArgs(raw json.RawMessage) (cph.RestartArgs, error) {
	var args cph.RestartArgs
	if len(raw) == 0 {
		return args, nil
	}
	if err := json.Unmarshal(raw, &args); err == nil {
		return args, nil
	}
	var loose struct {
		ImageID    string                     `json:"image_id"`
		Property   map[string]json.RawMessage `json:"property"`
		BootTimeMS *int64                     `json:"boot_time_ms"`
		Factory    bool                       `json:"factory"`
	}
	if err := json.Unmarshal(raw, &loose); err != nil {
		return args, err
	}
	args = cph.RestartArgs{ImageID: loose.ImageID, BootTimeMS: loose.BootTimeMS, Factory: loose.Factory}
	if loose.Property != nil {
		args.Property = make(map[string]string, len(loose.Property))
	}
	for k, v := range loose.Property {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			args.Property[k] = s
			continue
		}
		var scalar any
		if err := json.Unmarshal(v, &scalar); err != nil {
			return args, fmt.Errorf("property %q: %w", k, err)
		}
		switch scalar.(type) {
		case float64, bool:
			args.Property[k] = string(v)
		default:
			return args, fmt.Errorf("property %q: value must be a string, number or boolean", k)
		}
	}
	return args, nil
}

// sleep waits for d or until ctx is done. It reports whether the full wait
// elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// isServerDeleted reports whether err says the agent's server was deleted.
func isServerDeleted(err error) bool {
	pe, ok := asProtocolError(err)
	return ok && pe.Code == agentproto.CodeServerDeleted
}
