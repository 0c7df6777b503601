package controlplane_test

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/objstore"
)

// viewerToken creates the read-only user "viewer" in the bootstrap account
// and returns its project-scoped token.
func viewerToken(t *testing.T, srv *controlplane.Server, opToken string) string {
	t.Helper()
	if r := do(t, "POST", srv.URL()+"/v3/users", opToken, map[string]any{"user": map[string]any{"name": "viewer", "password": "viewer-password", "role": "readonly"}}); r.status != 201 {
		t.Fatalf("create viewer: %d %s", r.status, r.raw)
	}
	token, lr := loginAs(t, srv, "acme", "viewer", "viewer-password", "cn-north-4")
	if lr.status != 201 {
		t.Fatalf("viewer login: %d %s", lr.status, lr.raw)
	}
	return token
}

// TestReadOnlyUserCannotWriteObjectsUnderQueryLikeKeys: whether a call
// changes something is decided by its route, not by how its path ends. An
// object key ending in /resource_instances/action (the path of the
// list-by-tags query) gives a read-only user no write.
func TestReadOnlyUserCannotWriteObjectsUnderQueryLikeKeys(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	opToken, pid := mustLogin(t, srv)
	viewer := viewerToken(t, srv, opToken)
	const bucket, key = "apps", "x/resource_instances/action"
	objURL := srv.URL() + "/opencph/v1/" + pid + "/buckets/" + bucket + "/objects/" + key

	put := func(token string, body []byte) *response {
		t.Helper()
		req, _ := http.NewRequest("PUT", objURL, bytes.NewReader(body))
		req.Header.Set("X-Auth-Token", token)
		resp, err := cptest.HTTPClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return &response{status: resp.StatusCode}
	}

	// The viewer's upload is refused and stores nothing.
	r := do(t, "PUT", objURL, viewer, "viewer's bytes")
	if r.status != 403 || r.body["error_code"] != "CPS.0001" {
		t.Errorf("viewer PUT object: %d %s", r.status, r.raw)
	}
	if _, _, err := srv.Objects().Get(t.Context(), bucket, key); !errors.Is(err, objstore.ErrNoSuchBucket) && !errors.Is(err, objstore.ErrNoSuchObject) {
		t.Errorf("refused upload stored something: %v", err)
	}

	// An admin's object under that key survives the viewer's DELETE.
	if r := put(opToken, []byte("admin's bytes")); r.status != 200 {
		t.Fatalf("admin PUT object: %d", r.status)
	}
	if r := do(t, "DELETE", objURL, viewer, nil); r.status != 403 || r.body["error_code"] != "CPS.0001" {
		t.Errorf("viewer DELETE object: %d %s", r.status, r.raw)
	}
	rc, obj, err := srv.Objects().Get(t.Context(), bucket, key)
	if err != nil {
		t.Fatalf("object after the refused delete: %v", err)
	}
	rc.Close()
	if obj.Size != int64(len("admin's bytes")) {
		t.Errorf("object changed by a refused call: %+v", obj)
	}
	// The viewer cannot create a bucket either.
	if r := do(t, "PUT", srv.URL()+"/opencph/v1/"+pid+"/buckets/resource_instances", viewer, nil); r.status != 403 || r.body["error_code"] != "CPS.0001" {
		t.Errorf("viewer PUT bucket: %d %s", r.status, r.raw)
	}

	// The queries that are POSTs still work for the viewer.
	tags := srv.URL() + "/v1/" + pid + "/cph-server/resource_instances/action"
	if r := do(t, "POST", tags, viewer, map[string]any{"action": "filter"}); r.status != 200 {
		t.Errorf("viewer lists servers by tag: %d %s", r.status, r.raw)
	}
	if r := do(t, "POST", tags, viewer, map[string]any{"action": "count"}); r.status != 200 {
		t.Errorf("viewer counts servers by tag: %d %s", r.status, r.raw)
	}
	// ... and the viewer still reads the object.
	if r := do(t, "GET", srv.URL()+"/opencph/v1/"+pid+"/buckets/"+bucket+"/objects", viewer, nil); r.status != 200 {
		t.Errorf("viewer lists objects: %d %s", r.status, r.raw)
	}
}
