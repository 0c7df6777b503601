package httpapi

import (
	"net/http"

	cph "github.com/opencph/opencph"
)

// The overview endpoints are OpenCPH extensions for consoles: the
// project's recent jobs without naming their requests, and the counts of
// its fleet.
func (s *Server) overviewRoutes() {
	s.handle("GET /opencph/v1/{project_id}/jobs", familyCPH, s.withProject(s.listRecentJobs))
	s.handle("GET /opencph/v1/{project_id}/fleet-summary", familyCPH, s.withProject(s.fleetSummary))
}

// listRecentJobs is GET /opencph/v1/{project_id}/jobs.
func (s *Server) listRecentJobs(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	offset, limit, err := paging(r, cph.MaxJobPage, cph.MaxJobPage)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := cph.RecentJobFilter{RequestID: q.Get("request_id"), PhoneID: q.Get("phone_id"), ServerID: q.Get("server_id"),
		Marker: q.Get("marker"), Offset: offset, Limit: limit}
	if v := q.Get("status"); v != "" {
		st, ok := cph.ParseJobStatus(v)
		if !ok {
			return cph.ErrInvalidStatus()
		}
		f.Status = st
	}
	page, err := s.cfg.Jobs.ListRecentJobs(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]cph.JobDoc, len(page.Jobs))
	for i, j := range page.Jobs {
		out[i] = j.Doc()
	}
	writeMarkedPage(w, r, "jobs", out, len(out), page.NextMarker)
	return nil
}

type fleetSummaryResponse struct {
	RequestID string `json:"request_id"`
	*cph.FleetSummary
}

// fleetSummary is GET /opencph/v1/{project_id}/fleet-summary.
func (s *Server) fleetSummary(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	sum, err := s.cfg.Servers.FleetSummary(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fleetSummaryResponse{RequestID: RequestID(r), FleetSummary: sum})
	return nil
}
