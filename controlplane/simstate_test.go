package controlplane_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/objstore"
)

// changePhone installs an application, pushes a file and sets a property
// on phone id through the API.
func changePhone(t *testing.T, c *client.Client, id string) {
	t.Helper()
	ctx := testCtx(t)
	if err := c.PutObject(ctx, "apps", "keep/demo.apk", apk(t, "com.example.kept", "1.0")); err != nil {
		t.Fatal(err)
	}
	if err := c.PutObject(ctx, "apps", "keep/files.tar", archivetest.FileMap(map[string]string{
		"data/local/tmp/kept.txt": "kept across restarts\n", "sdcard/Download/photo.jpg": "jpeg",
	})); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, command(t, c, id, cph.CommandInstall, "obs://apps/keep/demo.apk"))
	mustSucceed(t, command(t, c, id, cph.CommandPush, "obs://apps/keep/files.tar"))
	shell(t, c, id, "setprop persist.demo.kept yes")
}

// checkPhoneKept fails unless phone id has what changePhone gave it.
func checkPhoneKept(t *testing.T, c *client.Client, id string) {
	t.Helper()
	for cmd, want := range map[string]string{
		"pm list packages -3":              "package:com.example.kept\n",
		"cat /data/local/tmp/kept.txt":     "kept across restarts\n",
		"ls /storage/emulated/0/Download":  "photo.jpg\n",
		"getprop persist.demo.kept":        "yes\n",
		"ls /data/app/com.example.kept":    "base.apk\n",
		"getprop ro.build.version.release": "11\n",
		"cat /sdcard/Download/photo.jpg":   "jpeg",
	} {
		if got := shell(t, c, id, cmd); got != want {
			t.Errorf("after the restart, %s = %q, want %q", cmd, got, want)
		}
	}
}

// TestSimulatedPhonesSurviveRestart: what was done to a built-in
// simulated phone through the API is still there after cphd is closed
// and started again on the same data dir; a reset still wipes it; the
// state lives in the objects directory, where no bucket reaches it, and
// goes with its server.
func TestSimulatedPhonesSurviveRestart(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	srv := startServer(t, func(c *controlplane.Config) { c.DataDir = dataDir })
	c := newClient(t, srv)
	ctx := testCtx(t)
	phones := fleet(t, c)
	id, other := phones[0].ID, phones[3].ID

	// A fresh phone has the usual directories (RunSyncCommand, as a
	// client checking a phone would).
	res, err := c.RunSyncCommand(ctx, client.Command{Content: "ls /data", PhoneIDs: []string{id}})
	if err != nil || len(res.Jobs) != 1 {
		t.Fatalf("sync ls /data: %+v, %v", res, err)
	}
	if j := waitJobs(t, c, res.RequestID); len(j) != 1 || j[0].Status != cph.JobSucceeded || !strings.Contains(str(j[0].ExecuteMsg), "local\n") {
		t.Errorf("ls /data on a fresh phone = %+v (output %q)", j, str(j[0].ExecuteMsg))
	}
	for _, dir := range []string{"/sdcard", "/system", "/system/bin", "/data/local/tmp", "/vendor", "/cache", "/mnt"} {
		if j := command(t, c, id, cph.CommandShell, "ls "+dir); j.Status != cph.JobSucceeded {
			t.Errorf("ls %s: status %d, output %q", dir, j.Status, str(j.ExecuteMsg))
		}
	}
	changePhone(t, c, id)
	shell(t, c, other, "touch /data/local/tmp/other")

	stateDir := filepath.Join(dataDir, "objects", controlplane.SimStateFolder, phones[0].ServerID)
	if _, err := os.Stat(filepath.Join(stateDir, "phones", id+".state")); err != nil {
		t.Errorf("no state file of the phone: %v", err)
	}
	if objstore.ValidBucket(controlplane.SimStateFolder) {
		t.Errorf("%s is a valid bucket name: the object API could reach the simulated state", controlplane.SimStateFolder)
	}
	if _, err := c.ListObjects(ctx, controlplane.SimStateFolder, ""); err == nil {
		t.Errorf("the simulated state folder can be listed as a bucket")
	}

	srv.Close()
	srv = startServer(t, func(c *controlplane.Config) { c.DataDir = dataDir })
	c = newClient(t, srv)
	checkPhoneKept(t, c, id)

	// A reset still returns the phone to its image.
	r, err := c.ResetPhones(ctx, client.ResetPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: id}}})
	if err != nil || len(r.Jobs) != 1 {
		t.Fatalf("reset: %+v, %v", r, err)
	}
	mustSucceed(t, waitJobs(t, c, r.RequestID)[0])
	if got := shell(t, c, id, "pm list packages -3"); got != "" {
		t.Errorf("user packages after a reset = %q", got)
	}
	if got := shell(t, c, id, "ls /data/local/tmp"); got != "" {
		t.Errorf("files after a reset = %q", got)
	}

	// Deleting the server removes its state.
	if _, err := c.DeleteServers(ctx, []string{phones[0].ServerID}); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the deleted server's state to be removed", func() bool {
		_, err := os.Stat(stateDir)
		return os.IsNotExist(err)
	})
	if got := shell(t, c, other, "ls /data/local/tmp"); got != "other\n" {
		t.Errorf("the other server's phone after the deletion: %q", got)
	}
}

// TestSimulatedPhonesSurviveFailover: on PostgreSQL the replica that runs
// the built-in fleet can change; the state is in the objects directory
// the replicas share, so a phone keeps its state when another replica,
// with its own data dir, takes the fleet over.
func TestSimulatedPhonesSurviveFailover(t *testing.T) {
	t.Parallel()
	dbURL, objects := postgresURL(t), t.TempDir()
	mutate := func(c *controlplane.Config) { c.DatabaseURL, c.ObjectsDir = dbURL, objects }
	a := startServer(t, mutate)
	c := newClient(t, a)
	id := fleet(t, c)[0].ID
	changePhone(t, c, id)
	a.Close()

	b := startServer(t, mutate) // a new data dir
	checkPhoneKept(t, newClient(t, b), id)
}
