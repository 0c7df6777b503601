// Package httpapi serves OpenCPH over HTTP: the IAM token service (/v3/...),
// the CPH API (/v1/{project_id}/...) and the agent protocol (/agent/v1/...).
//
// Handlers return an error; one wrapper turns it into the right error body
// (the CPH/API-gateway envelope {"error_code","error_msg","request_id"} for
// CPH and authentication errors, the Keystone shape for IAM business
// errors), sets X-Request-Id on every response, recovers panics, and writes
// one access-log record per request. Unknown routes and methods get the CPH
// envelope too (404/405 APIGW.0101). The server never redirects.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/internal/vcache"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
	"golang.org/x/sync/singleflight"
)

// maxBodyBytes is the largest request body accepted.
const maxBodyBytes = 1 << 20

// Config holds the server's dependencies.
type Config struct {
	DB     *sqlstore.DB
	IAM    *iam.Service
	Engine *engine.Engine
	// Objects is the object store behind the OBS buckets operations name.
	Objects objstore.Store
	Logger  *slog.Logger
	// PollWait caps how long an agent's long-poll is held open (default 25s).
	PollWait time.Duration
	// EnrollToken, if set, lets agents enroll new servers with it.
	EnrollToken string
	// Ready reports whether the server is ready to serve (for /healthz);
	// nil means always ready.
	Ready func() bool
}

// Server is the HTTP front of cphd.
type Server struct {
	db     *sqlstore.DB
	iam    *iam.Service
	engine *engine.Engine
	log    *slog.Logger
	mux    *http.ServeMux
	cfg    Config
	// pages caches phone list pages for one version of the phone data.
	pages *vcache.Cache[string, phonePage]
	// pageReads lets concurrent misses of one page share one read.
	pageReads singleflight.Group
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
	if cfg.PollWait <= 0 {
		cfg.PollWait = 25 * time.Second
	}
	s := &Server{db: cfg.DB, iam: cfg.IAM, engine: cfg.Engine, log: cfg.Logger, mux: http.NewServeMux(), cfg: cfg,
		pages: vcache.New[string, phonePage](pageCacheEntries, pageCacheTTL)}
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

func (s *Server) handle(pattern string, fam family, h handlerFunc) {
	s.mux.Handle(pattern, &route{s: s, fam: fam, h: h})
}

type route struct {
	s   *Server
	fam family
	h   handlerFunc
}

func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := rt.h(w, r); err != nil {
		rt.s.writeError(w, r, rt.fam, err)
	}
}

type ctxKey int

const requestIDKey ctxKey = 0

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
	}()
	if r.Body != nil {
		limit := int64(maxBodyBytes)
		if r.Method == http.MethodPut && isObjectUpload(r.URL.Path) {
			limit = maxObjectBytes
		}
		r.Body = http.MaxBytesReader(rec, r.Body, limit)
	}
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		// No route: ServeMux would answer 404 or 405 in plain text. Find
		// out which, and answer in the CPH envelope instead.
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		status := probe.status
		if status != http.StatusMethodNotAllowed {
			status = http.StatusNotFound
		}
		if allow := probe.header.Get("Allow"); allow != "" {
			rec.Header().Set("Allow", allow)
		}
		msg := "The API does not exist or has not been published in the environment."
		if status == http.StatusMethodNotAllowed {
			msg = "The method is not allowed for this API."
		}
		s.writeError(rec, r, familyCPH, cph.Errorf(status, cph.CodeNoSuchAPI, "%s", msg))
		return
	}
	// Serve through the mux (not h) so that path values are set.
	s.mux.ServeHTTP(rec, r)
}

func (s *Server) accessLog(r *http.Request, rec *statusRecorder, start time.Time, reqID string) {
	status := rec.status
	if r.Context().Err() != nil && !rec.wrote {
		status = 499 // client went away
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400 || strings.HasPrefix(r.URL.Path, "/agent/") || r.URL.Path == "/healthz":
		level = slog.LevelDebug
	}
	s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "request_id", reqID, "remote", r.RemoteAddr)
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
		err = cph.Errorf(http.StatusRequestEntityTooLarge, cph.CodeBadRequest, "Request entity too large.")
	}
	e := cph.AsError(err)
	if e.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "request_id", RequestID(r), "err", err)
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "request_id", RequestID(r), "err", err)
	}
	var th *iam.ThrottledError
	if errors.As(err, &th) {
		w.Header().Set("Retry-After", fmt.Sprint(int(th.RetryAfter.Seconds()+0.999)))
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
// ignored; an empty or malformed body is a 400 APIGW.0201.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return cph.ErrMalformedBody()
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return cph.ErrMalformedBody()
	}
	if err := json.Unmarshal(body, v); err != nil {
		return cph.ErrMalformedBody()
	}
	return nil
}

// clientAddr returns the caller's IP address (without port).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// baseURL returns the scheme and host the client used to reach us.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
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

	// Agents.
	s.handle("POST /agent/v1/enroll", familyAgent, s.agentEnroll)
	s.handle("POST /agent/v1/session", familyAgent, s.withAgent(s.agentSession))
	s.handle("POST /agent/v1/poll", familyAgent, s.withAgent(s.agentPoll))
	s.handle("POST /agent/v1/operations/{operation_id}/result", familyAgent, s.withAgent(s.agentResult))
	s.handle("POST /agent/v1/results", familyAgent, s.withAgent(s.agentResults))
	s.handle("POST /agent/v1/phones", familyAgent, s.withAgent(s.agentPhones))
	s.handle("GET /agent/v1/objects/{bucket}/{key...}", familyAgent, s.withAgent(s.agentGetObject))
	s.handle("PUT /agent/v1/objects/{bucket}/{key...}", familyAgent, s.withAgent(s.agentPutObject))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Ready != nil && !s.cfg.Ready() {
		return cph.Errorf(http.StatusServiceUnavailable, cph.CodeInternal, "Service is starting.")
	}
	if err := s.db.Ping(r.Context()); err != nil {
		return fmt.Errorf("healthz: %w", err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// isObjectUpload reports whether path is an object upload, which may be
// larger than other request bodies: an agent's data export or a user's
// PUT into a bucket.
func isObjectUpload(path string) bool {
	if strings.HasPrefix(path, "/agent/v1/objects/") {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/opencph/v1/")
	return ok && strings.Contains(rest, "/buckets/") && strings.Contains(rest, "/objects/")
}
