package controlplane_test

import (
	"bytes"
	"errors"
	"github.com/opencph/opencph/controlplane/cptest"
	"io"
	"net/http"
	"testing"

	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

// agentWithBucket returns the agent of srv's first built-in server and
// srv's object store, in which it creates bucket, owned by the project of
// the agent's server.
func agentWithBucket(t *testing.T, srv *controlplane.Server, bucket string) (*agent.Agent, objstore.Store) {
	t.Helper()
	ctx := t.Context()
	servers, err := srv.DB().BuiltinServers(ctx)
	if err != nil || len(servers) == 0 {
		t.Fatal(servers, err)
	}
	store := srv.Objects()
	if err := store.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	if err := srv.DB().Tx(ctx, func(tx *sqlstore.Tx) error {
		_, err := tx.ClaimBucket(ctx, bucket, servers[0].ProjectID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return srv.Agent(servers[0].ID), store
}

// TestAgentObjectTransfer moves objects between the control plane's object
// store and an agent over the agent protocol, as installs, pushes and data
// exports do.
func TestAgentObjectTransfer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ag, store := agentWithBucket(t, startServer(t, nil), "apps")
	if err := store.CreateBucket(ctx, "foreign"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(ctx, "foreign", "x", bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if _, err := ag.FetchObject(ctx, "foreign", "x"); !errors.Is(err, objstore.ErrNoSuchBucket) {
		t.Errorf("a bucket of no project of the agent's: %v", err)
	}
	big := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB: over the 1 MiB API body limit
	if _, err := store.Put(ctx, "apps", "dir/app.apk", bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	got, err := ag.FetchObject(ctx, "apps", "dir/app.apk")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("FetchObject: %d bytes, %v", len(got), err)
	}
	if _, err := ag.FetchObject(ctx, "apps", "missing.apk"); !errors.Is(err, objstore.ErrNoSuchObject) {
		t.Errorf("missing object: %v", err)
	}
	if _, err := ag.FetchObject(ctx, "nobucket", "a.apk"); !errors.Is(err, objstore.ErrNoSuchBucket) {
		t.Errorf("missing bucket: %v", err)
	}
	if err := ag.PutObject(ctx, "apps", "export/phone.tar", big); err != nil {
		t.Fatal(err)
	}
	rc, _, err := store.Get(ctx, "apps", "export/phone.tar")
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(back, big) {
		t.Errorf("uploaded object differs: %d bytes", len(back))
	}
	if err := ag.PutObject(ctx, "nobucket", "x", []byte("x")); !errors.Is(err, objstore.ErrNoSuchBucket) {
		t.Errorf("upload to a missing bucket: %v", err)
	}
	if err := ag.PutObject(ctx, "apps", "../x", []byte("x")); err == nil {
		t.Errorf("upload with a bad key accepted")
	}
}

// TestLargeUserUpload puts an object over the 1 MiB limit of API bodies
// through the bucket endpoints.
func TestLargeUserUpload(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	big := bytes.Repeat([]byte("apk-bytes "), 300_000)
	req, _ := http.NewRequest("PUT", srv.URL()+"/opencph/v1/"+pid+"/buckets/big-apps/objects/app.apk", bytes.NewReader(big))
	req.Header.Set("X-Auth-Token", token)
	resp, err := cptest.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("upload of %d bytes: %d", len(big), resp.StatusCode)
	}
	rc, obj, err := srv.Objects().Get(t.Context(), "big-apps", "app.apk")
	if err != nil || obj.Size != int64(len(big)) {
		t.Fatalf("stored object: %+v, %v", obj, err)
	}
	rc.Close()
}
