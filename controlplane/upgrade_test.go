package controlplane_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// releaseFixture describes testdata/release-a57dbdb: a data dir written by
// the cphd of the previous release (schema migrations 0001-0008), made by
// its generate.sh.
type releaseFixture struct {
	Domain, User, Password, Project string
	Access, Secret                  string
	PhoneIDs                        []string `json:"phone_ids"`
	RequestID                       string   `json:"request_id"`
	JobIDs                          []string `json:"job_ids"`
}

// TestUpgradeFromPreviousRelease starts the current control plane on a
// data dir of the previous release: the current migrations apply, and the
// account, phones, jobs and access key written by that release are all
// there and work.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := filepath.Join("testdata", "release-a57dbdb")
	var fx releaseFixture
	b, err := os.ReadFile(filepath.Join(src, "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	for _, name := range []string{"cph.db", controlplane.ServerKeyFile} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dataDir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := cptest.Start(t, func(c *controlplane.Config) {
		c.DataDir = dataDir
		c.SimServers, c.SimPhonesPerServer = 1, 3
		c.Bootstrap = controlplane.Bootstrap{Domain: fx.Domain, Password: fx.Password}
	})

	// Every migration of this tree is applied.
	files, err := filepath.Glob(filepath.Join("..", "sqlstore", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v, %v", files, err)
	}
	sort.Strings(files)
	latest, err := strconv.Atoi(strings.SplitN(filepath.Base(files[len(files)-1]), "_", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	if v, err := srv.DB().SchemaVersion(ctx); err != nil || v != latest {
		t.Errorf("schema version after the upgrade = %d, %v; want %d", v, err, latest)
	}

	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: fx.Domain, User: fx.User, Password: fx.Password, Project: fx.Project, HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Login(ctx)
	if err != nil {
		t.Fatalf("login with the password of the previous release: %v", err)
	}
	phones, err := c.ListAllPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range phones.Phones {
		ids = append(ids, p.ID)
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != strings.Join(fx.PhoneIDs, ",") {
		t.Errorf("phones after the upgrade = %v, want %v", ids, fx.PhoneIDs)
	}
	jobs, err := c.ListJobs(ctx, client.ListJobsOptions{RequestID: fx.RequestID})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Jobs) != len(fx.JobIDs) {
		t.Fatalf("jobs of the old request = %d, want %d", len(jobs.Jobs), len(fx.JobIDs))
	}
	for i, j := range jobs.Jobs {
		if j.ID != fx.JobIDs[i] || j.Status != cph.JobSucceeded {
			t.Errorf("old job %d = %s status %d, want %s succeeded", i, j.ID, j.Status, fx.JobIDs[i])
		}
	}
	// The access key's secret was sealed by the previous release.
	req, err := http.NewRequest("GET", srv.URL()+"/v1/"+tok.ProjectID+"/cloud-phone/phones", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	aksk.Sign(req, nil, fx.Access, fx.Secret, time.Now())
	resp, err := cptest.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("AK/SK request with the old key: %s, want 200", resp.Status)
	}
	// New work runs on the upgraded database.
	res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: fx.PhoneIDs[0]}}})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	done, err := c.WaitJobs(wctx, res.RequestID, client.WaitOptions{Interval: 50 * time.Millisecond})
	if err != nil || len(done) != 1 || done[0].Status != cph.JobSucceeded {
		t.Errorf("restart after the upgrade = %+v, %v", done, err)
	}
}
