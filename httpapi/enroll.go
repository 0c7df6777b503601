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

// agentEnroll is POST /agent/v1/enroll: an agent trades the enrollment
// token for a new server and that server's credential.
func (s *Server) agentEnroll(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.EnrollToken == "" {
		return cph.Errorf(http.StatusForbidden, agentproto.CodeEnrollDisabled, "Agent enrollment is disabled on this control plane.")
	}
	tokenRight, err := s.enrollAttempt(r)
	if err != nil {
		return err
	}
	var req agentproto.EnrollRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(req.Token), []byte(s.cfg.EnrollToken)) != 1 {
		s.log.Warn("agent enrollment refused: wrong token", "remote", r.RemoteAddr, "name", req.Name)
		return cph.Errorf(http.StatusUnauthorized, agentproto.CodeUnauthorized, "Wrong enrollment token.")
	}
	tokenRight()
	if !reServerName.MatchString(req.Name) || req.Phones < 0 || req.Phones > engine.MaxEnrolledPhones {
		return cph.Errorf(http.StatusBadRequest, agentproto.CodeBadEnrollment,
			"The name must be 1-64 letters, digits, '_' or '-', and phones between 0 and %d.", engine.MaxEnrolledPhones)
	}
	proj, err := s.enrollProject(r, req.Project)
	if err != nil {
		return err
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
	s.log.Info("agent enrolled", "server_id", srv.ID, "server_name", srv.Name, "project_id", proj.ID, "phones", req.Phones, "agent_version", req.Version)
	writeJSON(w, http.StatusOK, agentproto.EnrollResponse{ServerID: srv.ID, ServerName: srv.Name, ProjectID: proj.ID, Credential: secret})
	return nil
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
