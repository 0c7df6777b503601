package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

func TestServersShareFSAppsAndOfferings(t *testing.T) {
	t.Parallel()
	host := t.TempDir()
	if err := os.Mkdir(filepath.Join(host, "common"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := cptest.Start(t, func(c *controlplane.Config) {
		c.ShareFilesystems = []cph.ShareFilesystem{{ID: "fs1", HostPath: host}}
		c.Engine.ZoneCapacity = []cph.ZoneCapacity{{Zone: "cn-north-4a", ServerModel: "physical.rx2.xlarge", Servers: 0}}
	})
	env := testEnv(t, srv)
	login(t, env)
	r := run(t, env, "", "servers", "list", "-q")
	servers := strings.Fields(r.stdout)
	if r.code != 0 || len(servers) != 2 {
		t.Fatalf("servers list -q: %+v", r)
	}
	id := servers[0]

	r = run(t, env, "", "servers", "share-fs", "attach", "fs1", "--path", "/common", "--server", id, "--wait")
	if r.code != 0 || !strings.Contains(r.stdout, "2 succeeded") {
		t.Errorf("share-fs attach --wait: %+v", r)
	}
	r = run(t, env, "", "servers", "share-fs", "list", id, "-o", "json")
	var mounts struct {
		ShareFilesystems []cph.ShareFilesystemMount `json:"share_filesystems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &mounts); r.code != 0 || err != nil || len(mounts.ShareFilesystems) != 1 || mounts.ShareFilesystems[0].MountPoint != "/mnt/sfs/fs1" {
		t.Errorf("share-fs list: %+v %v", r, err)
	}
	r = run(t, env, "", "servers", "share-fs", "attach", "fs1", "--server", id, "--wait")
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "CPS.9008") {
		t.Errorf("attach with another path: %+v", r)
	}
	r = run(t, env, "", "servers", "share-fs", "attach", "nofs", "--server", id)
	if r.code != 3 || !strings.Contains(r.stderr, "CPS.9024") {
		t.Errorf("attach of an unknown file system: %+v", r)
	}
	r = run(t, env, "", "servers", "share-fs", "detach", "fs1", "--server", id, "--wait")
	if r.code != 0 || !strings.Contains(r.stdout, "2 succeeded") {
		t.Errorf("share-fs detach --wait: %+v", r)
	}

	r = run(t, env, "", "servers", "share-apps", id, "-o", "json")
	if r.code != 0 || strings.TrimSpace(r.stdout) != `{"share_apps":[]}` && !strings.Contains(r.stdout, `"share_apps": []`) {
		t.Errorf("servers share-apps: %+v", r)
	}
	r = run(t, env, "", "servers", "offerings")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "AVAILABLE_ZONE") || !strings.Contains(r.stdout, "physical.rx2.xlarge") || !strings.Contains(r.stdout, "sellout") {
		t.Errorf("servers offerings: %+v", r)
	}
}
