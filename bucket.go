package cph

import (
	"context"
	"io"
)

// Bucket is an object storage bucket of a project. Bucket names form one
// namespace, as in OBS; each bucket belongs to the project that first
// used it, and only that project sees it.
type Bucket struct {
	Name       string `json:"name"`
	CreateTime Time   `json:"create_time"`
}

// Object is an object of a bucket.
type Object struct {
	Key          string `json:"key"`
	Size         int64  `json:"size"`
	LastModified Time   `json:"last_modified"`
}

// ObjectFilter selects objects in ListObjects.
type ObjectFilter struct {
	Bucket string // required
	Prefix string // keys starting with it; "" for all
}

// BucketService manages the caller's object buckets and their objects:
// the object storage that operations name with obs://bucket/key. The
// caller travels in the context (NewCallerContext); a bucket of another
// project looks missing (CPS.9201), except to CreateBucket.
type BucketService interface {
	// ListBuckets returns the buckets of the caller's project, by name.
	// Errors: APIGW.0301, APIGW.0302.
	ListBuckets(ctx context.Context) ([]*Bucket, error)

	// CreateBucket creates a bucket owned by the caller's project;
	// creating an own bucket again succeeds.
	// Errors: CPS.9011 (a name that is not a bucket name), CPS.0001 (a
	// bucket of another project, or a read-only user), APIGW.0301,
	// APIGW.0302.
	CreateBucket(ctx context.Context, name string) error

	// ListObjects returns the objects of one of the caller's buckets
	// that f selects, by key.
	// Errors: CPS.9011 (a name that is not a bucket name), CPS.9201 (no
	// such bucket), APIGW.0301, APIGW.0302.
	ListObjects(ctx context.Context, f ObjectFilter) ([]*Object, error)

	// PutObject stores what body holds as the object key of bucket,
	// creating the bucket if nobody owns it, and returns the object. An
	// error reading body (a body over its size limit among them) is
	// returned as it is.
	// Errors: CPS.9011 (a bad bucket name or key), CPS.0001 (a bucket of
	// another project, or a read-only user), CPS.9203 (the key clashes
	// with a folder: another object's key continues it with '/', or one
	// of its folders is an object), APIGW.0301, APIGW.0302.
	PutObject(ctx context.Context, bucket, key string, body io.Reader) (*Object, error)

	// GetObject returns the content of an object and what it is; the
	// caller closes the content.
	// Errors: CPS.9011 (a bad bucket name), CPS.9201 (no such bucket),
	// CPS.9202 (no such object), APIGW.0301, APIGW.0302.
	GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, *Object, error)

	// DeleteObject removes an object.
	// Errors: CPS.9011 (a bad bucket name), CPS.9201 (no such bucket),
	// CPS.9202 (no such object), CPS.0001, APIGW.0301, APIGW.0302.
	DeleteObject(ctx context.Context, bucket, key string) error
}
