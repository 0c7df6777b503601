package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

// The bucket endpoints (/opencph/v1/{project_id}/buckets...) let a user
// fill and inspect the object storage that CPH operations name with
// obs://bucket/key. Bucket names form one namespace, as in OBS; each
// bucket belongs to the project that first used it, and only that
// project sees it.

// BucketInfo is a bucket in a bucket listing.
type BucketInfo struct {
	Name       string   `json:"name"`
	CreateTime cph.Time `json:"create_time"`
}

// ObjectInfo is an object in an object listing.
type ObjectInfo struct {
	Key          string   `json:"key"`
	Size         int64    `json:"size"`
	LastModified cph.Time `json:"last_modified"`
}

func errNoSuchBucket() *cph.Error {
	return cph.Errorf(http.StatusNotFound, cph.CodeNoSuchBucket, "The specified bucket does not exist.")
}

func errKeyConflict() *cph.Error {
	return cph.Errorf(http.StatusConflict, cph.CodeObjectKeyConflict,
		"The object key clashes with a folder: another object's key continues it with '/', or one of its folders is an object.")
}

func errNoSuchObject() *cph.Error {
	return cph.Errorf(http.StatusNotFound, cph.CodeNoSuchObject, "The specified object does not exist.")
}

// ownBucket checks that bucket is a valid name owned by projectID. With
// create, a bucket nobody owns is created if needed and claimed.
func (s *Server) ownBucket(ctx context.Context, projectID, bucket string, create bool) error {
	if !objstore.ValidBucket(bucket) {
		return cph.ErrInvalidParameter("bucket_name")
	}
	if create {
		if err := s.cfg.Objects.CreateBucket(ctx, bucket); err != nil && !errors.Is(err, objstore.ErrBucketExists) {
			return err
		}
		var owner string
		err := s.db.Tx(ctx, func(tx *sqlstore.Tx) (err error) {
			owner, err = tx.ClaimBucket(ctx, bucket, projectID)
			return err
		})
		if err != nil {
			return err
		}
		if owner != projectID {
			return cph.ErrForbidden()
		}
		return nil
	}
	owner, err := s.db.BucketOwner(ctx, bucket)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return errNoSuchBucket()
	} else if err != nil {
		return err
	}
	if owner != projectID {
		return errNoSuchBucket()
	}
	if ok, err := s.cfg.Objects.BucketExists(ctx, bucket); err != nil {
		return err
	} else if !ok {
		return errNoSuchBucket()
	}
	return nil
}

// listBuckets is GET /opencph/v1/{project_id}/buckets.
func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	list, err := s.db.ListBuckets(r.Context(), p.ProjectID)
	if err != nil {
		return err
	}
	out := []BucketInfo{}
	for _, b := range list {
		out = append(out, BucketInfo{Name: b.Name, CreateTime: cph.NewTime(b.CreatedAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "buckets": out})
	return nil
}

// createBucket is PUT /opencph/v1/{project_id}/buckets/{bucket}. It is
// idempotent for the owner; a bucket of another project is 403 CPS.0001.
func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	if err := s.ownBucket(r.Context(), p.ProjectID, r.PathValue("bucket"), true); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"request_id": RequestID(r)})
	return nil
}

// listObjects is GET /opencph/v1/{project_id}/buckets/{bucket}/objects[?prefix=].
func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	bucket := r.PathValue("bucket")
	if err := s.ownBucket(r.Context(), p.ProjectID, bucket, false); err != nil {
		return err
	}
	objs, err := s.cfg.Objects.List(r.Context(), bucket, r.URL.Query().Get("prefix"))
	if errors.Is(err, objstore.ErrNoSuchBucket) {
		return errNoSuchBucket()
	} else if err != nil {
		return err
	}
	out := []ObjectInfo{}
	for _, o := range objs {
		out = append(out, ObjectInfo{Key: o.Key, Size: o.Size, LastModified: cph.NewTime(o.ModTime)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "objects": out})
	return nil
}

// putObject is PUT /opencph/v1/{project_id}/buckets/{bucket}/objects/{key...}:
// the body is the object. The bucket is created if it does not exist.
func (s *Server) putObject(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	if !objstore.ValidKey(key) {
		return cph.ErrInvalidParameter("object_path")
	}
	if err := s.ownBucket(r.Context(), p.ProjectID, bucket, true); err != nil {
		return err
	}
	obj, err := s.cfg.Objects.Put(r.Context(), bucket, key, r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return maxErr
		}
		if errors.Is(err, objstore.ErrKeyConflict) {
			return errKeyConflict()
		}
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": RequestID(r), "key": obj.Key, "size": obj.Size})
	return nil
}

// getObject is GET /opencph/v1/{project_id}/buckets/{bucket}/objects/{key...}.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	if err := s.ownBucket(r.Context(), p.ProjectID, bucket, false); err != nil {
		return err
	}
	rc, obj, err := s.cfg.Objects.Get(r.Context(), bucket, key)
	switch {
	case errors.Is(err, objstore.ErrNoSuchObject), errors.Is(err, objstore.ErrInvalidName):
		return errNoSuchObject()
	case err != nil:
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
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	if err := s.ownBucket(r.Context(), p.ProjectID, bucket, false); err != nil {
		return err
	}
	err := s.cfg.Objects.Delete(r.Context(), bucket, key)
	switch {
	case errors.Is(err, objstore.ErrNoSuchObject), errors.Is(err, objstore.ErrInvalidName):
		return errNoSuchObject()
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"request_id": RequestID(r)})
	return nil
}
