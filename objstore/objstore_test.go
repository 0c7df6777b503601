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

// TestDirKeyClashes: a key cannot be both an object and a folder of
// objects; each clash is ErrKeyConflict or ErrNoSuchObject and changes
// nothing, and emptied folders are freed for objects.
func TestDirKeyClashes(t *testing.T) {
	ctx := context.Background()
	d, err := objstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CreateBucket(ctx, "data"); err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) error {
		_, err := d.Put(ctx, "data", key, strings.NewReader(body))
		return err
	}
	get := func(key string) (string, error) {
		rc, _, err := d.Get(ctx, "data", key)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return string(b), err
	}
	if err := put("a", "file a"); err != nil {
		t.Fatal(err)
	}
	if err := put("a/b", "x"); !errors.Is(err, objstore.ErrKeyConflict) {
		t.Errorf("put a/b over object a: %v, want ErrKeyConflict", err)
	}
	if err := put("a/b/c", "x"); !errors.Is(err, objstore.ErrKeyConflict) {
		t.Errorf("put a/b/c over object a: %v, want ErrKeyConflict", err)
	}
	if err := put("d/e", "file d/e"); err != nil {
		t.Fatal(err)
	}
	if err := put("d", "x"); !errors.Is(err, objstore.ErrKeyConflict) {
		t.Errorf("put d over folder d: %v, want ErrKeyConflict", err)
	}
	for _, key := range []string{"d", "a/b"} {
		if _, err := get(key); !errors.Is(err, objstore.ErrNoSuchObject) {
			t.Errorf("get %s: %v, want ErrNoSuchObject", key, err)
		}
		if err := d.Delete(ctx, "data", key); !errors.Is(err, objstore.ErrNoSuchObject) {
			t.Errorf("delete %s: %v, want ErrNoSuchObject", key, err)
		}
	}
	if body, err := get("a"); err != nil || body != "file a" {
		t.Errorf("a after the refusals = %q, %v", body, err)
	}
	if body, err := get("d/e"); err != nil || body != "file d/e" {
		t.Errorf("d/e after the refusals = %q, %v", body, err)
	}
	// Deleting the last object of a folder frees its name.
	if err := d.Delete(ctx, "data", "d/e"); err != nil {
		t.Fatal(err)
	}
	if err := put("d", "file d"); err != nil {
		t.Errorf("put d once d/e is gone: %v", err)
	}

	long := strings.Repeat("x", objstore.MaxSegment+1)
	if objstore.ValidKey("dir/"+long) || !objstore.ValidKey("dir/"+long[1:]) {
		t.Errorf("ValidKey: segments of %d bytes must be refused, of %d accepted", len(long), len(long)-1)
	}
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		if objstore.ValidKey(bad) {
			t.Errorf("ValidKey(%q) = true", bad)
		}
	}
	if err := put("dir/"+long, "x"); !errors.Is(err, objstore.ErrInvalidName) {
		t.Errorf("put a %d-byte segment: %v, want ErrInvalidName", len(long), err)
	}
	if err := put("dir/"+long[1:], "x"); err != nil {
		t.Errorf("put a %d-byte segment: %v", len(long)-1, err)
	}

	// Keys that look like temporary files are ordinary keys.
	if err := put(".tmp-1234", "mine"); err != nil {
		t.Fatal(err)
	}
	if body, err := get(".tmp-1234"); err != nil || body != "mine" {
		t.Errorf("get .tmp-1234 = %q, %v", body, err)
	}
	objs, err := d.List(ctx, "data", "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	want := []string{".tmp-1234", "a", "d", "dir/" + long[1:]}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("List = %q, want %q (no temporary files, no refused keys)", keys, want)
	}
}
