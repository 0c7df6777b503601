// Package console is OpenCPH's web console: server-rendered pages over
// the domain services of the root package, served by cphd under
// /console/ on the API's listener.
//
// Every page is an html/template rendered on the server; a small plain
// JavaScript file (no build step, no framework) makes the live parts
// live: it follows the change stream (Server-Sent Events at
// /console/events, fed by cph.ChangeService) and re-fetches the parts of
// the page that show phones and jobs, and it refreshes a phone's
// screenshot. The pages work without it, only not live.
//
// The console authenticates like the API: a login issues an IAM token,
// which the session cookie carries, and every request puts the token's
// caller in the context of the service calls. The services decide what
// the caller may see and do; the console only hides the controls a
// read-only user cannot use.
package console

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/internal/vcache"
)

// Prefix is the path under which the console is served.
const Prefix = "/console/"

//go:embed assets
var assets embed.FS

// AuditRecorder receives the audit events of the console's actions, like
// those of the API's calls.
type AuditRecorder interface {
	RecordAudit(e *cph.AuditEvent, domainName string)
}

// Config holds what the console works on.
type Config struct {
	Phones   cph.PhoneService
	Jobs     cph.JobService
	Servers  cph.ServerService
	Images   cph.ImageService
	Buckets  cph.BucketService
	Identity cph.IdentityService
	Changes  cph.ChangeService
	// Events, if set, shows a server's scheduled events on its page and
	// lets a writer authorise one.
	Events cph.EventService

	// Audit, if set, receives an event for every action and login.
	Audit  AuditRecorder
	Logger *slog.Logger
	// IdleTimeout ends a session after this long without a page view or
	// an action (default 30 minutes). Live updates do not count.
	IdleTimeout time.Duration
	// MaxBatch is the most phones of one batch request of the services
	// (the engine's limit, default 100): the console splits larger
	// selections into batches of this size.
	MaxBatch int
	// AgentTTL is how long a server's agent may be silent and still count
	// as connected: the engine's (default 30 s).
	AgentTTL time.Duration
	// ClientAddr returns the address of the client of r (behind trusted
	// proxies, the one they forwarded); default r.RemoteAddr's host.
	ClientAddr func(r *http.Request) string
	// IsHTTPS reports whether the client reached the server over HTTPS
	// (then the session cookie is Secure); default r.TLS != nil.
	IsHTTPS func(r *http.Request) bool
	// Now is the clock of sessions (default time.Now).
	Now func() time.Time
}

// Defaults and limits.
const (
	DefaultIdleTimeout = 30 * time.Minute
	defaultMaxBatch    = 100
	// MaxSelection is the most phones one action of the console acts on
	// when it selects every phone matching a filter.
	MaxSelection = 1000
	// pageSize is the phones of one page of the phone list.
	pageSize = 50
	// StreamDuration is how long one change stream is held open before
	// the browser reconnects (it does so by itself).
	StreamDuration = 4 * time.Minute
)

// Bounds of the cache of phone list renderings: about 40 KiB each.
const (
	rowsCacheEntries = 256
	rowsCacheTTL     = 10 * time.Second
)

// Console is the web console's HTTP handler.
type Console struct {
	cfg  Config
	log  *slog.Logger
	mux  *http.ServeMux
	view *views
	// streams counts the open change streams.
	streams streamCounter
	// rows caches renderings of pages of the phone list (phoneRows).
	rows *vcache.Cache[rowsKey, []byte]
}

// New returns the console over cfg's services.
func New(cfg Config) (*Console, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = defaultMaxBatch
	}
	if cfg.AgentTTL <= 0 {
		cfg.AgentTTL = 30 * time.Second
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = remoteHost
	}
	if cfg.IsHTTPS == nil {
		cfg.IsHTTPS = func(r *http.Request) bool { return r.TLS != nil }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), view: v,
		rows: vcache.New[rowsKey, []byte](rowsCacheEntries, rowsCacheTTL)}
	c.routes()
	return c, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No inline script or style, nothing from elsewhere, and no framing by
	// any site.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

// handler is an authenticated handler: the session's caller is in ctx.
type handler func(w http.ResponseWriter, r *http.Request, s *session) error

func (c *Console) routes() {
	c.mux.HandleFunc("GET /console/static/{file}", c.static)
	c.mux.HandleFunc("GET /console/login", c.loginPage)
	c.mux.HandleFunc("POST /console/login", c.login)
	c.mux.Handle("POST /console/logout", c.action(c.logout))
	c.mux.Handle("GET /console/events", c.live(c.events))

	c.mux.Handle("GET /console/{$}", c.page(c.overview))
	c.mux.Handle("GET /console/phones", c.page(c.phones))
	c.mux.Handle("POST /console/phones/batch", c.action(c.batchPhones))
	c.mux.Handle("GET /console/phones/{id}", c.page(c.phone))
	c.mux.Handle("GET /console/phones/{id}/screenshot", c.live(c.screenshot))
	c.mux.Handle("POST /console/phones/{id}/shell", c.action(c.shell))
	c.mux.Handle("POST /console/phones/{id}/install", c.action(c.install))
	c.mux.Handle("POST /console/phones/{id}/properties", c.action(c.properties))
	c.mux.Handle("POST /console/phones/{id}/rename", c.action(c.renamePhone))
	c.mux.Handle("GET /console/jobs", c.page(c.jobs))

	c.serverRoutes()
	c.imageRoutes()
	c.identityRoutes()

	c.mux.HandleFunc("/console/", c.notFound)
}

// notFound answers paths the console does not have.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.renderError(w, r, nil, http.StatusNotFound, "There is no such page.", "")
}

// ctx returns the context of the service calls of s.
func (s *session) ctx(r *http.Request) context.Context {
	return cph.NewCallerContext(r.Context(), s.caller)
}
