package console

import (
	"net/http"

	cph "github.com/opencph/opencph"
)

// overviewPage is the data of the overview.
type overviewPage struct {
	S *cph.FleetSummary
	// Phones and Servers are the non-zero counts by status, with links.
	Phones  []cph.PhoneStatusCount
	Servers []cph.ServerStatusCount
	// Recent are the servers the overview lists with their agents: the
	// newest, at most a page.
	Recent []*cph.Server
	// MoreServers reports whether there are more servers than Recent.
	MoreServers bool
	LiveURL     string
}

// overviewServers is the most servers the overview lists.
const overviewServers = 10

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) error {
	sum, err := c.cfg.Servers.FleetSummary(s.ctx(r))
	if err != nil {
		return err
	}
	d := overviewPage{S: sum, LiveURL: Prefix}
	for _, p := range sum.PhonesByStatus {
		if p.Count > 0 {
			d.Phones = append(d.Phones, p)
		}
	}
	for _, sv := range sum.ServersByStatus {
		if sv.Count > 0 {
			d.Servers = append(d.Servers, sv)
		}
	}
	pg, err := c.cfg.Servers.ListServers(s.ctx(r), cph.ServerFilter{ProjectID: s.caller.ProjectID, Limit: overviewServers})
	if err != nil {
		return err
	}
	d.Recent, d.MoreServers = pg.Servers, pg.Total > len(pg.Servers)
	c.render(w, r, s, http.StatusOK, "overview", "Overview", d)
	return nil
}
