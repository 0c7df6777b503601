package console

import (
	"net/http"
	"net/url"
	"strings"

	cph "github.com/opencph/opencph"
)

// jobsPage is the data of the jobs list.
type jobsPage struct {
	Request, Status, Phone, Server string
	Jobs                           []*cph.Job
	// Next is the URL of the next page, if there is one.
	Next    string
	LiveURL string
}

// jobsPageSize is the jobs of one page of the list.
const jobsPageSize = 50

// jobs lists the project's recent jobs, newest first, filtered by
// request, status, phone or server.
func (c *Console) jobs(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	d := jobsPage{Request: strings.TrimSpace(q.Get("request_id")), Status: q.Get("status"),
		Phone: strings.TrimSpace(q.Get("phone_id")), Server: strings.TrimSpace(q.Get("server_id"))}
	f := cph.RecentJobFilter{RequestID: d.Request, PhoneID: d.Phone, ServerID: d.Server, Marker: q.Get("marker"), Limit: jobsPageSize}
	if d.Status != "" {
		st, ok := cph.ParseJobStatus(d.Status)
		if !ok {
			return cph.ErrInvalidStatus()
		}
		f.Status = st
	}
	pg, err := c.cfg.Jobs.ListRecentJobs(s.ctx(r), f)
	if err != nil {
		return err
	}
	d.Jobs = pg.Jobs
	v := url.Values{}
	for k, val := range map[string]string{"request_id": d.Request, "status": d.Status, "phone_id": d.Phone, "server_id": d.Server} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if f.Marker != "" {
		v.Set("marker", f.Marker)
	}
	d.LiveURL = Prefix + "jobs?" + v.Encode()
	if pg.NextMarker != "" {
		v.Set("marker", pg.NextMarker)
		d.Next = Prefix + "jobs?" + v.Encode()
	}
	c.render(w, r, s, http.StatusOK, "jobs", "Jobs", d)
	return nil
}
