package controlplane_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/cphdcmd"
)

// TestServerKeyRotationOnReplicas rotates the server key of two replicas
// on one PostgreSQL database step by step, as docs/operations.md tells an
// operator to, restarting one replica at a time: at every step, every
// access key (made before, during or after the rotation, on either
// replica) verifies on both replicas; rotate-server-key re-encrypts what
// is left, and is idempotent; at the end only the new key is needed and
// the old one opens nothing.
func TestServerKeyRotationOnReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL, objects := postgresURL(t), t.TempDir()
	oldKey, newKey := bytes.Repeat([]byte{0x11}, 32), bytes.Repeat([]byte{0x22}, 32)
	start := func(cur, prev, next []byte) *controlplane.Server {
		return startServer(t, func(c *controlplane.Config) {
			c.DatabaseURL, c.ObjectsDir = dbURL, objects
			c.IAM.ServerKey, c.IAM.PreviousServerKey, c.IAM.NextServerKey = cur, prev, next
			c.IAM.MaxKeysPerUser = 5
		})
	}
	a, b := start(oldKey, nil, nil), start(oldKey, nil, nil)
	token, pid := mustLogin(t, a)
	_, tokResp := login(t, a, testPassword)
	userID := tokResp.body["token"].(map[string]any)["user"].(map[string]any)["id"].(string)
	type key struct{ ak, sk string }
	var keys []key
	create := func(srv *controlplane.Server) key {
		t.Helper()
		r := do(t, "POST", srv.URL()+"/v3.0/OS-CREDENTIAL/credentials", token, map[string]any{"credential": map[string]any{"user_id": userID}})
		if r.status != 201 {
			t.Fatalf("create key: %d %s", r.status, r.raw)
		}
		cred := r.body["credential"].(map[string]any)
		k := key{cred["access"].(string), cred["secret"].(string)}
		keys = append(keys, k)
		return k
	}
	use := func(step string, srv *controlplane.Server, k key) int {
		t.Helper()
		return signed(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones?limit=1", k.ak, k.sk, pid, "").status
	}
	allWork := func(step string, servers ...*controlplane.Server) {
		t.Helper()
		for i, srv := range servers {
			for _, k := range keys {
				if st := use(step, srv, k); st != 200 {
					t.Errorf("%s: key %s on replica %d: %d, want 200", step, k.ak, i, st)
				}
			}
		}
	}
	sealed := func(ak string) string {
		t.Helper()
		k, err := a.DB().AccessKeyByID(ctx, ak)
		if err != nil {
			t.Fatal(err)
		}
		return k.SecretEnc
	}
	restart := func(srv *controlplane.Server, cur, prev, next []byte) *controlplane.Server {
		t.Helper()
		srv.Close()
		return start(cur, prev, next)
	}

	k1 := create(a)
	allWork("before the rotation", a, b)

	// Step 1: every replica learns the new key as the next one.
	a = restart(a, oldKey, nil, newKey)
	allWork("step 1, A restarted", a, b)
	b = restart(b, oldKey, nil, newKey)
	k3 := create(b) // sealed with the old key, left unused until rotate-server-key
	allWork("step 1 done", a, b)
	_ = k3
	keys = keys[:1] // k3 is checked after the rotation only

	// Step 2: every replica seals with the new key, the old one previous.
	a = restart(a, newKey, oldKey, nil)
	before := sealed(k1.ak)
	if st := use("step 2", a, k1); st != 200 {
		t.Fatalf("k1 on A in step 2: %d", st)
	}
	if sealed(k1.ak) == before {
		t.Error("k1, used on a replica sealing with the new key, was not re-encrypted")
	}
	create(a) // k2, sealed with the new key: B (still in step 1) must open it
	allWork("step 2, A restarted", a, b)
	b = restart(b, newKey, oldKey, nil)
	allWork("step 2 done", a, b)

	// Step 3: re-encrypt the rest (k3) at once; again finds nothing to do.
	args := []string{"admin", "rotate-server-key", "--database", dbURL,
		"--server-key", hex.EncodeToString(newKey), "--server-key-previous", hex.EncodeToString(oldKey)}
	for _, want := range []string{"new server key: 1; already under it: 2", "new server key: 0; already under it: 3"} {
		var out bytes.Buffer
		if err := cphdcmd.Run(ctx, args, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Fatalf("rotate-server-key: %v", err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("rotate-server-key said %q, want %q", out.String(), want)
		}
	}
	keys = append(keys, k3)

	// Step 4: the old key is dropped; every key works on both replicas.
	a = restart(a, newKey, nil, nil)
	b = restart(b, newKey, nil, nil)
	allWork("after the rotation", a, b)
	// The old key alone opens none of them any more: a replica
	// configured with it answers 500 (its configuration is wrong).
	a = restart(a, oldKey, nil, nil)
	for _, k := range keys {
		if st := use("old key only", a, k); st != 500 {
			t.Errorf("key %s on a replica with only the old key: %d, want 500", k.ak, st)
		}
	}
}
