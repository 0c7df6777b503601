package httpapi

import (
	"net/http"

	"github.com/opencph/opencph"
)

// The enrollment-token endpoints (/opencph/v1/{project_id}/enrollment-tokens)
// let a project's admins create, list and revoke the tokens with which
// cph-agent enrolls new servers into that project.

// EnrollmentTokenPrefix starts every project enrollment token, so that
// secret scanners and people can tell what it is.
const EnrollmentTokenPrefix = cph.EnrollmentTokenPrefix

// enrollmentTokenRoutes registers the enrollment-token endpoints. The
// service answers 403 CPS.0001 to read-only users for every method,
// reads included.
func (s *Server) enrollmentTokenRoutes() {
	const et = "/opencph/v1/{project_id}/enrollment-tokens"
	s.handle("POST "+et, familyCPH, s.withProject(s.createEnrollmentToken))
	s.handle("GET "+et, familyCPH, s.withProject(s.listEnrollmentTokens))
	s.handle("DELETE "+et+"/{token_id}", familyCPH, s.withProject(s.deleteEnrollmentToken))
}

// createEnrollmentToken is POST /opencph/v1/{project_id}/enrollment-tokens.
func (s *Server) createEnrollmentToken(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Token *struct {
			Description string   `json:"description"`
			ExpiresAt   cph.Time `json:"expires_at"`
		} `json:"enrollment_token"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Token == nil {
		return cph.ErrInvalidParameter("enrollment_token")
	}
	out, err := s.cfg.Identity.CreateEnrollmentToken(r.Context(), cph.CreateEnrollmentTokenParams{
		Description: req.Token.Description, ExpiresAt: req.Token.ExpiresAt.Time})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"request_id": RequestID(r), "enrollment_token": out})
	return nil
}

// listEnrollmentTokens is GET /opencph/v1/{project_id}/enrollment-tokens.
func (s *Server) listEnrollmentTokens(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	list, err := s.cfg.Identity.ListEnrollmentTokens(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "count": len(list), "enrollment_tokens": list})
	return nil
}

// deleteEnrollmentToken is DELETE
// /opencph/v1/{project_id}/enrollment-tokens/{token_id}: the token stops
// enrolling at once. Servers it enrolled keep their own credentials.
func (s *Server) deleteEnrollmentToken(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	if err := s.cfg.Identity.DeleteEnrollmentToken(r.Context(), r.PathValue("token_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
