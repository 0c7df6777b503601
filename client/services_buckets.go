package client

import (
	"bytes"
	"context"
	"io"

	cph "github.com/opencph/opencph"
)

var _ cph.BucketService = (*Services)(nil)

// ListBuckets implements cph.BucketService.
func (s *Services) ListBuckets(ctx context.Context) ([]*cph.Bucket, error) {
	list, err := s.c.ListBuckets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*cph.Bucket, len(list))
	for i, b := range list {
		out[i] = &cph.Bucket{Name: b.Name, CreateTime: b.CreateTime}
	}
	return out, nil
}

// CreateBucket implements cph.BucketService.
func (s *Services) CreateBucket(ctx context.Context, name string) error {
	return s.c.CreateBucket(ctx, name)
}

// ListObjects implements cph.BucketService.
func (s *Services) ListObjects(ctx context.Context, f cph.ObjectFilter) ([]*cph.Object, error) {
	list, err := s.c.ListObjects(ctx, f.Bucket, f.Prefix)
	if err != nil {
		return nil, err
	}
	out := make([]*cph.Object, len(list))
	for i, o := range list {
		out[i] = &cph.Object{Key: o.Key, Size: o.Size, LastModified: o.LastModified}
	}
	return out, nil
}

// PutObject implements cph.BucketService. The body is read into memory
// before it is sent; the object returned has no LastModified.
func (s *Services) PutObject(ctx context.Context, bucket, key string, body io.Reader) (*cph.Object, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if err := s.c.PutObject(ctx, bucket, key, data); err != nil {
		return nil, err
	}
	return &cph.Object{Key: key, Size: int64(len(data))}, nil
}

// GetObject implements cph.BucketService. The content is read into
// memory before GetObject returns; the object returned has no
// LastModified.
func (s *Services) GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, *cph.Object, error) {
	data, err := s.c.GetObject(ctx, bucket, key)
	if err != nil {
		return nil, nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), &cph.Object{Key: key, Size: int64(len(data))}, nil
}

// DeleteObject implements cph.BucketService.
func (s *Services) DeleteObject(ctx context.Context, bucket, key string) error {
	return s.c.DeleteObject(ctx, bucket, key)
}
