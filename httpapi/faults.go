package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/httpapi/internal/openapispec"
)

// Fault injection (docs/faults.md): the rule endpoints
// (/opencph/v1/{project_id}/faults), and the rules that act on API calls,
// applied after a call is authenticated and before its handler runs. An
// injected answer is written as a genuine error of its code: nothing in
// it tells that it was injected; only the log (injected_fault) and the
// audit trail (injected_faults) do.

// faultRoutes registers the fault-injection rule endpoints.
func (s *Server) faultRoutes() {
	const f = "/opencph/v1/{project_id}/faults"
	s.handle("POST "+f, familyCPH, s.withProject(s.createFault))
	s.handle("GET "+f, familyCPH, s.withProject(s.listFaults))
	s.handle("GET "+f+"/{fault_id}", familyCPH, s.withProject(s.showFault))
	s.handle("DELETE "+f+"/{fault_id}", familyCPH, s.withProject(s.deleteFault))
}

// FaultOperations returns the operation names a fault-injection rule may
// name: every operation of a route scoped to a project, except the rule
// endpoints themselves. Sorted.
func FaultOperations() []string {
	var out []string
	for pattern, name := range openapispec.RouteOperations() {
		_, path, _ := strings.Cut(pattern, " ")
		if !strings.Contains(path, "/{project_id}") || strings.HasPrefix(path, "/v3/") ||
			slices.Contains(openapispec.FaultRouteOperations, name) || slices.Contains(out, name) {
			continue
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// injectCallFault applies the fault-injection rules of the caller's
// project to r (authenticated, its caller in r's context): it waits out
// a delay and returns the error of an http_error rule.
func (s *Server) injectCallFault(r *http.Request) error {
	info := infoOf(r)
	if s.cfg.Faults == nil || info == nil || info.route == nil || slices.Contains(openapispec.FaultRouteOperations, info.route.operation) {
		return nil
	}
	var targets []string
	for _, name := range []string{"phone_id", "server_id"} {
		if v := r.PathValue(name); v != "" {
			targets = append(targets, v)
		}
	}
	cf, err := s.cfg.Faults.MatchCallFault(r.Context(), info.route.operation, targets)
	if err != nil {
		// A rule that cannot be read changes nothing for the call.
		s.log.Warn("fault rules could not be matched", "operation", info.route.operation, "request_id", RequestID(r), "err", err)
		return nil
	}
	if cf == nil {
		return nil
	}
	if cf.Delay > 0 {
		t := time.NewTimer(cf.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return r.Context().Err()
		}
	}
	if cf.Err != nil {
		return cf.Err
	}
	return nil
}

// createFault is POST /opencph/v1/{project_id}/faults.
func (s *Server) createFault(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req cph.CreateFaultParams
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	f, err := s.cfg.Faults.CreateFault(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

// listFaults is GET /opencph/v1/{project_id}/faults.
func (s *Server) listFaults(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	list, err := s.cfg.Faults.ListFaults(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "count": len(list), "faults": list})
	return nil
}

// showFault is GET /opencph/v1/{project_id}/faults/{fault_id}.
func (s *Server) showFault(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	f, err := s.cfg.Faults.ShowFault(r.Context(), r.PathValue("fault_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// deleteFault is DELETE /opencph/v1/{project_id}/faults/{fault_id}.
func (s *Server) deleteFault(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	if err := s.cfg.Faults.DeleteFault(r.Context(), r.PathValue("fault_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
