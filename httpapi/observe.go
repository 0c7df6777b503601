package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/httpapi/internal/openapispec"
)

// Observability: what a request did, for the access log, the metrics and
// the audit trail. ServeHTTP puts a requestInfo in the request's context;
// the route, authentication, the body decoder and the error writer fill
// it in; the deferred part of ServeHTTP reads it.

// RequestObserver counts what requests did (cphd's metrics) and serves
// the counts. Its methods are safe for concurrent use.
type RequestObserver interface {
	// Request counts a request of operation answered with status after d.
	Request(operation string, status int, d time.Duration)
	// LoginFailed counts a login refused for its credentials.
	LoginFailed()
	// LoginThrottled counts a login refused by the login throttle.
	LoginThrottled()
	// Handler serves the counts (GET /metrics, with MetricsOnAPI).
	Handler() http.Handler
}

// AuditRecorder receives the audit events of mutating calls and logins.
// Its method is safe for concurrent use.
type AuditRecorder interface {
	// RecordAudit queues e without blocking. domainName is the account a
	// refused login named (e.DomainID is empty then); a zero e.At is the
	// recorder's clock now.
	RecordAudit(e *cph.AuditEvent, domainName string)
}

// requestInfo is what is known about a request once it has been served.
type requestInfo struct {
	route     *route
	principal *cph.Principal
	errorCode string
	targets   []string
	login     *loginInfo
	// faults collects the fault-injection rules applied to the request.
	faults *cph.FaultNotes
}

// injectedFaults returns the fault-injection rules applied to the
// request.
func (i *requestInfo) injectedFaults() []string {
	if i == nil || i.faults == nil {
		return nil
	}
	return i.faults.IDs()
}

// loginInfo is who a login named, and who it turned out to be.
type loginInfo struct {
	userID, userName, domainID, domainName, projectID string
}

type requestInfoKey struct{}

// withRequestInfo returns r carrying a new requestInfo.
func withRequestInfo(r *http.Request) (*http.Request, *requestInfo) {
	info := &requestInfo{}
	return r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)), info
}

func infoOf(r *http.Request) *requestInfo {
	info, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
	return info
}

// operation is the route's operation name, "unknown" for a request no
// route served.
func (i *requestInfo) operation() string {
	if i == nil || i.route == nil {
		return unknownOperation
	}
	return i.route.operation
}

const unknownOperation = "unknown"

// loginOperation is the operation name of POST /v3/auth/tokens.
const loginOperation = "KeystoneCreateUserTokenByPassword"

// routeOperations maps a route pattern to its operation name: the
// OpenAPI document's table, plus the agent protocol (not in the
// document). Built once, read only.
var routeOperations = sync.OnceValue(func() map[string]string {
	ops := openapispec.RouteOperations()
	for pattern, name := range map[string]string{
		"POST /agent/v1/enroll":                           "AgentEnroll",
		"POST /agent/v1/session":                          "AgentStartSession",
		"POST /agent/v1/poll":                             "AgentPoll",
		"POST /agent/v1/operations/{operation_id}/result": "AgentReportResult",
		"POST /agent/v1/results":                          "AgentReportResults",
		"GET /agent/v1/objects/{bucket}/{key}":            "AgentGetObject",
		"PUT /agent/v1/objects/{bucket}/{key}":            "AgentPutObject",
		"/console/":                                       "Console",
		"GET /console/events":                             "ConsoleEvents",
		"GET /console":                                    "Console",
	} {
		if _, ok := ops[pattern]; !ok {
			ops[pattern] = name
		}
	}
	return ops
})

// operationOf returns the operation name of a route pattern ("METHOD
// /path", a {name...} wildcard written {name}), or "unknown".
func operationOf(pattern string) string {
	p := strings.ReplaceAll(pattern, "...}", "}")
	if name, ok := routeOperations()[p]; ok {
		return name
	}
	// The tag routes serve the document's {resource_type}, one route per
	// type.
	for _, rt := range tagResourceTypes {
		if name, ok := routeOperations()[strings.Replace(p, "/{project_id}/"+rt+"/", "/{project_id}/{resource_type}/", 1)]; ok {
			return name
		}
	}
	return unknownOperation
}

// pathTargets are the path parameters whose values are target ids.
var pathTargets = []string{"phone_id", "server_id", "image_id", "member_id", "resource_id", "band_width_id", "token_id", "user_id", "access_key", "event_id"}

// noteRoute records the route serving r and the target ids of its path.
func noteRoute(r *http.Request, rt *route) {
	info := infoOf(r)
	if info == nil {
		return
	}
	info.route = rt
	if rt.readOnly || rt.fam == familyAgent {
		return
	}
	for _, name := range pathTargets {
		if v := r.PathValue(name); v != "" {
			info.addTarget(v)
		}
	}
}

// noteCaller records who made the request.
func noteCaller(r *http.Request, p *cph.Principal) {
	if info := infoOf(r); info != nil && p != nil {
		info.principal = p
	}
}

// noteError records the error code of the answer.
func noteError(r *http.Request, code string) {
	if info := infoOf(r); info != nil {
		info.errorCode = code
	}
}

// noteLogin records whom a login named and, if it succeeded, whom it
// authenticated.
func noteLogin(r *http.Request, l cph.PasswordLogin, ti *cph.TokenInfo) {
	info := infoOf(r)
	if info == nil {
		return
	}
	li := &loginInfo{userID: l.UserID, userName: l.UserName, domainID: l.DomainID, domainName: l.DomainName}
	if ti != nil {
		li.userID, li.userName, li.domainID, li.domainName = ti.User.ID, ti.User.Name, ti.Domain.ID, ti.Domain.Name
		if ti.Project != nil {
			li.projectID = ti.Project.ID
		}
	}
	info.login = li
}

func (i *requestInfo) addTarget(id string) {
	if id == "" || len(i.targets) >= cph.MaxAuditTargets {
		return
	}
	for _, t := range i.targets {
		if t == id {
			return
		}
	}
	i.targets = append(i.targets, id)
}

// bodyTargets are the id fields of request bodies.
type bodyTargets struct {
	PhoneID         string   `json:"phone_id"`
	ServerID        string   `json:"server_id"`
	ImageID         string   `json:"image_id"`
	PhoneIDs        []string `json:"phone_ids"`
	ServerIDs       []string `json:"server_ids"`
	EncodeServerIDs []string `json:"encode_server_ids"`
	ResourceIDs     []string `json:"resource_ids"` // BSS unsubscription
	Phones          []struct {
		PhoneID string `json:"phone_id"`
	} `json:"phones"`
	Servers []struct {
		ServerID string `json:"server_id"`
	} `json:"servers"`
	StorageInfos []struct {
		PhoneID string `json:"phone_id"`
	} `json:"storage_infos"`
	RestoreInfos []struct {
		PhoneID string `json:"phone_id"`
	} `json:"restore_infos"`
}

// noteBodyTargets records the target ids of a decoded JSON body of an
// audited route (its id lists, at most cph.MaxAuditTargets ids in
// all). Nothing else of the body is kept.
func (s *Server) noteBodyTargets(r *http.Request, body []byte) {
	info := infoOf(r)
	if s.cfg.Audit == nil || info == nil || info.route == nil || info.route.readOnly ||
		info.route.fam == familyAgent || info.route.operation == loginOperation {
		return
	}
	var t bodyTargets
	_ = json.Unmarshal(body, &t) // a field of another type is skipped
	for _, id := range []string{t.PhoneID, t.ServerID, t.ImageID} {
		info.addTarget(id)
	}
	for _, list := range [][]string{t.PhoneIDs, t.ServerIDs, t.EncodeServerIDs, t.ResourceIDs} {
		for _, id := range list {
			info.addTarget(id)
		}
	}
	for _, p := range t.Phones {
		info.addTarget(p.PhoneID)
	}
	for _, p := range t.Servers {
		info.addTarget(p.ServerID)
	}
	for _, p := range t.StorageInfos {
		info.addTarget(p.PhoneID)
	}
	for _, p := range t.RestoreInfos {
		info.addTarget(p.PhoneID)
	}
}

// finalStatus is the status the request was answered with; 499 when the
// client went away before an answer.
func finalStatus(r *http.Request, rec *statusRecorder) int {
	if r.Context().Err() != nil && !rec.wrote {
		return 499
	}
	return rec.status
}

// observeMetrics counts the request in the metrics.
func (s *Server) observeMetrics(r *http.Request, rec *statusRecorder, start time.Time) {
	m := s.cfg.Metrics
	if m == nil {
		return
	}
	info := infoOf(r)
	status := finalStatus(r, rec)
	op := info.operation()
	m.Request(op, status, time.Since(start))
	if op == loginOperation {
		switch {
		case status == http.StatusTooManyRequests:
			m.LoginThrottled()
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			m.LoginFailed()
		}
	}
}

// recordAudit queues the audit event of a mutating call or a login.
// Calls that reached no route, read-only routes, the agent protocol and
// calls whose credentials were refused (other than logins) are not
// recorded.
func (s *Server) recordAudit(r *http.Request, rec *statusRecorder, reqID string) {
	info := infoOf(r)
	// Reads are not audited, unless a fault-injection rule acted on one:
	// every injected failure is in the trail.
	if s.cfg.Audit == nil || info == nil || info.route == nil || info.route.fam == familyAgent ||
		(info.route.readOnly && len(info.injectedFaults()) == 0) {
		return
	}
	e := &cph.AuditEvent{ID: cph.NewOrderedID(), Source: clientAddr(r),
		Operation: info.route.operation, TargetIDs: info.targets, RequestID: reqID, Status: finalStatus(r, rec), ErrorCode: info.errorCode,
		InjectedFaults: info.injectedFaults()}
	var domainName string
	switch {
	case info.route.operation == loginOperation && info.login != nil:
		l := info.login
		e.UserID, e.UserName, e.DomainID, domainName, e.ProjectID = l.userID, l.userName, l.domainID, l.domainName, l.projectID
	case info.principal != nil:
		p := info.principal
		e.UserID, e.UserName, e.DomainID, e.ProjectID = p.User.ID, p.User.Name, p.Domain.ID, p.ProjectID
	default:
		return
	}
	s.cfg.Audit.RecordAudit(e, domainName)
}

// accessLogAttrs are the caller and operation of the access-log record.
func accessLogAttrs(r *http.Request) []any {
	info := infoOf(r)
	attrs := []any{"operation", info.operation()}
	if ids := info.injectedFaults(); len(ids) > 0 {
		attrs = append(attrs, "injected_fault", strings.Join(ids, ","))
	}
	switch {
	case info != nil && info.principal != nil:
		attrs = append(attrs, "user", info.principal.User.Name, "user_id", info.principal.User.ID, "domain", info.principal.Domain.Name)
	case info != nil && info.login != nil:
		attrs = append(attrs, "user", info.login.userName, "user_id", info.login.userID, "domain", info.login.domainName)
	}
	return attrs
}

// accessLogLevel is the level of a request's access-log record: errors
// for 5xx, info for everything else but the successful calls of the
// agent protocol and health checks (debug: they come every few seconds).
func accessLogLevel(r *http.Request, status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelInfo
	case strings.HasPrefix(r.URL.Path, "/agent/") || r.URL.Path == "/healthz" || r.URL.Path == "/metrics":
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// auditRoutes registers the audit trail's route and, when the metrics are
// served on the API's listener, /metrics.
func (s *Server) auditRoutes() {
	s.handle("GET /opencph/v1/{project_id}/audit-events", familyCPH, s.withProject(s.listAuditEvents))
	s.handle("GET /opencph/v1/{project_id}/cloud-phone/phones/{phone_id}/screenshot", familyCPH, s.withProject(s.showPhoneScreenshot),
		holds(cph.ScreenshotWait))
	if s.cfg.Metrics != nil && s.cfg.MetricsOnAPI {
		h := s.cfg.Metrics.Handler()
		s.handle("GET /metrics", familyCPH, func(w http.ResponseWriter, r *http.Request) error {
			h.ServeHTTP(w, r)
			return nil
		})
	}
}

// listAuditEvents is GET /opencph/v1/{project_id}/audit-events.
func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	offset, limit, err := paging(r, cph.MaxAuditPage, cph.MaxAuditPage)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := cph.AuditFilter{Offset: offset, Limit: limit, User: q.Get("user"), Operation: q.Get("operation"),
		Marker: q.Get("marker"), Result: q.Get("result")}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			at, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return cph.ErrInvalidParameter(t.name)
			}
			*t.to = at
		}
	}
	page, err := s.cfg.Identity.ListAuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]cph.AuditEventDoc, len(page.Events))
	for i, e := range page.Events {
		out[i] = e.Doc()
	}
	writeMarkedPage(w, r, "audit_events", out, len(out), page.NextMarker)
	return nil
}
