package servicetest

import (
	"io"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
)

func testBuckets(t *testing.T, env *Env) {
	a, ro, o := env.Admin, env.ReadOnly, env.Other
	const bucket, key, body = "svc-apps", "dir/hello.txt", "hello, bucket"
	get := func(t *testing.T, c Caller, bucket, key string) (string, *cph.Object, error) {
		t.Helper()
		rc, obj, err := c.S.GetObject(c.Ctx, bucket, key)
		if err != nil {
			return "", nil, err
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("read obs://%s/%s: %v", bucket, key, err)
		}
		return string(data), obj, nil
	}
	listed := func(t *testing.T, c Caller) map[string]bool {
		t.Helper()
		list, err := c.S.ListBuckets(c.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, b := range list {
			names[b.Name] = true
		}
		return names
	}
	t.Run("round trip", func(t *testing.T) {
		if got := listed(t, a); len(got) != 0 {
			t.Errorf("buckets before any was made: %v", got)
		}
		if err := a.S.CreateBucket(a.Ctx, bucket); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := a.S.CreateBucket(a.Ctx, bucket); err != nil {
			t.Errorf("create an own bucket again: %v", err)
		}
		list, err := a.S.ListBuckets(a.Ctx)
		if err != nil || len(list) != 1 || list[0].Name != bucket || list[0].CreateTime.IsZero() {
			t.Fatalf("buckets = %+v, %v", list, err)
		}
		if objs, err := a.S.ListObjects(a.Ctx, cph.ObjectFilter{Bucket: bucket}); err != nil || len(objs) != 0 {
			t.Errorf("objects of a new bucket: %+v, %v", objs, err)
		}
		obj, err := a.S.PutObject(a.Ctx, bucket, key, strings.NewReader(body))
		if err != nil {
			t.Fatalf("put: %v", err)
		}
		if obj.Key != key || obj.Size != int64(len(body)) {
			t.Errorf("put answers %+v", obj)
		}
		got, obj, err := get(t, a, bucket, key)
		if err != nil || got != body || obj.Size != int64(len(body)) {
			t.Errorf("get = %q %+v, %v; want %q", got, obj, err, body)
		}
		for _, c := range []struct {
			prefix string
			n      int
		}{{"", 1}, {"dir/", 1}, {"dir/hello", 1}, {"other/", 0}} {
			objs, err := a.S.ListObjects(a.Ctx, cph.ObjectFilter{Bucket: bucket, Prefix: c.prefix})
			if err != nil || len(objs) != c.n {
				t.Errorf("objects with prefix %q: %+v, %v; want %d", c.prefix, objs, err, c.n)
				continue
			}
			if c.n == 1 && (objs[0].Key != key || objs[0].Size != int64(len(body)) || objs[0].LastModified.IsZero()) {
				t.Errorf("listed object = %+v", objs[0])
			}
		}
		if _, err := a.S.PutObject(a.Ctx, bucket, key, strings.NewReader("v2")); err != nil {
			t.Fatalf("overwrite: %v", err)
		}
		if got, _, err := get(t, a, bucket, key); err != nil || got != "v2" {
			t.Errorf("get after overwrite = %q, %v", got, err)
		}
		if err := a.S.DeleteObject(a.Ctx, bucket, key); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, _, err = get(t, a, bucket, key)
		wantCode(t, "get a deleted object", err, cph.CodeNoSuchObject)
		wantCode(t, "delete again", a.S.DeleteObject(a.Ctx, bucket, key), cph.CodeNoSuchObject)
		if objs, err := a.S.ListObjects(a.Ctx, cph.ObjectFilter{Bucket: bucket}); err != nil || len(objs) != 0 {
			t.Errorf("objects after the delete: %+v, %v", objs, err)
		}
	})
	t.Run("put creates the bucket", func(t *testing.T) {
		if _, err := a.S.PutObject(a.Ctx, "svc-auto", "x.bin", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		if got := listed(t, a); !got["svc-auto"] || !got[bucket] || len(got) != 2 {
			t.Errorf("buckets = %v", got)
		}
	})
	t.Run("name clashes", func(t *testing.T) {
		if _, err := a.S.PutObject(a.Ctx, bucket, "apps/app.apk", strings.NewReader("apk")); err != nil {
			t.Fatal(err)
		}
		_, err := a.S.PutObject(a.Ctx, bucket, "apps", strings.NewReader("a folder"))
		wantCode(t, "an object named like a folder", err, cph.CodeObjectKeyConflict)
		_, err = a.S.PutObject(a.Ctx, bucket, "apps/app.apk/more", strings.NewReader("below an object"))
		wantCode(t, "an object below an object", err, cph.CodeObjectKeyConflict)
		if got, _, err := get(t, a, bucket, "apps/app.apk"); err != nil || got != "apk" {
			t.Errorf("the object after the clashes: %q, %v", got, err)
		}
		if objs, err := a.S.ListObjects(a.Ctx, cph.ObjectFilter{Bucket: bucket}); err != nil || len(objs) != 1 {
			t.Errorf("objects after the clashes: %+v, %v", objs, err)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		wantCode(t, "create a bad name", a.S.CreateBucket(a.Ctx, "Bad_Name"), cph.CodeInvalidParameter)
		_, err := a.S.ListObjects(a.Ctx, cph.ObjectFilter{Bucket: "svc-none"})
		wantCode(t, "objects of an unknown bucket", err, cph.CodeNoSuchBucket)
		_, _, err = get(t, a, "svc-none", "x")
		wantCode(t, "get from an unknown bucket", err, cph.CodeNoSuchBucket)
		_, _, err = get(t, a, bucket, "no/such/object")
		wantCode(t, "get an unknown object", err, cph.CodeNoSuchObject)
	})
	t.Run("read-only users change nothing", func(t *testing.T) {
		if got := listed(t, ro); !got[bucket] {
			t.Errorf("the read-only user's buckets: %v", got)
		}
		if got, _, err := get(t, ro, bucket, "apps/app.apk"); err != nil || got != "apk" {
			t.Errorf("the read-only user reads %q, %v", got, err)
		}
		wantCode(t, "create", ro.S.CreateBucket(ro.Ctx, "svc-ro"), cph.CodeForbidden)
		_, err := ro.S.PutObject(ro.Ctx, bucket, "ro.txt", strings.NewReader("ro"))
		wantCode(t, "put", err, cph.CodeForbidden)
		_, err = ro.S.PutObject(ro.Ctx, "svc-ro", "ro.txt", strings.NewReader("ro"))
		wantCode(t, "put into a new bucket", err, cph.CodeForbidden)
		wantCode(t, "delete", ro.S.DeleteObject(ro.Ctx, bucket, "apps/app.apk"), cph.CodeForbidden)
		if got := listed(t, a); got["svc-ro"] {
			t.Errorf("a refused call made a bucket: %v", got)
		}
		if objs, err := a.S.ListObjects(a.Ctx, cph.ObjectFilter{Bucket: bucket}); err != nil || len(objs) != 1 {
			t.Errorf("objects after the refused calls: %+v, %v", objs, err)
		}
	})
	t.Run("other accounts neither see nor touch them", func(t *testing.T) {
		if got := listed(t, o); len(got) != 0 {
			t.Errorf("another account lists %v", got)
		}
		wantCode(t, "create the project's bucket", o.S.CreateBucket(o.Ctx, bucket), cph.CodeForbidden)
		_, err := o.S.PutObject(o.Ctx, bucket, "apps/app.apk", strings.NewReader("evil"))
		wantCode(t, "overwrite an object", err, cph.CodeForbidden)
		_, err = o.S.ListObjects(o.Ctx, cph.ObjectFilter{Bucket: bucket})
		wantCode(t, "list objects", err, cph.CodeNoSuchBucket)
		_, _, err = get(t, o, bucket, "apps/app.apk")
		wantCode(t, "get", err, cph.CodeNoSuchBucket)
		wantCode(t, "delete", o.S.DeleteObject(o.Ctx, bucket, "apps/app.apk"), cph.CodeNoSuchBucket)
		if got := listed(t, o); len(got) != 0 {
			t.Errorf("another account lists %v after its calls", got)
		}
		if got, _, err := get(t, a, bucket, "apps/app.apk"); err != nil || got != "apk" {
			t.Errorf("the object after another account's calls: %q, %v", got, err)
		}
	})
}
