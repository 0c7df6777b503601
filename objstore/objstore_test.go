package objstore_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/opencph/opencph/objstore"
)

func TestDir(t *testing.T) {
	ctx := context.Background()
	d, err := objstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "apps", "a.apk", strings.NewReader("x")); !errors.Is(err, objstore.ErrNoSuchBucket) {
		t.Errorf("put into a missing bucket: %v", err)
	}
	if err := d.CreateBucket(ctx, "apps"); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateBucket(ctx, "apps"); !errors.Is(err, objstore.ErrBucketExists) {
		t.Errorf("second create: %v", err)
	}
	if ok, _ := d.BucketExists(ctx, "apps"); !ok {
		t.Error("bucket does not exist after create")
	}
	obj, err := d.Put(ctx, "apps", "v1/app.apk", strings.NewReader("hello"))
	if err != nil || obj.Size != 5 {
		t.Fatalf("put = %+v, %v", obj, err)
	}
	if _, err := d.Put(ctx, "apps", "v1/app.apk", strings.NewReader("hello, world")); err != nil {
		t.Fatal(err)
	}
	rc, obj, err := d.Get(ctx, "apps", "v1/app.apk")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "hello, world" || obj.Size != 12 {
		t.Errorf("get = %q (%d)", b, obj.Size)
	}
	d.Put(ctx, "apps", "v2/other.apk", strings.NewReader("o"))
	list, err := d.List(ctx, "apps", "v1/")
	if err != nil || len(list) != 1 || list[0].Key != "v1/app.apk" {
		t.Errorf("list v1/ = %+v, %v", list, err)
	}
	if all, _ := d.List(ctx, "apps", ""); len(all) != 2 {
		t.Errorf("list all = %+v", all)
	}
	if err := d.Delete(ctx, "apps", "v1/app.apk"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Get(ctx, "apps", "v1/app.apk"); !errors.Is(err, objstore.ErrNoSuchObject) {
		t.Errorf("get after delete: %v", err)
	}
	if err := d.Delete(ctx, "apps", "v1/app.apk"); !errors.Is(err, objstore.ErrNoSuchObject) {
		t.Errorf("second delete: %v", err)
	}
	for _, key := range []string{"../escape", "a/../../b", "/abs", "a//b", ""} {
		if _, err := d.Put(ctx, "apps", key, strings.NewReader("x")); !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("key %q: %v, want ErrInvalidName", key, err)
		}
	}
	for _, b := range []string{"A", "ab", "-ab", "a_b", "a..b", strings.Repeat("a", 64)} {
		if err := d.CreateBucket(ctx, b); !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("bucket %q: %v, want ErrInvalidName", b, err)
		}
	}
}

func TestParseURL(t *testing.T) {
	b, k, err := objstore.ParseURL("obs://my-bucket/dir/app.apk")
	if err != nil || b != "my-bucket" || k != "dir/app.apk" {
		t.Errorf("ParseURL = %q %q %v", b, k, err)
	}
	for _, bad := range []string{"s3://b/k", "obs://b", "obs://bucket/", "obs://bucket/../x"} {
		if _, _, err := objstore.ParseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
