package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// views holds the parsed templates, one set per page, and the static
// files with their content hashes (which their URLs carry, so that
// browsers may cache them for long).
type views struct {
	pages  map[string]*template.Template
	static map[string]staticFile
	// nav is the navigation bar of each section, made once (a page's
	// template then spends one action on it, not two dozen).
	nav map[string]template.HTML
	// assets are the links of the stylesheet and the script.
	assets template.HTML
}

// sections are the navigation bar's entries: the path, the label, and
// the Nav values of the pages that belong to the section.
var sections = []struct {
	path, label string
	navs        []string
}{
	{"/console/", "Overview", []string{"overview"}},
	{"/console/phones", "Phones", []string{"phones", "phone"}},
	{"/console/servers", "Servers", []string{"servers", "server"}},
	{"/console/jobs", "Jobs", []string{"jobs"}},
	{"/console/images", "Images", []string{"images"}},
	{"/console/access-keys", "Access keys", []string{"keys"}},
	{"/console/enrollment-tokens", "Enrollment", []string{"enrollment"}},
}

// navBar renders the navigation bar with the section of nav current.
func navBar(nav string) template.HTML {
	var b strings.Builder
	b.WriteString(`<nav aria-label="Sections">`)
	for _, sec := range sections {
		b.WriteString(`<a href="` + sec.path + `"`)
		if slices.Contains(sec.navs, nav) {
			b.WriteString(` aria-current="page"`)
		}
		b.WriteString(">" + sec.label + "</a> ")
	}
	b.WriteString("</nav>")
	return template.HTML(b.String())
}

// NavHTML is the navigation bar of the page's section.
func (v view) NavHTML() template.HTML { return v.nav[v.Nav] }

type staticFile struct {
	body []byte
	hash string
	kind string
}

func loadViews() (*views, error) {
	v := &views{pages: map[string]*template.Template{}, static: map[string]staticFile{}, nav: map[string]template.HTML{}}
	for _, sec := range sections {
		for _, n := range sec.navs {
			v.nav[n] = navBar(n)
		}
	}
	files, err := fs.Glob(assets, "assets/static/*")
	if err != nil {
		return nil, fmt.Errorf("console: list static files: %w", err)
	}
	for _, f := range files {
		b, err := assets.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("console: read %s: %w", f, err)
		}
		sum := sha256.Sum256(b)
		kind := "application/octet-stream"
		switch path.Ext(f) {
		case ".js":
			kind = "text/javascript; charset=utf-8"
		case ".css":
			kind = "text/css; charset=utf-8"
		case ".svg":
			kind = "image/svg+xml"
		}
		v.static[path.Base(f)] = staticFile{body: b, hash: hex.EncodeToString(sum[:6]), kind: kind}
	}
	v.assets = template.HTML(`<link rel="stylesheet" href="` + Prefix + "static/console.css?v=" + v.static["console.css"].hash + `">` + "\n" +
		`<script src="` + Prefix + "static/console.js?v=" + v.static["console.js"].hash + `" defer></script>`)
	funcs := template.FuncMap{
		"static": func(name string) string {
			return Prefix + "static/" + name + "?v=" + v.static[name].hash
		},
		// assets are the page's stylesheet and script links, made once.
		"assets":       func() template.HTML { return v.assets },
		"phoneStatus":  phoneStatusName,
		"statusClass":  statusClass,
		"jobStatus":    func(s cph.JobStatus) string { return s.String() },
		"serverStatus": serverStatusName,
		"plainCode":    plainCode,
		"meaning":      meaning,
		"deref":        deref,
		"since":        since,
		"when":         when,
		"query":        query,
		"add":          func(a, b int) int { return a + b },
		"sub":          func(a, b int) int { return a - b },
		"statuses":     cph.PhoneStatuses,
		"join":         strings.Join,
		"num":          num,
		"list":         func(s ...string) []string { return s },
		"jobClass":     jobClass,
	}
	layout, err := template.New("layout").Funcs(funcs).ParseFS(assets, "assets/templates/layout.html", "assets/templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("console: parse layout: %w", err)
	}
	pages, err := fs.Glob(assets, "assets/templates/page_*.html")
	if err != nil {
		return nil, fmt.Errorf("console: list pages: %w", err)
	}
	for _, p := range pages {
		t, err := template.Must(layout.Clone()).ParseFS(assets, p)
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", p, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path.Base(p), "page_"), ".html")
		v.pages[name] = t
	}
	return v, nil
}

// static serves an embedded static file.
func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	f, ok := c.view.static[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.kind)
	if r.URL.Query().Get("v") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+f.hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// view is what every page template gets.
type view struct {
	// nav holds the navigation bars (views.nav).
	nav     map[string]template.HTML
	Title   string
	Session *session
	// Nav is the section of the navigation the page belongs to.
	Nav  string
	Path string
	// Data is the page's own data.
	Data any
	// Flash is a message shown at the top of the page; FlashCode its
	// CPH code when it reports an error.
	Flash     string
	FlashCode string
	FlashOK   bool
	// Version is the version of the fleet's phones and jobs the page was
	// rendered at: its change stream waits for the next one.
	Version uint64
	// Splice, if set, is HTML rendered before (a cached part of the page)
	// that takes the place of the template's first spliceMarker.
	Splice []byte
}

// spliceMarker marks where view.Splice goes in a rendered page. Splicing
// a large part in afterwards costs a copy, where passing it through the
// template would cost its escaper's pass over every byte.
const spliceMarker = "<x-splice></x-splice>"

// CSRF returns the session's CSRF token for forms.
func (v view) CSRF() string {
	if v.Session == nil {
		return ""
	}
	return v.Session.csrf
}

// CanWrite reports whether the page shows action controls.
func (v view) CanWrite() bool { return v.Session != nil && v.Session.CanWrite() }

// render renders page with data; a request for ?fragment=live gets only
// the page's live part (what the script re-fetches on a change).
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, page, title string, data any) {
	c.renderView(w, r, status, page, view{Title: title, Session: s, Path: r.URL.RequestURI(), Data: data, Nav: page})
}

func (c *Console) renderView(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	v.nav = c.view.nav
	t, ok := c.view.pages[page]
	if !ok {
		c.log.Error("console: no template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	name := "layout"
	if r.URL.Query().Get("fragment") == "live" && t.Lookup("live") != nil {
		name = "live"
	} else if v.Session != nil && v.Version == 0 {
		v.Version = v.Session.version
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		c.log.Error("console: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	out := buf.Bytes()
	if v.Splice != nil {
		if before, after, ok := bytes.Cut(out, []byte(spliceMarker)); ok {
			out = slices.Concat(before, v.Splice, after)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// errorPage is the data of the error page.
type errorPage struct {
	Message string
	Code    string
	Meaning string
}

// renderError renders an error page: the message in plain words and, for
// an error of the services, its code and what it means.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, s *session, status int, msg, code string) {
	e := errorPage{Message: msg, Code: code}
	if d, ok := cph.LookupError(code); ok {
		e.Meaning = d.Meaning
	}
	c.render(w, r, s, status, "error", "Error", e)
}

// userError is a refusal of the console itself, in plain words.
type userError struct {
	status int
	msg    string
}

func (e userError) Error() string { return e.msg }

// renderServiceError renders the error a handler returned: a userError,
// or an error of the services.
func (c *Console) renderServiceError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var ue userError
	if errors.As(err, &ue) {
		c.renderError(w, r, s, ue.status, ue.msg, "")
		return
	}
	var ce *cph.Error
	if !errors.As(err, &ce) {
		c.log.Error("console", "path", r.URL.Path, "err", err)
	} else if ce.Err != nil {
		c.log.Warn("console", "path", r.URL.Path, "code", ce.Code, "err", ce.Err)
	}
	e := cph.AsError(err)
	c.renderError(w, r, s, e.Status, plainError(err), e.Code)
}

// plainError says what went wrong in plain words: the meaning of the
// error's code, then its message.
func plainError(err error) string {
	e := cph.AsError(err)
	d, ok := cph.LookupError(e.Code)
	if !ok || d.Meaning == "" {
		return e.Message
	}
	return upperFirst(d.Meaning) + ": " + e.Message
}

// plainCode is the meaning of a code in plain words (for job failures).
func plainCode(code *string) string {
	if code == nil {
		return ""
	}
	return meaning(*code)
}

// meaning is what a code means, in plain words.
func meaning(code string) string {
	if d, ok := cph.LookupError(code); ok && d.Meaning != "" {
		return upperFirst(d.Meaning)
	}
	return ""
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func phoneStatusName(s cph.PhoneStatus) string { return s.String() }

// statusClass is the CSS class of a phone status: ok, busy or bad.
func statusClass(s cph.PhoneStatus) string {
	switch {
	case s == cph.PhoneRunning:
		return "ok"
	case s.Transient():
		return "busy"
	case s < 0:
		return "bad"
	}
	return "off"
}

// jobClass is the CSS class of a job status.
func jobClass(s cph.JobStatus) string {
	switch s {
	case cph.JobSucceeded:
		return "ok"
	case cph.JobFailed:
		return "bad"
	}
	return "busy"
}

func serverStatusName(s cph.ServerStatus) string {
	switch s {
	case cph.ServerNormal:
		return "normal"
	case cph.ServerAbnormal:
		return "abnormal"
	case cph.ServerDeleting:
		return "deleting"
	case cph.ServerFrozen:
		return "frozen"
	case cph.ServerShutDown:
		return "shut down"
	case cph.ServerShuttingDown:
		return "shutting down"
	case cph.ServerShutdownFail:
		return "shutdown failed"
	case cph.ServerStarting:
		return "starting"
	case cph.ServerCreating, cph.ServerCreating1, cph.ServerCreating3, cph.ServerCreating4:
		return "creating"
	}
	return fmt.Sprintf("status %d", s)
}

// since says how long ago t was, roughly.
func since(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// num formats n with thousands separators.
func num(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// when formats a time.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// query builds a query string from key, value pairs, leaving out empty
// values.
func query(kv ...any) template.URL {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		v := fmt.Sprint(kv[i+1])
		if v != "" && v != "0" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return template.URL("?" + q.Encode())
}
