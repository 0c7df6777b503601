package httpapi

import (
	"net/http"
	"strings"
	"time"
)

// consoleStreamHold is how long the console's change stream may hold a
// request open: longer than the console holds one (4 minutes) before the
// browser reconnects.
const consoleStreamHold = 5 * time.Minute

// consoleRoutes serves the web console, if there is one, under /console/
// on the API's listener: its requests get the request id, access log,
// metrics, body limit and deadlines of every request. The console
// answers its own errors (HTML pages), and it is the one part of the
// server that redirects (from /console to /console/, and after a login).
func (s *Server) consoleRoutes() {
	if s.cfg.Console == nil {
		return
	}
	serve := func(w http.ResponseWriter, r *http.Request) error {
		s.cfg.Console.ServeHTTP(w, r)
		return nil
	}
	s.handle("/console/", familyCPH, serve)
	s.handle("GET /console/events", familyCPH, serve, holds(consoleStreamHold))
	s.handle("GET /console", familyCPH, func(w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return nil
	})
}

// ClientAddr returns the address of the client of r, a request this
// server serves: behind a trusted proxy, the address it forwarded.
func ClientAddr(r *http.Request) string { return clientAddr(r) }

// IsHTTPS reports whether the client of r, a request this server serves,
// reached it over HTTPS (directly, or through a trusted proxy that says
// so in X-Forwarded-Proto).
func IsHTTPS(r *http.Request) bool { return strings.HasPrefix(baseURL(r), "https://") }
