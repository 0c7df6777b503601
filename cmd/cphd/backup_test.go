package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// admin runs "cphd admin args..." as a process and returns its output; it
// fails the test if the command fails.
func admin(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"admin"}, args...)...)
	cmd.Env = append(os.Environ(), "CPHD_RUN_MAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cphd admin %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// request is an accepted batch and how many jobs it created.
type request struct {
	id   string
	jobs int
}

func newClient(t *testing.T, url, domain, password string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: url, Domain: domain, Password: password, Project: "cn-north-4", HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBackupUnderLoadRestores backs up a serving cphd's data dir while
// phones are restarted through the API, restores the backup into a new
// data dir, starts cphd there, and finds every account, phone, job and
// access key made before the backup; a request signed with an access key
// created before the backup is accepted after the restore.
func TestBackupUnderLoadRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	p := startCPHD(t, dataDir, "--sim-boot-time", "50ms")
	admin(t, "create-account", "--data-dir", dataDir, "--domain", "bravo", "--password", "bravo-password", "--project", "cn-north-4")
	acme := newClient(t, p.url, "acme", "crash-test-pw")
	tok, err := acme.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, err := acme.CreateAccessKey(ctx, tok.UserID, "made before the backup")
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.CreateBucket(ctx, "exports"); err != nil {
		t.Fatal(err)
	}
	if err := acme.PutObject(ctx, "exports", "data/phone-1.tar", []byte("object kept by the backup")); err != nil {
		t.Fatal(err)
	}
	phones, err := acme.ListAllPhones(ctx, client.ListPhonesOptions{})
	if err != nil || phones.Count != 8 {
		t.Fatalf("phones = %v, %v", phones, err)
	}

	// Load: restarts of every phone, one batch after another, until the
	// backups are done. Jobs accepted before a backup began must be in it.
	var mu sync.Mutex
	var accepted []request // requests with accepted jobs, in order
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var refs []cph.PhoneRef
		for _, ph := range phones.Phones {
			refs = append(refs, cph.PhoneRef{PhoneID: ph.ID})
		}
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := acme.RestartPhones(ctx, client.RestartPhonesRequest{Phones: refs})
			if err != nil {
				t.Errorf("restart under load: %v", err)
				return
			}
			r := request{id: res.RequestID}
			for _, j := range res.Jobs {
				if j.JobID != "" { // phones still restarting are refused
					r.jobs++
				}
			}
			if r.jobs > 0 {
				mu.Lock()
				accepted = append(accepted, r)
				mu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	waitFor := func(n int) {
		t.Helper()
		poll.Within(t, time.Minute, fmt.Sprintf("%d accepted requests", n), func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(accepted) >= n
		})
	}
	waitFor(3)
	backupFile := filepath.Join(t.TempDir(), "cph-backup.tar")
	mu.Lock()
	before := append([]request(nil), accepted...)
	mu.Unlock()
	out := admin(t, "backup", "--data-dir", dataDir, "--to", backupFile)
	waitFor(len(before) + 2) // the load went on during the backup
	close(stop)
	wg.Wait()
	if !strings.Contains(out, "written to") {
		t.Errorf("backup output: %q", out)
	}
	if st, err := os.Stat(backupFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, %v; want mode 0600", st, err)
	}
	// A second backup to the same file is refused.
	cmd := exec.Command(os.Args[0], "admin", "backup", "--data-dir", dataDir, "--to", backupFile)
	cmd.Env = append(os.Environ(), "CPHD_RUN_MAIN=1")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "already exists") {
		t.Errorf("backup over an existing file: %v, %s", err, out)
	}

	// Restore: not into a data dir in use, then into a new one.
	cmd = exec.Command(os.Args[0], "admin", "restore", "--from", backupFile, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "CPHD_RUN_MAIN=1")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "not empty") {
		t.Errorf("restore into a non-empty dir: %v, %s", err, out)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	admin(t, "restore", "--from", backupFile, "--data-dir", restored)
	p.kill()
	q := startCPHD(t, restored)

	// Every account: both log in with their passwords.
	acme2 := newClient(t, q.url, "acme", "crash-test-pw")
	tok2, err := acme2.Login(ctx)
	if err != nil {
		t.Fatalf("acme after restore: %v", err)
	}
	if _, err := newClient(t, q.url, "bravo", "bravo-password").Login(ctx); err != nil {
		t.Errorf("bravo after restore: %v", err)
	}
	// Every phone, with its id.
	after, err := acme2.ListAllPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, ph := range after.Phones {
		ids[ph.ID] = true
	}
	for _, ph := range phones.Phones {
		if !ids[ph.ID] {
			t.Errorf("phone %s missing after restore", ph.ID)
		}
	}
	// Every job accepted before the backup began, and they all finish.
	for _, req := range before {
		running := 0
		if !poll.Wait(t, 30*time.Second, func() bool {
			jobs, err := acme2.ListJobs(ctx, client.ListJobsOptions{RequestID: req.id})
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs.Jobs) != req.jobs {
				t.Fatalf("request %s: %d jobs after restore, want the %d accepted", req.id, len(jobs.Jobs), req.jobs)
			}
			running = 0
			for _, j := range jobs.Jobs {
				if j.Status == cph.JobRunning {
					running++
				}
			}
			return running == 0
		}) {
			t.Fatalf("request %s: %d jobs still running after restore", req.id, running)
		}
	}
	// The objects.
	if data, err := acme2.GetObject(ctx, "exports", "data/phone-1.tar"); err != nil || string(data) != "object kept by the backup" {
		t.Errorf("object after restore = %q, %v", data, err)
	}
	// The access key: listed, and a request signed with it is accepted
	// (its secret was sealed with the server key, restored with it).
	keys, err := acme2.ListAccessKeys(ctx, tok2.UserID)
	if err != nil || len(keys) != 1 || keys[0].Access != key.Access {
		t.Errorf("access keys after restore = %+v, %v; want %s", keys, err, key.Access)
	}
	req, err := http.NewRequest("GET", q.url+"/v1/"+tok2.ProjectID+"/cloud-phone/phones", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	aksk.Sign(req, nil, key.Access, key.Secret, time.Now())
	resp, err := cptest.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("AK/SK request after restore: %s, want 200", resp.Status)
	}
}
