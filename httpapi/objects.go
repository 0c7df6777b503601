package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

// maxObjectBytes is the largest object an agent may upload.
const maxObjectBytes = 256 << 20

// objectError maps object store errors to agent protocol errors.
func objectError(err error) error {
	switch {
	case errors.Is(err, objstore.ErrNoSuchBucket):
		return cph.Errorf(http.StatusNotFound, agentproto.CodeNoSuchBucket, "The specified bucket does not exist.")
	case errors.Is(err, objstore.ErrNoSuchObject):
		return cph.Errorf(http.StatusNotFound, agentproto.CodeNoSuchKey, "The specified key does not exist.")
	case errors.Is(err, objstore.ErrInvalidName):
		return cph.Errorf(http.StatusBadRequest, agentproto.CodeInvalidName, "Invalid bucket name or object key.")
	case errors.Is(err, objstore.ErrKeyConflict):
		return cph.Errorf(http.StatusConflict, agentproto.CodeKeyConflict, "The object key clashes with another object's folder.")
	}
	return err
}

// agentBucket checks that the bucket belongs to the project of the
// agent's server; any other bucket looks missing.
func (s *Server) agentBucket(r *http.Request, a *agentCaller) error {
	owner, err := s.db.BucketOwner(r.Context(), r.PathValue("bucket"))
	if errors.Is(err, sqlstore.ErrNotFound) || (err == nil && owner != a.server.ProjectID) {
		return objectError(objstore.ErrNoSuchBucket)
	}
	return err
}

// agentGetObject is GET /agent/v1/objects/{bucket}/{key...}.
func (s *Server) agentGetObject(w http.ResponseWriter, r *http.Request, a *agentCaller) error {
	if err := s.agentBucket(r, a); err != nil {
		return err
	}
	rc, obj, err := s.cfg.Objects.Get(r.Context(), r.PathValue("bucket"), r.PathValue("key"))
	if err != nil {
		return objectError(err)
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc) // the agent retries a broken download
	return nil
}

// agentPutObject is PUT /agent/v1/objects/{bucket}/{key...}.
func (s *Server) agentPutObject(w http.ResponseWriter, r *http.Request, a *agentCaller) error {
	if err := s.agentBucket(r, a); err != nil {
		return err
	}
	if _, err := s.cfg.Objects.Put(r.Context(), r.PathValue("bucket"), r.PathValue("key"), r.Body); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return objectError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
