package httpapi

import (
	"io"
	"net/http"
	"strconv"
)

// maxObjectBytes is the largest object an agent may upload.
const maxObjectBytes = 256 << 20

// agentGetObject is GET /agent/v1/objects/{bucket}/{key...}.
func (s *Server) agentGetObject(w http.ResponseWriter, r *http.Request) error {
	rc, size, err := s.cfg.Agents.OpenAgentObject(r.Context(), r.PathValue("bucket"), r.PathValue("key"))
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc) // the agent retries a broken download
	return nil
}

// agentPutObject is PUT /agent/v1/objects/{bucket}/{key...}. The body is
// streamed to the object store; a body over maxObjectBytes is a 413.
func (s *Server) agentPutObject(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Agents.PutAgentObject(r.Context(), r.PathValue("bucket"), r.PathValue("key"), r.Body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
