package httpapi

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"regexp"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

var reServerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// agentEnroll is POST /agent/v1/enroll: an agent trades an enrollment
// token for a new server and that server's credential.
func (s *Server) agentEnroll(w http.ResponseWriter, r *http.Request) error {
	tokenRight, err := s.enrollAttempt(r)
	if err != nil {
		return err
	}
	var req agentproto.EnrollRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	proj, tokenID, err := s.checkEnrollToken(r, req)
	if err != nil {
		return err
	}
	tokenRight()
	if !reServerName.MatchString(req.Name) || req.Phones < 0 || req.Phones > engine.MaxEnrolledPhones {
		return cph.Errorf(http.StatusBadRequest, agentproto.CodeBadEnrollment,
			"The name must be 1-64 letters, digits, '_' or '-', and phones between 0 and %d.", engine.MaxEnrolledPhones)
	}
	srv, err := s.engine.EnrollServer(r.Context(), engine.EnrollSpec{ProjectID: proj.ID, Name: req.Name, Phones: req.Phones, ImageID: cph.DefaultImageID})
	if err != nil {
		return err
	}
	secret, hash, err := iam.NewSecret()
	if err != nil {
		return err
	}
	if err := s.db.SetAgentTokenHash(r.Context(), srv.ID, hash); err != nil {
		return err
	}
	if tokenID != "" {
		if err := s.db.TouchEnrollmentToken(r.Context(), tokenID); err != nil {
			s.log.Warn("could not record the use of an enrollment token", "token_id", tokenID, "err", err)
		}
	}
	s.log.Info("agent enrolled", "server_id", srv.ID, "server_name", srv.Name, "project_id", proj.ID, "phones", req.Phones,
		"enrollment_token_id", tokenID, "agent_version", req.Version)
	writeJSON(w, http.StatusOK, agentproto.EnrollResponse{ServerID: srv.ID, ServerName: srv.Name, ProjectID: proj.ID, Credential: secret})
	return nil
}

// maxEnrollTokenBytes bounds the enrollment token a request may present.
const maxEnrollTokenBytes = 512

// checkEnrollToken is the one place where an enrollment token is checked.
// It returns the project the new server joins and the id of the project
// token used (empty for the installation token).
//
// A project's token (created through the enrollment-token endpoints)
// enrolls into its own project only: req.Project may be empty or must
// name that project, else 403 AGENT.0405. The installation token
// (--enroll-token), when configured, is the operator's and enrolls
// into the project req.Project names. Anything else, and an expired
// token, is 401 AGENT.0401.
func (s *Server) checkEnrollToken(r *http.Request, req agentproto.EnrollRequest) (*cph.Project, string, error) {
	ctx := r.Context()
	wrong := cph.Errorf(http.StatusUnauthorized, agentproto.CodeUnauthorized, "Wrong enrollment token.")
	if req.Token == "" || len(req.Token) > maxEnrollTokenBytes {
		return nil, "", wrong
	}
	if s.cfg.EnrollToken != "" && subtle.ConstantTimeCompare([]byte(req.Token), []byte(s.cfg.EnrollToken)) == 1 {
		proj, err := s.enrollProject(r, req.Project)
		return proj, "", err
	}
	tok, err := s.db.EnrollmentTokenByHash(ctx, iam.HashToken(req.Token))
	if errors.Is(err, sqlstore.ErrNotFound) {
		s.log.Warn("agent enrollment refused: wrong token", "remote", clientAddr(r), "name", req.Name)
		return nil, "", wrong
	} else if err != nil {
		return nil, "", err
	}
	if !tok.ExpiresAt.IsZero() && !s.db.Now().Before(tok.ExpiresAt) {
		s.log.Warn("agent enrollment refused: expired token", "remote", clientAddr(r), "name", req.Name, "token_id", tok.ID)
		return nil, "", cph.Errorf(http.StatusUnauthorized, agentproto.CodeUnauthorized, "The enrollment token has expired.")
	}
	proj, err := s.db.ProjectByID(ctx, tok.ProjectID)
	if err != nil {
		return nil, "", err
	}
	if req.Project != "" && req.Project != proj.ID && req.Project != proj.Name {
		s.log.Warn("agent enrollment refused: token of another project", "remote", clientAddr(r), "name", req.Name,
			"token_id", tok.ID, "token_project_id", proj.ID, "project", req.Project)
		return nil, "", cph.Errorf(http.StatusForbidden, agentproto.CodeEnrollWrongProject,
			"The enrollment token enrolls into project %s (%s) only.", proj.Name, proj.ID)
	}
	return proj, tok.ID, nil
}

// enrollProject resolves a project id, or a project name: the bootstrap
// account's project of that name, else the only project of that name.
func (s *Server) enrollProject(r *http.Request, ref string) (*cph.Project, error) {
	ctx := r.Context()
	notFound := cph.Errorf(http.StatusNotFound, agentproto.CodeNoSuchProject, "No single project %q exists.", ref)
	if ref == "" {
		return nil, notFound
	}
	if p, err := s.db.ProjectByID(ctx, ref); err == nil {
		return p, nil
	} else if !errors.Is(err, sqlstore.ErrNotFound) {
		return nil, err
	}
	if domainID, err := s.db.Meta(ctx, "bootstrap_domain"); err == nil {
		if p, err := s.db.ProjectByName(ctx, domainID, ref); err == nil {
			return p, nil
		}
	}
	ps, err := s.db.ProjectsNamed(ctx, ref)
	if err != nil {
		return nil, err
	}
	if len(ps) != 1 {
		return nil, notFound
	}
	return ps[0], nil
}
