package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// serverRoutes registers the servers pages.
func (c *Console) serverRoutes() {
	c.mux.Handle("GET /console/servers", c.page(c.servers))
	c.mux.Handle("GET /console/servers/{id}", c.page(c.server))
	c.mux.Handle("POST /console/servers/{id}/restart", c.action(c.restartServer))
	c.mux.Handle("POST /console/servers/{id}/rename", c.action(c.renameServer))
	c.mux.Handle("POST /console/servers/{id}/tags", c.action(c.addServerTag))
	c.mux.Handle("POST /console/servers/{id}/tags/delete", c.action(c.deleteServerTag))
	c.mux.Handle("POST /console/servers/{id}/events/{event}/authorize", c.action(c.authorizeServerEvent))
}

// serverStatuses are the server statuses the list's filter offers.
var serverStatuses = []cph.ServerStatus{cph.ServerNormal, cph.ServerAbnormal, cph.ServerCreating, cph.ServerStarting,
	cph.ServerShuttingDown, cph.ServerShutDown, cph.ServerShutdownFail, cph.ServerFrozen, cph.ServerDeleting}

// pager numbers the rows of one page of a list and links to the pages
// around it.
type pager struct {
	// Base is the path of the list, Values its query without the offset.
	Base   string
	Values url.Values
	Offset int
	Size   int
	Count  int // rows of this page
	Total  int // rows of every page
}

// First and Last number the page's rows (1-based; 0 for an empty page).
func (p pager) First() int {
	if p.Count == 0 {
		return 0
	}
	return p.Offset + 1
}

// Last is the number of the page's last row.
func (p pager) Last() int { return p.Offset + p.Count }

// Prev is the offset of the previous page, or -1.
func (p pager) Prev() int {
	if p.Offset <= 0 {
		return -1
	}
	return max(0, p.Offset-p.Size)
}

// Next is the offset of the next page, or -1.
func (p pager) Next() int {
	if p.Offset+p.Count >= p.Total || p.Count == 0 {
		return -1
	}
	return p.Offset + p.Size
}

// LastOffset is the offset of the last page.
func (p pager) LastOffset() int {
	if p.Total == 0 {
		return 0
	}
	return (p.Total - 1) / p.Size * p.Size
}

// Link is the URL of the page at offset.
func (p pager) Link(offset int) string {
	v := url.Values{}
	for k, vs := range p.Values {
		v[k] = vs
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	if e := v.Encode(); e != "" {
		return p.Base + "?" + e
	}
	return p.Base
}

// parseOffset reads a list's offset; a bad one is refused as the API
// refuses bad paging (CPS.0002).
func parseOffset(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, cph.ErrInvalidPaging()
	}
	return n, nil
}

// serverRow is a server as the pages show it.
type serverRow struct {
	*cph.Server
	now time.Time
	ttl time.Duration // the agent TTL (Config.AgentTTL)
}

// StatusName is the server's status in words.
func (s serverRow) StatusName() string { return serverStatusName(s.Status) }

// StatusClass is the CSS class of the server's status.
func (s serverRow) StatusClass() string { return serverStatusClass(s.Status) }

// Connected reports whether the server's agent polled recently.
func (s serverRow) Connected() bool {
	return !s.LastSeen.IsZero() && s.now.Sub(s.LastSeen.Time) < s.ttl
}

// Agent says in words whether the server's agent is connected.
func (s serverRow) Agent() string {
	switch {
	case s.LastSeen.IsZero():
		return "never connected"
	case s.Connected():
		return "connected"
	}
	return "not connected (last seen " + since(s.LastSeen.Time) + ")"
}

// IP is the server's address.
func (s serverRow) IP() string {
	if len(s.Addresses) == 0 {
		return ""
	}
	return s.Addresses[0].ServerIP
}

func serverStatusClass(s cph.ServerStatus) string {
	switch s {
	case cph.ServerNormal:
		return "ok"
	case cph.ServerAbnormal, cph.ServerShutdownFail, cph.ServerFrozen:
		return "bad"
	case cph.ServerShutDown:
		return "off"
	}
	return "busy"
}

// statusOption is one choice of a status filter.
type statusOption struct {
	Value    string
	Name     string
	Selected bool
}

type serversPage struct {
	Name     string
	Status   string
	Filtered bool
	Statuses []statusOption
	Servers  []serverRow
	Pager    pager
}

func (c *Console) servers(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	offset, err := parseOffset(q.Get("offset"))
	if err != nil {
		return err
	}
	d := serversPage{Name: strings.TrimSpace(q.Get("name")), Status: q.Get("status")}
	f := cph.ServerFilter{ProjectID: s.caller.ProjectID, Offset: offset, Limit: pageSize}
	if d.Name != "" {
		f.NameLike = &d.Name
	}
	if d.Status != "" {
		n, err := strconv.Atoi(d.Status)
		if err != nil {
			return userError{http.StatusBadRequest, "Choose a server status from the list."}
		}
		st := cph.ServerStatus(n)
		f.Status = &st
	}
	pg, err := c.cfg.Servers.ListServers(s.ctx(r), f)
	if err != nil {
		return err
	}
	now := c.cfg.Now()
	for _, sv := range pg.Servers {
		d.Servers = append(d.Servers, serverRow{sv, now, c.cfg.AgentTTL})
	}
	for _, st := range serverStatuses {
		v := strconv.Itoa(int(st))
		d.Statuses = append(d.Statuses, statusOption{Value: v, Name: serverStatusName(st), Selected: v == d.Status})
	}
	d.Filtered = d.Name != "" || d.Status != ""
	vals := url.Values{}
	if d.Name != "" {
		vals.Set("name", d.Name)
	}
	if d.Status != "" {
		vals.Set("status", d.Status)
	}
	d.Pager = pager{Base: Prefix + "servers", Values: vals, Offset: offset, Size: pageSize, Count: len(pg.Servers), Total: pg.Total}
	c.render(w, r, s, http.StatusOK, "servers", "Servers", d)
	return nil
}

// serverPage is the data of a server's detail page.
type serverPage struct {
	// Events are the server's scheduled events (nil without
	// Config.Events).
	Events []*cph.ScheduledEvent

	Server  serverRow
	Detail  *cph.ServerDetail
	Tags    []cph.Tag
	MaxTags int
	Phones  []*cph.Phone
	Pager   pager
	// Request is the request ID of a restart just asked for.
	Request string
	URL     string
	// ShareFilesystems are the mounted shared file systems; ShareApps the
	// first page of the shared-app snapshot.
	ShareFilesystems []cph.ShareFilesystemMount
	ShareApps        *cph.ShareAppsSnapshot
}

// serverID returns the server ID of the request's path, or refuses it.
func serverID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !cph.ValidID(id) {
		return "", cph.ErrServerNotFound()
	}
	return id, nil
}

func (c *Console) server(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderServer(w, r, s, "", "", nil)
}

// renderServer renders a server's page with the answer of an action just
// taken: a restart's request ID, a message, or an error in plain words.
func (c *Console) renderServer(w http.ResponseWriter, r *http.Request, s *session, requestID, flash string, failure error) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	offset, err := parseOffset(r.URL.Query().Get("offset"))
	if err != nil {
		return err
	}
	ctx := s.ctx(r)
	sd, err := c.cfg.Servers.ShowServer(ctx, id)
	if err != nil {
		return err
	}
	tags, err := c.cfg.Servers.ListServerTags(ctx, id)
	if err != nil {
		return err
	}
	pg, err := c.cfg.Phones.ListPhones(ctx, cph.PhoneFilter{ProjectID: s.caller.ProjectID, ServerID: &id, Offset: offset, Limit: pageSize})
	if err != nil {
		return err
	}
	mounts, err := c.cfg.Servers.ListShareFilesystemMounts(ctx, id)
	if err != nil {
		return err
	}
	apps, err := c.cfg.Servers.ListShareAppsSnapshot(ctx, cph.ShareAppsFilter{ServerID: id})
	if err != nil {
		return err
	}
	d := serverPage{Server: serverRow{&sd.Server, c.cfg.Now(), c.cfg.AgentTTL}, Detail: sd, Tags: tags, MaxTags: cph.MaxTagsPerServer,
		Phones: pg.Phones, Request: requestID, URL: Prefix + "servers/" + id,
		Pager: pager{Base: Prefix + "servers/" + id, Offset: offset, Size: pageSize, Count: len(pg.Phones), Total: pg.Total}}
	d.ShareFilesystems, d.ShareApps = mounts, apps
	v := view{Title: sd.Name, Session: s, Nav: "server", Path: r.URL.RequestURI(), Data: d, Flash: flash, FlashOK: flash != ""}
	if c.cfg.Events != nil {
		evs, err := c.cfg.Events.ListScheduledEvents(ctx, cph.EventFilter{ServerID: id, Page: cph.MarkerPage{Limit: cph.MaxEventPage}})
		if err != nil {
			return err
		}
		d.Events = evs.Events
		v.Data = d
	}
	if failure != nil {
		v.Flash, v.FlashCode, v.FlashOK = plainError(failure), cph.ErrorCode(failure), false
	}
	status := http.StatusOK
	if failure != nil {
		status = cph.AsError(failure).Status
	}
	c.renderView(w, r, status, "server", v)
	return nil
}

// serverAction renders the server's page with the outcome of an action:
// its message, or its refusal in plain words at the top of the page (so
// that the form can be used again). An unknown server gets the error
// page.
func (c *Console) serverAction(w http.ResponseWriter, r *http.Request, s *session, requestID, flash string, err error) error {
	if err != nil {
		if cph.AsError(err).Status == http.StatusNotFound {
			return err
		}
		return c.renderServer(w, r, s, "", "", err)
	}
	return c.renderServer(w, r, s, requestID, flash, nil)
}

// restartServer restarts the server and its phones.
func (c *Console) restartServer(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	res, err := c.cfg.Servers.RestartServers(s.ctx(r), []string{id})
	reqID := ""
	if res != nil {
		reqID = res.RequestID
		if err == nil && len(res.Jobs) == 1 && res.Jobs[0].JobID == "" {
			err = cph.Ef(res.Jobs[0].ErrorCode, "%s", res.Jobs[0].ErrorMsg)
		}
	}
	c.auditAction(r, s, "RestartCloudPhoneServer", []string{id}, reqID, err)
	return c.serverAction(w, r, s, reqID, "The restart of the server and its phones is queued.", err)
}

// renameServer changes the server's name.
func (c *Console) renameServer(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	err = c.cfg.Servers.RenameServer(s.ctx(r), id, name)
	c.auditAction(r, s, "UpdateServerName", []string{id}, "", err)
	return c.serverAction(w, r, s, "", "The server is now named "+name+".", err)
}

// formTag reads the tag of a tag form.
func formTag(r *http.Request) cph.Tag {
	return cph.Tag{Key: strings.TrimSpace(r.PostFormValue("key")), Value: strings.TrimSpace(r.PostFormValue("value"))}
}

// addServerTag adds a tag to the server, or sets its value. A refusal is
// shown on the server's page, so that the form can be tried again.
func (c *Console) addServerTag(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	t := formTag(r)
	if t.Key == "" || t.Value == "" {
		return c.renderServer(w, r, s, "", "", userParamError("tags", "Enter a tag key and a value."))
	}
	err = c.cfg.Servers.CreateServerTags(s.ctx(r), id, []cph.Tag{t})
	c.auditAction(r, s, "BatchCreateOrDeleteTags", []string{id}, "", err)
	return c.serverAction(w, r, s, "", "The tag "+t.Key+" = "+t.Value+" is set.", err)
}

// deleteServerTag removes a tag of the server.
func (c *Console) deleteServerTag(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	t := formTag(r)
	if t.Key == "" {
		return c.renderServer(w, r, s, "", "", userParamError("tags", "Choose a tag to remove."))
	}
	err = c.cfg.Servers.DeleteServerTags(s.ctx(r), id, []cph.Tag{t})
	c.auditAction(r, s, "BatchCreateOrDeleteTags", []string{id}, "", err)
	return c.serverAction(w, r, s, "", "The tag "+t.Key+" is removed.", err)
}

// authorizeServerEvent authorises one of the server's scheduled events to
// run now, for maintenance.
func (c *Console) authorizeServerEvent(w http.ResponseWriter, r *http.Request, s *session) error {
	if _, err := serverID(r); err != nil {
		return err
	}
	if c.cfg.Events == nil {
		return cph.ErrEventNotFound()
	}
	eventID := r.PathValue("event")
	typ := cph.AuthorizeMaintenance
	err := c.cfg.Events.AuthorizeScheduledEvent(s.ctx(r), eventID, cph.AuthorizeEventParams{AuthorizationType: &typ})
	c.auditAction(r, s, "AuthorizeScheduledEvent", []string{eventID}, "", err)
	return c.serverAction(w, r, s, "", "The event is authorised: its phones restart within seconds.", err)
}
