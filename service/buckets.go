package service

import (
	"context"
	"errors"
	"io"
	"net/http"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.BucketService = (*Services)(nil)

func errNoSuchBucket() *cph.Error {
	return cph.ErrNoSuchBucket()
}

func errKeyConflict() *cph.Error {
	return cph.ErrObjectKeyConflict()
}

func errNoSuchObject() *cph.Error {
	return cph.ErrNoSuchObject()
}

// ownBucket checks that bucket is a valid name owned by projectID: a
// bucket of another project looks missing (CPS.9201).
func (s *Services) ownBucket(ctx context.Context, projectID, bucket string) error {
	if !objstore.ValidBucket(bucket) {
		return cph.ErrInvalidParameter("bucket_name")
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
	if ok, err := s.objects.BucketExists(ctx, bucket); err != nil {
		return err
	} else if !ok {
		return errNoSuchBucket()
	}
	return nil
}

// claimBucket creates bucket if needed and claims it for projectID unless
// another project owns it (CPS.0001).
func (s *Services) claimBucket(ctx context.Context, projectID, bucket string) error {
	if !objstore.ValidBucket(bucket) {
		return cph.ErrInvalidParameter("bucket_name")
	}
	if err := s.objects.CreateBucket(ctx, bucket); err != nil && !errors.Is(err, objstore.ErrBucketExists) {
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

// ListBuckets implements cph.BucketService.
func (s *Services) ListBuckets(ctx context.Context) ([]*cph.Bucket, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.db.ListBuckets(ctx, p.ProjectID)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []*cph.Bucket{}
	}
	return list, nil
}

// CreateBucket implements cph.BucketService.
func (s *Services) CreateBucket(ctx context.Context, name string) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	return s.claimBucket(ctx, p.ProjectID, name)
}

// objectOut is o as the services return it.
func objectOut(o objstore.Object) *cph.Object {
	return &cph.Object{Key: o.Key, Size: o.Size, LastModified: cph.NewTime(o.ModTime)}
}

// ListObjects implements cph.BucketService.
func (s *Services) ListObjects(ctx context.Context, f cph.ObjectFilter) ([]*cph.Object, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.ownBucket(ctx, p.ProjectID, f.Bucket); err != nil {
		return nil, err
	}
	objs, err := s.objects.List(ctx, f.Bucket, f.Prefix)
	if errors.Is(err, objstore.ErrNoSuchBucket) {
		return nil, errNoSuchBucket()
	} else if err != nil {
		return nil, err
	}
	out := make([]*cph.Object, 0, len(objs))
	for _, o := range objs {
		out = append(out, objectOut(o))
	}
	return out, nil
}

// PutObject implements cph.BucketService.
func (s *Services) PutObject(ctx context.Context, bucket, key string, body io.Reader) (*cph.Object, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !objstore.ValidKey(key) {
		return nil, cph.ErrInvalidParameter("object_path")
	}
	if err := s.claimBucket(ctx, p.ProjectID, bucket); err != nil {
		return nil, err
	}
	obj, err := s.objects.Put(ctx, bucket, key, body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, maxErr
		}
		if errors.Is(err, objstore.ErrKeyConflict) {
			return nil, errKeyConflict()
		}
		return nil, err
	}
	return objectOut(obj), nil
}

// GetObject implements cph.BucketService.
func (s *Services) GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, *cph.Object, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := s.ownBucket(ctx, p.ProjectID, bucket); err != nil {
		return nil, nil, err
	}
	rc, obj, err := s.objects.Get(ctx, bucket, key)
	switch {
	case errors.Is(err, objstore.ErrNoSuchObject), errors.Is(err, objstore.ErrInvalidName):
		return nil, nil, errNoSuchObject()
	case err != nil:
		return nil, nil, err
	}
	return rc, objectOut(obj), nil
}

// DeleteObject implements cph.BucketService.
func (s *Services) DeleteObject(ctx context.Context, bucket, key string) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	if err := s.ownBucket(ctx, p.ProjectID, bucket); err != nil {
		return err
	}
	err = s.objects.Delete(ctx, bucket, key)
	switch {
	case errors.Is(err, objstore.ErrNoSuchObject), errors.Is(err, objstore.ErrInvalidName):
		return errNoSuchObject()
	case err != nil:
		return err
	}
	return nil
}
