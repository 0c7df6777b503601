package httpapi

import (
	"io"
	"net/http"
	"strconv"

	"github.com/opencph/opencph"
)

// The bucket endpoints (/opencph/v1/{project_id}/buckets...) let a user
// fill and inspect the object storage that CPH operations name with
// obs://bucket/key. Bucket names form one namespace, as in OBS; each
// bucket belongs to the project that first used it, and only that
// project sees it.

// listBuckets is GET /opencph/v1/{project_id}/buckets.
func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	list, err := s.cfg.Buckets.ListBuckets(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []*cph.Bucket{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "buckets": list})
	return nil
}

// createBucket is PUT /opencph/v1/{project_id}/buckets/{bucket}. It is
// idempotent for the owner; a bucket of another project is 403 CPS.0001.
func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	if err := s.cfg.Buckets.CreateBucket(r.Context(), r.PathValue("bucket")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"request_id": RequestID(r)})
	return nil
}

// listObjects is GET /opencph/v1/{project_id}/buckets/{bucket}/objects[?prefix=].
func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	f := cph.ObjectFilter{Bucket: r.PathValue("bucket"), Prefix: r.URL.Query().Get("prefix")}
	objs, err := s.cfg.Buckets.ListObjects(r.Context(), f)
	if err != nil {
		return err
	}
	if objs == nil {
		objs = []*cph.Object{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "objects": objs})
	return nil
}

// putObject is PUT /opencph/v1/{project_id}/buckets/{bucket}/objects/{key...}:
// the body is the object. The bucket is created if it does not exist.
func (s *Server) putObject(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	obj, err := s.cfg.Buckets.PutObject(r.Context(), r.PathValue("bucket"), r.PathValue("key"), r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "key": obj.Key, "size": obj.Size})
	return nil
}

// getObject is GET /opencph/v1/{project_id}/buckets/{bucket}/objects/{key...}.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	rc, obj, err := s.cfg.Buckets.GetObject(r.Context(), r.PathValue("bucket"), r.PathValue("key"))
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc) // the client sees a short body if this fails
	return nil
}

// deleteObject is DELETE /opencph/v1/{project_id}/buckets/{bucket}/objects/{key...}.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	if err := s.cfg.Buckets.DeleteObject(r.Context(), r.PathValue("bucket"), r.PathValue("key")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"request_id": RequestID(r)})
	return nil
}
