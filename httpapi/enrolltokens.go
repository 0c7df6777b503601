package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

// The enrollment-token endpoints (/opencph/v1/{project_id}/enrollment-tokens)
// let a project's admins create, list and revoke the tokens with which
// cph-agent enrolls new servers into that project.

// EnrollmentTokenPrefix starts every project enrollment token, so that
// secret scanners and people can tell what it is.
const EnrollmentTokenPrefix = "cphe_"

// enrollmentTokenRoutes registers the enrollment-token endpoints.
func (s *Server) enrollmentTokenRoutes() {
	const et = "/opencph/v1/{project_id}/enrollment-tokens"
	s.handle("POST "+et, familyCPH, s.withProjectAdmin(s.createEnrollmentToken))
	s.handle("GET "+et, familyCPH, s.withProjectAdmin(s.listEnrollmentTokens))
	s.handle("DELETE "+et+"/{token_id}", familyCPH, s.withProjectAdmin(s.deleteEnrollmentToken))
}

// withProjectAdmin is withProject for the project's admins only: every
// method, reads included, answers 403 CPS.0001 to read-only users.
func (s *Server) withProjectAdmin(h func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error) handlerFunc {
	return s.withProject(func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
		if !p.User.IsAdmin {
			return cph.ErrForbidden()
		}
		return h(w, r, p)
	})
}

func enrollmentTokenOut(t *sqlstore.EnrollmentToken) cph.EnrollmentToken {
	return cph.EnrollmentToken{ID: t.ID, ProjectID: t.ProjectID, Description: t.Description, CreatedBy: t.CreatedBy,
		CreatedAt: cph.NewTime(t.CreatedAt), ExpiresAt: cph.NewTime(t.ExpiresAt), LastUsedAt: cph.NewTime(t.LastUsedAt)}
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
	desc := req.Token.Description
	if len(desc) > cph.MaxEnrollmentTokenDescription || strings.ContainsFunc(desc, unicode.IsControl) {
		return cph.ErrInvalidParameter("description")
	}
	now := s.db.Now()
	exp := req.Token.ExpiresAt.Time
	if !exp.IsZero() && !exp.After(now) {
		return cph.ErrInvalidParameter("expires_at")
	}
	secret, _, err := iam.NewSecret()
	if err != nil {
		return err
	}
	secret = EnrollmentTokenPrefix + secret
	t := &sqlstore.EnrollmentToken{ID: cph.NewID(), ProjectID: p.ProjectID, SecretHash: iam.HashToken(secret), Description: desc,
		CreatedBy: p.User.ID, CreatedAt: now, ExpiresAt: exp}
	err = s.db.CreateEnrollmentToken(r.Context(), t, cph.MaxEnrollmentTokens)
	if errors.Is(err, sqlstore.ErrEnrollmentTokenLimit) {
		return cph.ErrTooManyItems("enrollment_tokens", cph.MaxEnrollmentTokens)
	} else if err != nil {
		return err
	}
	s.log.Info("enrollment token created", "token_id", t.ID, "project_id", p.ProjectID, "user_id", p.User.ID)
	out := enrollmentTokenOut(t)
	out.Token = secret
	writeJSON(w, http.StatusCreated, map[string]any{"request_id": RequestID(r), "enrollment_token": out})
	return nil
}

// listEnrollmentTokens is GET /opencph/v1/{project_id}/enrollment-tokens.
func (s *Server) listEnrollmentTokens(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	list, err := s.db.EnrollmentTokens(r.Context(), p.ProjectID)
	if err != nil {
		return err
	}
	out := make([]cph.EnrollmentToken, 0, len(list))
	for _, t := range list {
		out = append(out, enrollmentTokenOut(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "count": len(out), "enrollment_tokens": out})
	return nil
}

// deleteEnrollmentToken is DELETE
// /opencph/v1/{project_id}/enrollment-tokens/{token_id}: the token stops
// enrolling at once. Servers it enrolled keep their own credentials.
func (s *Server) deleteEnrollmentToken(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	id := r.PathValue("token_id")
	err := s.db.DeleteEnrollmentToken(r.Context(), p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return cph.Errorf(http.StatusNotFound, cph.CodeEnrollmentTokenNotFound, "The enrollment token does not exist.")
	} else if err != nil {
		return err
	}
	s.log.Info("enrollment token revoked", "token_id", id, "project_id", p.ProjectID, "user_id", p.User.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
