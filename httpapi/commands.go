package httpapi

import (
	"net/http"

	"github.com/opencph/opencph"
)

// commandRequest is the body of /phones/commands and /phones/sync-commands.
// A missing command or content is an empty one, which the service
// refuses.
type commandRequest struct {
	Command   string   `json:"command"`
	Content   string   `json:"content"`
	PhoneIDs  []string `json:"phone_ids"`
	ServerIDs []string `json:"server_ids"`
}

// decodeCommand decodes a command request.
func decodeCommand(r *http.Request) (cph.CommandParams, error) {
	var req commandRequest
	if err := decodeBody(r, &req); err != nil {
		return cph.CommandParams{}, err
	}
	return cph.CommandParams(req), nil
}

type commandResponse struct {
	RequestID string           `json:"request_id"`
	Jobs      []cph.CommandJob `json:"jobs"`
}

// runCommand is InstallApk, UninstallApk, PushFile and RunShellCommand.
func (s *Server) runCommand(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	cmd, err := decodeCommand(r)
	if err != nil {
		return err
	}
	res, err := s.cfg.Phones.RunCommand(r.Context(), cmd)
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", res.RequestID)
	writeJSON(w, http.StatusOK, commandResponse{RequestID: res.RequestID, Jobs: res.Jobs})
	return nil
}

type syncCommandResponse struct {
	RequestID string               `json:"request_id"`
	Jobs      []cph.SyncCommandJob `json:"jobs"`
}

// syncCommand is RunSyncCommand: a shell command on at most
// 15 phones, answered when every job has finished or after 30 s (plus
// the 2 s each phone has), with the jobs as they are then.
func (s *Server) syncCommand(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	cmd, err := decodeCommand(r)
	if err != nil {
		return err
	}
	res, err := s.cfg.Phones.RunSyncCommand(r.Context(), cmd)
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", res.RequestID)
	writeJSON(w, http.StatusOK, syncCommandResponse{RequestID: res.RequestID, Jobs: res.Jobs})
	return nil
}
