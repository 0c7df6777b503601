package controlplane_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// newClient returns a client of srv logged in as the bootstrap user.
func newClient(t *testing.T, srv *controlplane.Server) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{
		Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User, Password: cptest.Password, Project: cptest.Project,
		HTTPClient: cptest.HTTPClient(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startWithClient starts a control plane and returns it, a client of its
// bootstrap account and a context bounded as testCtx's.
func startWithClient(t *testing.T) (*controlplane.Server, *client.Client, context.Context) {
	t.Helper()
	srv := startServer(t, nil)
	return srv, newClient(t, srv), testCtx(t)
}

// ctx returns a context that ends with the test, after at most 30 s.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fleet returns the project's phones ordered by server and index.
func fleet(t *testing.T, c *client.Client) []cph.Phone {
	t.Helper()
	list, err := c.ListAllPhones(testCtx(t), client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	phones := list.Phones
	sort.Slice(phones, func(i, j int) bool {
		if phones[i].ServerID != phones[j].ServerID {
			return phones[i].ServerID < phones[j].ServerID
		}
		return phones[i].Name < phones[j].Name
	})
	if len(phones) != 6 {
		t.Fatalf("fleet has %d phones, want 6", len(phones))
	}
	return phones
}

// waitJobs waits for the jobs of a request and returns them.
func waitJobs(t *testing.T, c *client.Client, requestID string) []cph.Job {
	t.Helper()
	jobs, err := c.WaitJobs(testCtx(t), requestID, client.WaitOptions{Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("wait for jobs of %s: %v", requestID, err)
	}
	return jobs
}

// waitOne waits for the single job of an accepted batch and returns it.
func waitOne(t *testing.T, c *client.Client, res *client.BatchResult) cph.Job {
	t.Helper()
	if len(res.Jobs) != 1 || res.Jobs[0].JobID == "" {
		t.Fatalf("batch answer = %+v, want one accepted job", res.Jobs)
	}
	jobs := waitJobs(t, c, res.RequestID)
	if len(jobs) != 1 {
		t.Fatalf("request %s has %d jobs, want 1", res.RequestID, len(jobs))
	}
	return jobs[0]
}

// mustSucceed fails the test unless j succeeded.
func mustSucceed(t *testing.T, j cph.Job) {
	t.Helper()
	if j.Status != cph.JobSucceeded {
		t.Fatalf("job %s: status %d, error %s %s, output %q", j.ID, j.Status, str(j.ErrorCode), str(j.ErrorMsg), str(j.ExecuteMsg))
	}
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// command runs an ADB command on one phone and returns its finished job.
func command(t *testing.T, c *client.Client, phoneID, cmd, content string) cph.Job {
	t.Helper()
	res, err := c.RunCommand(testCtx(t), client.Command{Command: cmd, Content: content, PhoneIDs: []string{phoneID}})
	if err != nil {
		t.Fatalf("%s %q: %v", cmd, content, err)
	}
	if len(res.Jobs) != 1 || res.Jobs[0].JobID == "" {
		t.Fatalf("%s %q: answer %+v, want one job", cmd, content, res.Jobs)
	}
	jobs := waitJobs(t, c, res.RequestID)
	if len(jobs) != 1 {
		t.Fatalf("%s: %d jobs", cmd, len(jobs))
	}
	return jobs[0]
}

// shell runs a shell command that must succeed and returns its output.
func shell(t *testing.T, c *client.Client, phoneID, content string) string {
	t.Helper()
	j := command(t, c, phoneID, cph.CommandShell, content)
	mustSucceed(t, j)
	if j.ExecuteMsg == nil {
		return ""
	}
	return *j.ExecuteMsg
}

// apiCode returns the CPH error code of err, failing the test if err is nil.
func apiCode(t *testing.T, err error) (int, string) {
	t.Helper()
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an API error", err)
	}
	return apiErr.StatusCode, apiErr.Code
}

// wantAPIError fails the test unless err is an API error with that status and code.
func wantAPIError(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %d %s", what, status, code)
	}
	gotStatus, gotCode := apiCode(t, err)
	if gotStatus != status || gotCode != code {
		t.Errorf("%s: got %d %s, want %d %s (%v)", what, gotStatus, gotCode, status, code, err)
	}
}

// apk returns an APK-like zip whose plain-text manifest names pkg.
func apk(t *testing.T, pkg, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"AndroidManifest.xml": `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="` + pkg + `" android:versionName="` + version + `"/>`,
		"classes.dex": "dex\n035",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
