// Package httpapi serves OpenCPH over HTTP: the IAM token service (/v3/...),
// the CPH API (/v1/{project_id}/...) and the agent protocol (/agent/v1/...).
//
// Handlers return an error; one wrapper turns it into the right error body
// (the CPH/API-gateway envelope {"error_code","error_msg","request_id"} for
// CPH and authentication errors, the Keystone shape for IAM business
// errors), sets X-Request-Id on every response, recovers panics, and writes
// one access-log record per request. Unknown routes and methods get the CPH
// envelope too (404/405 APIGW.0101). The API never redirects; the web
// console, when it is served (Config.Console), answers in HTML.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/internal/vcache"
	"golang.org/x/sync/semaphore"
)

// maxBodyBytes is the largest request body accepted.
const maxBodyBytes = 1 << 20

// Config holds the server's dependencies.
type Config struct {
	// The domain services every handler calls: decode, call one method,
	// encode.
	Phones   cph.PhoneService
	Jobs     cph.JobService
	Servers  cph.ServerService
	Images   cph.ImageService
	Buckets  cph.BucketService
	Identity cph.IdentityService
	Agents   cph.AgentService
	Billing  cph.BillingService
	// Faults, if set, serves the fault-injection rules and applies those
	// that act on API calls (docs/faults.md).
	Faults  cph.FaultService
	StandIn cph.StandInService
	// Snapshots serves the operator's fleet snapshots.
	Snapshots cph.SnapshotService
	// Events serves the scheduled events.
	Events cph.EventService

	Logger *slog.Logger
	// Ready reports whether the server is ready to serve (for /healthz);
	// nil means always ready.
	Ready func() bool
	// Health, if set, checks what the server depends on (the database)
	// for /healthz.
	Health func(context.Context) error
	// MaxBodyMemory bounds the bytes that request bodies being read may
	// hold in memory at once, over all requests (default
	// DefaultMaxBodyMemory); past it a request is answered 503.
	MaxBodyMemory int64
	// SpoolDir is where a signed request's body is spooled while its
	// signature is checked (default os.TempDir()).
	SpoolDir string
	// Timeouts bound how long a client may hold a connection.
	Timeouts Timeouts
	// TrustedProxies are the address ranges of reverse proxies: only when
	// the direct peer is in one of them are its X-Forwarded-For and
	// X-Forwarded-Proto headers believed (see clientAddr and baseURL).
	TrustedProxies []netip.Prefix
	// Metrics, if set, counts requests; with MetricsOnAPI it is also
	// served at GET /metrics.
	Metrics      RequestObserver
	MetricsOnAPI bool
	// Audit, if set, receives the audit events of mutating calls and logins.
	Audit AuditRecorder
	// Console, if set, is the web console, served under /console/.
	Console http.Handler
}

// Server is the HTTP front of cphd.
type Server struct {
	log *slog.Logger
	mux *http.ServeMux
	cfg Config
	// pages caches the encoding of phone list pages, by page.
	pages *vcache.Cache[*cph.PhonePage, phonePage]
	// phones caches the encoding of the phones of those pages.
	phones phoneJSON
	// bodies is the memory budget of request bodies (see bodyMeter).
	bodies *semaphore.Weighted
}

// Phone list cache bounds: about 56 KiB a page of 100.
const (
	pageCacheEntries = 256
	pageCacheTTL     = 10 * time.Second
)

// New returns a server with every route registered.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyMemory <= 0 {
		cfg.MaxBodyMemory = DefaultMaxBodyMemory
	}
	if cfg.SpoolDir == "" {
		cfg.SpoolDir = os.TempDir()
	}
	cfg.Timeouts = cfg.Timeouts.withDefaults()
	s := &Server{log: cfg.Logger, mux: http.NewServeMux(), cfg: cfg,
		pages: vcache.New[*cph.PhonePage, phonePage](pageCacheEntries, pageCacheTTL), bodies: semaphore.NewWeighted(cfg.MaxBodyMemory)}
	s.routes()
	return s
}

// family says which error shape a route family uses.
type family int

const (
	familyCPH      family = iota // CPH envelope
	familyKeystone               // Keystone shape for business errors, CPH envelope for auth failures
	familyAgent                  // agent protocol errors
)

// handlerFunc is an HTTP handler that returns an error for the wrapper to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers h for pattern ("METHOD /path"). A GET (and so HEAD)
// route only reads; any other route changes something unless its
// registration says otherwise with onlyReads.
func (s *Server) handle(pattern string, fam family, h handlerFunc, opts ...routeOption) {
	rt := &route{s: s, fam: fam, h: h, operation: operationOf(pattern)}
	rt.readOnly = strings.HasPrefix(pattern, http.MethodGet+" ") || strings.HasPrefix(pattern, http.MethodHead+" ")
	for _, o := range opts {
		o(rt)
	}
	s.mux.Handle(pattern, rt)
}

// routeOption sets a property of a route at its registration.
type routeOption func(*route)

// onlyReads marks a non-GET route that changes nothing (a POST that
// queries), so that read-only users may call it.
func onlyReads(rt *route) { rt.readOnly = true }

type route struct {
	s   *Server
	fam family
	h   handlerFunc
	// readOnly says the route changes nothing; withProject lets read-only
	// users call only such routes.
	readOnly bool
	// hold is how long the route may hold a request open on purpose.
	hold time.Duration
	// operation is the route's operation name (the SDK's), for logs,
	// metrics and the audit trail.
	operation string
}

func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(context.WithValue(r.Context(), routeKey, rt))
	noteRoute(r, rt)
	t := rt.s.cfg.Timeouts
	d := newTransferDeadline(w, time.Now(), t.Request+rt.hold, t.MinRate)
	w = &deadlineWriter{ResponseWriter: w, d: d}
	if m, ok := r.Body.(*bodyMeter); ok {
		// Keep the meter as the body (authentication and the budget find
		// it there); the deadline goes beneath it.
		m.src = d.body(io.NopCloser(m.src))
	} else if r.Body != nil && r.Body != http.NoBody {
		r.Body = d.body(r.Body)
	}
	if err := rt.h(w, r); err != nil {
		if refusedForMemory(r) {
			rt.s.writeBusy(w, r, rt.fam)
			return
		}
		rt.s.writeError(w, r, rt.fam, err)
	}
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	routeKey
)

// routeReadOnly reports whether the route serving r was registered as one
// that changes nothing. A request that reached no registered route does
// not count as read-only.
func routeReadOnly(r *http.Request) bool {
	rt, _ := r.Context().Value(routeKey).(*route)
	return rt != nil && rt.readOnly
}

// RequestID returns the request id the server assigned to r.
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := cph.NewID()
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey, reqID))
	r, _ = withRequestInfo(r)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	rec.Header().Set("X-Request-Id", reqID)
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic serving request", "panic", p, "method", r.Method, "path", r.URL.Path, "request_id", reqID)
			if !rec.wrote {
				s.writeError(rec, r, familyCPH, fmt.Errorf("panic: %v", p))
			}
		}
		s.accessLog(r, rec, start, reqID)
		s.observeMetrics(r, rec, start)
		s.recordAudit(r, rec, reqID)
	}()
	if r.Body != nil && r.Body != http.NoBody {
		limit := int64(maxBodyBytes)
		upload := r.Method == http.MethodPut && isObjectUpload(r.URL.Path)
		switch {
		case upload:
			limit = maxObjectBytes
		case r.Method == http.MethodPost && isAgentResult(r.URL.Path):
			limit = agentproto.MaxResultBodyBytes
		}
		m := s.meterBody(http.MaxBytesReader(rec, r.Body, limit), upload)
		defer m.finish()
		r.Body = m
	}
	if h, _ := s.mux.Handler(r); !isRoute(h) {
		// No route serves r as it is: ServeMux would answer 404 or 405 in
		// plain text, or redirect a path that is not in canonical form
		// ("..", "//", "/." segments, a missing trailing slash) with an
		// HTML body. Find out which, and answer in the CPH envelope
		// instead: 405 for a known path with the wrong method, 404 for
		// everything else. The server never redirects.
		//
		// A kept-alive connection may carry deadlines of an earlier
		// request: give this answer its own.
		newTransferDeadline(rec, time.Now(), s.cfg.Timeouts.Request, s.cfg.Timeouts.MinRate)
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		status := probe.status
		if status != http.StatusMethodNotAllowed {
			status = http.StatusNotFound
		}
		if allow := probe.header.Get("Allow"); allow != "" && status == http.StatusMethodNotAllowed {
			rec.Header().Set("Allow", allow)
		}
		msg := "The API does not exist or has not been published in the environment."
		if status == http.StatusMethodNotAllowed {
			msg = "The method is not allowed for this API."
		} else if unknownTagResourceType(r.Method, r.URL.Path) {
			// A tag operation of a resource type there is none of.
			s.writeError(rec, r, familyCPH, cph.ErrInvalidParameter("resource_type"))
			return
		}
		s.writeError(rec, r, familyCPH, cph.Errorf(status, cph.CodeNoSuchAPI, "%s", msg))
		return
	}
	// Serve through the mux (not h) so that path values are set.
	s.mux.ServeHTTP(rec, r)
}

func (s *Server) accessLog(r *http.Request, rec *statusRecorder, start time.Time, reqID string) {
	status := finalStatus(r, rec) // 499: the client went away
	s.log.Log(r.Context(), accessLogLevel(r, status), "request", append([]any{"method", r.Method, "path", r.URL.Path, "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "request_id", reqID, "remote", r.RemoteAddr}, accessLogAttrs(r)...)...)
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isRoute reports whether h is a handler registered with handle (rather
// than one of ServeMux's own 404, 405 or redirect handlers).
func isRoute(h http.Handler) bool {
	_, ok := h.(*route)
	return ok
}

// probeWriter captures what ServeMux's own 404/405 handlers write.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}

// errorBody is the CPH / API gateway error envelope.
type errorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	RequestID string `json:"request_id"`
}

// keystoneError is the Keystone error shape of IAM endpoints.
type keystoneError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Title   string `json:"title"`
	} `json:"error"`
}

// authError marks an authentication failure, which every route family
// reports in the gateway envelope.
type authError struct{ err *cph.Error }

func (e authError) Error() string { return e.err.Error() }
func (e authError) Unwrap() error { return e.err }

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, fam family, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = cph.ErrEntityTooLarge()
	}
	e := cph.AsError(err)
	noteError(r, e.Code)
	if e.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "request_id", RequestID(r), "err", err)
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "request_id", RequestID(r), "err", err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds(e.RetryAfter)))
	}
	var ae authError
	if fam == familyKeystone && !errors.As(err, &ae) {
		var body keystoneError
		body.Error.Code = e.Status
		body.Error.Message = e.Message
		body.Error.Title = http.StatusText(e.Status)
		writeJSON(w, e.Status, body)
		return
	}
	writeJSON(w, e.Status, errorBody{ErrorCode: e.Code, ErrorMsg: e.Message, RequestID: RequestID(r)})
}

// writeJSON writes v as the JSON response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may have gone; nothing to do about it
}

// decodeBody decodes a JSON request body into v. Unknown fields are
// ignored. A body that is not well-formed JSON text is a 400 APIGW.0201
// before any field is looked at: empty, unparsable, a top-level null,
// invalid UTF-8, or a \u escape of a lone UTF-16 surrogate (which Go's
// decoder would silently turn into U+FFFD). A body over the limit is the
// *http.MaxBytesError (413).
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) || errors.Is(err, errSlowBody) {
			return err
		}
		return cph.ErrMalformedBody()
	}
	if err := unmarshalBody(body, v); err != nil {
		return err
	}
	if rt, _ := r.Context().Value(routeKey).(*route); rt != nil {
		rt.s.noteBodyTargets(r, body)
	}
	return nil
}

// unmarshalBody is decodeBody after the read.
func unmarshalBody(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || string(trimmed) == "null" || !utf8.Valid(body) {
		return cph.ErrMalformedBody()
	}
	if err := json.Unmarshal(body, v); err != nil {
		return cph.ErrMalformedBody()
	}
	if hasLoneSurrogate(body) {
		return cph.ErrMalformedBody()
	}
	return nil
}

// hasLoneSurrogate reports whether the JSON text b (already known to be
// valid) has a \u escape of a UTF-16 surrogate that is not part of a
// high-low pair. Backslashes occur in valid JSON only as string escapes.
func hasLoneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++ // the escaped character: \\ and \" are skipped whole
		if i >= len(b) || b[i] != 'u' {
			continue
		}
		r, ok := hex4(b[i+1:])
		if !ok {
			return false
		}
		i += 4
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if len(b) >= i+7 && b[i+1] == '\\' && b[i+2] == 'u' {
				if lo, ok := hex4(b[i+3:]); ok && lo >= 0xDC00 && lo < 0xE000 {
					i += 6
					continue
				}
			}
			return true
		case r >= 0xDC00 && r < 0xE000:
			return true
		}
	}
	return false
}

// hex4 parses the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// keystoneBodyError turns a decodeBody failure into the answer of the
// Keystone-family routes: 413 for a body over the limit, 408 for one that
// did not arrive in time, else a Keystone 400 saying the body is not valid
// JSON.
func keystoneBodyError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) || errors.Is(err, errSlowBody) {
		return err
	}
	return badRequest("The request body is not valid JSON.")
}

// clientAddr returns the caller's IP address (without port): the direct
// peer's, or, when the peer is a trusted proxy, the rightmost address of
// X-Forwarded-For that is not a trusted proxy (each proxy appends the
// address it was reached from, so everything left of that hop is the
// client's to write). If every hop is trusted, the leftmost is the client.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	trusted := trustedProxies(r)
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(trusted, peer) {
		return host
	}
	client := peer
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // a trusted proxy wrote something that is not an address: keep that proxy
		}
		client = a.Unmap()
		if !isTrusted(trusted, client) {
			break
		}
	}
	return client.String()
}

// forwardedFor splits X-Forwarded-For header values into hops, in order.
func forwardedFor(values []string) []string {
	var hops []string
	for _, v := range values {
		for h := range strings.SplitSeq(v, ",") {
			h = strings.TrimSpace(h)
			// "[v6]:port" and "v4:port" forms also occur.
			if host, _, err := net.SplitHostPort(h); err == nil {
				h = host
			}
			hops = append(hops, strings.Trim(h, "[]"))
		}
	}
	return hops
}

// trustedProxies returns the trusted proxy ranges of the server serving r.
func trustedProxies(r *http.Request) []netip.Prefix {
	if rt, _ := r.Context().Value(routeKey).(*route); rt != nil {
		return rt.s.cfg.TrustedProxies
	}
	return nil
}

func isTrusted(trusted []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// baseURL returns the scheme and host the client used to reach us. Behind
// a trusted proxy the scheme is the one its X-Forwarded-Proto names (the
// last value, "http" or "https"); the host is the request's Host header,
// which the proxy must pass on.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if vs := r.Header.Values("X-Forwarded-Proto"); len(vs) > 0 {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if peer, err := netip.ParseAddr(host); err == nil && isTrusted(trustedProxies(r), peer) {
			parts := strings.Split(vs[len(vs)-1], ",")
			switch p := strings.ToLower(strings.TrimSpace(parts[len(parts)-1])); p {
			case "http", "https":
				scheme = p
			}
		}
	}
	return scheme + "://" + r.Host
}

func (s *Server) routes() {
	s.handle("GET /healthz", familyCPH, s.healthz)

	// IAM.
	s.handle("POST /v3/auth/tokens", familyKeystone, s.createToken)
	s.handle("GET /v3/auth/tokens", familyKeystone, s.showToken)
	s.handle("HEAD /v3/auth/tokens", familyKeystone, s.checkToken)
	s.handle("DELETE /v3/auth/tokens", familyKeystone, s.revokeToken)
	s.handle("GET /v3/projects", familyKeystone, s.listProjects)
	s.handle("GET /v3/projects/{project_id}", familyKeystone, s.showProject)
	s.handle("POST /v3/projects", familyKeystone, s.createProject)
	s.handle("POST /v3/domains", familyKeystone, s.createDomain)
	s.handle("GET /v3/domains", familyKeystone, s.listDomains)
	s.handle("POST /v3/users", familyKeystone, s.createUser)
	s.handle("GET /v3/users", familyKeystone, s.listUsers)
	s.handle("PATCH /v3/users/{user_id}", familyKeystone, s.updateUser)
	s.handle("DELETE /v3/users/{user_id}", familyKeystone, s.deleteUser)
	s.handle("PUT /v3/users/{user_id}/password", familyKeystone, s.changePassword)
	s.handle("POST /v3/users/{user_id}/password", familyKeystone, s.changePassword)
	const creds = "/v3.0/OS-CREDENTIAL/credentials"
	s.handle("POST "+creds, familyKeystone, s.createCredential)
	s.handle("GET "+creds, familyKeystone, s.listCredentials)
	s.handle("GET "+creds+"/{access_key}", familyKeystone, s.showCredential)
	s.handle("PUT "+creds+"/{access_key}", familyKeystone, s.updateCredential)
	s.handle("DELETE "+creds+"/{access_key}", familyKeystone, s.deleteCredential)

	// CPH.
	const p = "/v1/{project_id}/cloud-phone"
	s.handle("GET "+p+"/phones", familyCPH, s.withProject(s.listPhones))
	s.handle("GET "+p+"/phones/{phone_id}", familyCPH, s.withProject(s.showPhone))
	s.handle("POST "+p+"/phones/batch-restart", familyCPH, s.withProject(s.batchPhones(cph.OpRestartPhone)))
	s.handle("POST "+p+"/phones/batch-reset", familyCPH, s.withProject(s.batchPhones(cph.OpResetPhone)))
	s.handle("POST "+p+"/phones/batch-stop", familyCPH, s.withProject(s.stopPhones))
	s.handle("GET "+p+"/jobs", familyCPH, s.withProject(s.listJobs))
	s.handle("GET "+p+"/jobs/{job_id}", familyCPH, s.withProject(s.showJob))
	s.handle("GET "+p+"/servers", familyCPH, s.withProject(s.listServers))
	s.phoneOpRoutes()
	s.serverRoutes()
	s.imageRoutes()
	s.enrollmentTokenRoutes()
	s.faultRoutes()
	s.auditRoutes()
	s.overviewRoutes()
	s.standInRoutes()
	s.consoleRoutes()
	s.billingRoutes()
	s.eventRoutes()

	// Agents.
	s.handle("POST /agent/v1/enroll", familyAgent, s.agentEnroll)
	s.handle("POST /agent/v1/session", familyAgent, s.withAgent(s.agentSession))
	s.handle("POST /agent/v1/poll", familyAgent, s.withAgent(s.agentPoll), holds(s.pollHold()))
	s.handle("POST /agent/v1/operations/{operation_id}/result", familyAgent, s.withAgent(s.agentResult))
	s.handle("POST /agent/v1/results", familyAgent, s.withAgent(s.agentResults))
	s.handle("POST /agent/v1/phones", familyAgent, s.withAgent(s.agentPhones))
	s.handle("GET /agent/v1/objects/{bucket}/{key...}", familyAgent, s.withAgent(s.agentGetObject))
	s.handle("PUT /agent/v1/objects/{bucket}/{key...}", familyAgent, s.withAgent(s.agentPutObject))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Ready != nil && !s.cfg.Ready() {
		return cph.ErrStarting()
	}
	if s.cfg.Health != nil {
		if err := s.cfg.Health(r.Context()); err != nil {
			return fmt.Errorf("healthz: %w", err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// isObjectUpload reports whether path is an object upload, which may be
// larger than other request bodies: an agent's data export or a user's
// PUT into a bucket.
// isAgentResult reports whether path is where agents report results,
// whose bodies may carry a screenshot.
func isAgentResult(path string) bool {
	if path == agentproto.ResultsPath {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/agent/v1/operations/")
	return ok && strings.HasSuffix(rest, "/result")
}

func isObjectUpload(path string) bool {
	if strings.HasPrefix(path, "/agent/v1/objects/") {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/opencph/v1/")
	return ok && strings.Contains(rest, "/buckets/") && strings.Contains(rest, "/objects/")
}
