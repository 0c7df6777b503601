package console_test

import (
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/servicetest"
)

// TestServerPageShowsShareFilesystemsAndApps checks that a server's page
// shows the shared file systems mounted on it and its shared apps.
func TestServerPageShowsShareFilesystemsAndApps(t *testing.T) {
	env := servicetest.StartEnv(t, servicetest.SQLite, servicetest.InProcess)
	a := env.Admin
	servers, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: 10})
	if err != nil || len(servers.Servers) == 0 {
		t.Fatalf("servers: %+v, %v", servers, err)
	}
	id := servers.Servers[0].ID
	b := login(t, env, cptest.User, cptest.Password)
	page := "/console/servers/" + id
	body := b.get(page)
	if !strings.Contains(body, "No shared file system is mounted.") || !strings.Contains(body, "No shared apps.") {
		t.Errorf("a server without mounts or shared apps:\n%s", body)
	}
	res, err := a.S.AttachShareFilesystem(a.Ctx, cph.ShareFilesystemParams{Type: cph.ShareFilesystemTypeSFSTurbo, ID: servicetest.ShareFilesystemID,
		ServerIDs: []string{id}, Path: "/assets"})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the mount", func() bool {
		j, err := a.S.ShowJob(a.Ctx, res.Jobs[0].JobID)
		return err == nil && j.Status == cph.JobSucceeded
	})
	body = b.get(page)
	if !strings.Contains(body, `data-sharefs="`+servicetest.ShareFilesystemID+`"`) || !strings.Contains(body, "<code>/mnt/sfs/"+servicetest.ShareFilesystemID+"</code>") ||
		!strings.Contains(body, "<code>/assets</code>") {
		t.Errorf("the page does not show the mount:\n%s", body)
	}
}
