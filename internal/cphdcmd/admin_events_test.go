package cphdcmd

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/sqlstore"
)

// TestAdminEvents announces, lists and withdraws a scheduled event with
// cphd admin events on the data dir of a running control plane, which
// shows the event to the server's project.
func TestAdminEvents(t *testing.T) {
	dir := t.TempDir()
	srv := cptest.Start(t, func(c *controlplane.Config) { c.DataDir = dir })
	servers, err := srv.DB().BuiltinServers(context.Background())
	if err != nil || len(servers) == 0 {
		t.Fatalf("servers: %v", err)
	}
	sid := servers[0].ID
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		all := append([]string{"admin", "events", args[0], "--data-dir", dir}, args[1:]...)
		err := Run(context.Background(), all, func(string) string { return "" }, &out, io.Discard)
		return out.String(), err
	}
	out, err := run("announce", "--server-id", sid, "--type", "system-maintenance", "--description", "firmware", "--duration", "1h")
	if err != nil || !strings.Contains(out, "announced event ") {
		t.Fatalf("announce: %q, %v", out, err)
	}
	id := strings.Fields(out)[2]
	if out, err := run("list", "--state", "inquiring"); err != nil || !strings.Contains(out, id) || !strings.Contains(out, servers[0].ProjectID) {
		t.Errorf("list: %q, %v", out, err)
	}
	list, _, err := srv.DB().ListEvents(context.Background(), sqlstore.EventQuery{EventID: id, Limit: 10})
	if err != nil || len(list) != 1 || list[0].Description != "firmware" || list[0].Duration != time.Hour {
		t.Errorf("the control plane's event: %v, %+v", err, list)
	}
	if _, err := run("announce", "--server-id", sid, "--type", "reboot"); err == nil || !strings.Contains(err.Error(), "CPS.9011") {
		t.Errorf("announce a bad type: %v", err)
	}
	if _, err := run("announce", "--server-id", "ffffffffffffffffffffffffffffffff", "--type", "system-maintenance"); err == nil || !strings.Contains(err.Error(), "CPS.0016") {
		t.Errorf("announce for an unknown server: %v", err)
	}
	if out, err := run("withdraw", id); err != nil || !strings.Contains(out, "canceled") {
		t.Errorf("withdraw: %q, %v", out, err)
	}
	if _, err := run("withdraw", id); err == nil || !strings.Contains(err.Error(), "CPS.9001") {
		t.Errorf("withdraw twice: %v", err)
	}
	if _, err := run("reboot"); err == nil {
		t.Error("an unknown action was accepted")
	}
}
