package httpapi

import (
	"net/http"
	"strconv"
	"time"

	cph "github.com/opencph/opencph"
)

// The stand-in endpoints are OpenCPH extensions for tests that use
// OpenCPH in place of CPH: simulated boot times of a project or a phone,
// a server-side wait for jobs, and a reset of the project to its initial
// fleet.
func (s *Server) standInRoutes() {
	const o = "/opencph/v1/{project_id}"
	s.handle("GET "+o+"/sim-settings", familyCPH, s.withProject(s.showSimSettings))
	s.handle("PUT "+o+"/sim-settings", familyCPH, s.withProject(s.setSimSettings))
	s.handle("GET "+o+"/cloud-phone/phones/{phone_id}/sim-settings", familyCPH, s.withProject(s.showSimSettings))
	s.handle("PUT "+o+"/cloud-phone/phones/{phone_id}/sim-settings", familyCPH, s.withProject(s.setSimSettings))
	s.handle("GET "+o+"/jobs/wait", familyCPH, s.withProject(s.waitForJobs), holds(cph.MaxJobWait))
	s.handle("POST "+o+"/reset", familyCPH, s.withProject(s.resetProject), holds(cph.MaxJobWait))
	s.snapshotRoutes()
}

type simSettingsResponse struct {
	RequestID   string           `json:"request_id"`
	SimSettings *cph.SimSettings `json:"sim_settings"`
}

// showSimSettings is GET .../sim-settings of the project or a phone.
func (s *Server) showSimSettings(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	out, err := s.cfg.StandIn.ShowSimSettings(r.Context(), r.PathValue("phone_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, simSettingsResponse{RequestID: RequestID(r), SimSettings: out})
	return nil
}

// setSimSettings is PUT .../sim-settings of the project or a phone.
func (s *Server) setSimSettings(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		BootTimeMS *int64 `json:"boot_time_ms"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	out, err := s.cfg.StandIn.SetSimSettings(r.Context(), r.PathValue("phone_id"), cph.SimSettings{BootTimeMS: req.BootTimeMS})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, simSettingsResponse{RequestID: RequestID(r), SimSettings: out})
	return nil
}

// waitTimeout reads the timeout parameter: a Go duration ("30s", "1m")
// or whole seconds ("30"); absent is 0 (the default).
func waitTimeout(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, cph.ErrInvalidParameter("timeout")
	}
	return d, nil
}

func jobDocs(jobs []*cph.Job) []cph.JobDoc {
	out := make([]cph.JobDoc, len(jobs))
	for i, j := range jobs {
		out[i] = j.Doc()
	}
	return out
}

// waitForJobs is GET /opencph/v1/{project_id}/jobs/wait.
func (s *Server) waitForJobs(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	q := r.URL.Query()
	timeout, err := waitTimeout(q.Get("timeout"))
	if err != nil {
		return err
	}
	res, err := s.cfg.StandIn.WaitForJobs(r.Context(), cph.JobWait{JobID: q.Get("job_id"), RequestID: q.Get("request_id"), Timeout: timeout})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "final": res.Final, "count": len(res.Jobs), "jobs": jobDocs(res.Jobs)})
	return nil
}

// resetProject is POST /opencph/v1/{project_id}/reset[?wait=true&timeout=].
func (s *Server) resetProject(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	q := r.URL.Query()
	timeout, err := waitTimeout(q.Get("timeout"))
	if err != nil {
		return err
	}
	var wait bool
	if v := q.Get("wait"); v != "" {
		if wait, err = strconv.ParseBool(v); err != nil {
			return cph.ErrInvalidParameter("wait")
		}
	}
	res, err := s.cfg.StandIn.ResetProject(r.Context(), cph.ProjectReset{Wait: wait, Timeout: timeout})
	if err != nil {
		return err
	}
	body := map[string]any{"request_id": res.RequestID, "cleared": res.Cleared, "jobs": res.Jobs}
	if res.RequestID == "" {
		body["request_id"] = RequestID(r)
	} else {
		w.Header().Set("X-Request-Id", res.RequestID)
	}
	if wait {
		body["final"], body["final_jobs"] = res.Final, jobDocs(res.FinalJobs)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// snapshotRoutes are the operator's fleet snapshots.
func (s *Server) snapshotRoutes() {
	const sn = "/opencph/v1/admin/snapshots"
	s.handle("GET "+sn, familyCPH, s.listSnapshots)
	s.handle("PUT "+sn+"/{name}", familyCPH, s.saveSnapshot)
	s.handle("POST "+sn+"/{name}/restore", familyCPH, s.restoreSnapshot)
	s.handle("DELETE "+sn+"/{name}", familyCPH, s.deleteSnapshot)
}

// listSnapshots is GET /opencph/v1/admin/snapshots.
func (s *Server) listSnapshots(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	list, err := s.cfg.Snapshots.ListSnapshots(callerContext(r, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "count": len(list), "snapshots": list})
	return nil
}

// saveSnapshot is PUT /opencph/v1/admin/snapshots/{name}[?replace=true].
func (s *Server) saveSnapshot(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var replace bool
	if v := r.URL.Query().Get("replace"); v != "" {
		if replace, err = strconv.ParseBool(v); err != nil {
			return cph.ErrInvalidParameter("replace")
		}
	}
	snap, err := s.cfg.Snapshots.SaveSnapshot(callerContext(r, p), r.PathValue("name"), replace)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "snapshot": snap})
	return nil
}

// restoreSnapshot is POST /opencph/v1/admin/snapshots/{name}/restore.
func (s *Server) restoreSnapshot(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	snap, err := s.cfg.Snapshots.RestoreSnapshot(callerContext(r, p), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "snapshot": snap})
	return nil
}

// deleteSnapshot is DELETE /opencph/v1/admin/snapshots/{name}.
func (s *Server) deleteSnapshot(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Snapshots.DeleteSnapshot(callerContext(r, p), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
