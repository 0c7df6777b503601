package console_test

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/apk/apktest"
	"github.com/opencph/opencph/console/consoletest"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/service"
)

func TestPhonePage(t *testing.T) {
	srv := cptest.Start(t, nil)
	admin := adminOf(t, srv)
	ctx := cph.NewCallerContext(context.Background(), admin)
	pg, err := srv.Services().ListPhones(ctx, cph.PhoneFilter{ProjectID: admin.ProjectID, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	ph := pg.Phones[0]
	cl := consoletest.Login(t, srv.URL(), cptest.Domain, cptest.User, cptest.Password, "")

	t.Run("detail", func(t *testing.T) {
		status, page := cl.Get(t, "/console/phones/"+ph.ID)
		if status != http.StatusOK || !strings.Contains(page, ph.Name) || !strings.Contains(page, `id="phone-status">running`) {
			t.Errorf("phone page: status %d, %.400s", status, page)
		}
	})
	t.Run("custom properties", func(t *testing.T) {
		if _, page := cl.Get(t, "/console/phones/"+ph.ID); strings.Contains(page, `id="custom-properties"`) {
			t.Errorf("a phone without custom properties shows them")
		}
		res, err := srv.Services().UpdatePhoneProperties(ctx, []cph.PhoneRef{{PhoneID: ph.ID, CustomProperty: map[string]string{"app.channel": "beta&gamma"}}})
		if err != nil || res.Jobs[0].ErrorCode != "" {
			t.Fatalf("set a custom property: %+v, %v", res, err)
		}
		_, page := cl.Get(t, "/console/phones/"+ph.ID)
		if !strings.Contains(page, `id="custom-properties"><summary>Custom properties (1)`) ||
			!strings.Contains(page, `<code>app.channel</code></th><td>beta&amp;gamma</td>`) {
			t.Errorf("custom properties on the phone page: %.3000s", page[strings.Index(page, "Recent jobs"):])
		}
	})
	t.Run("screenshot", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/console/phones/"+ph.ID+"/screenshot", nil)
		req.Header.Set("X-Console-Live", "1")
		res, err := cl.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("screenshot: status %d, type %q: %.200s", res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() == 0 {
			t.Errorf("the screenshot is not a PNG: %v", err)
		}
	})
	t.Run("screenshot of a stopped phone", func(t *testing.T) {
		stopped := pg.Phones[1]
		if _, err := srv.Services().BatchPhones(ctx, cph.BatchPhonesParams{Kind: cph.OpStopPhone, Phones: []cph.PhoneRef{{PhoneID: stopped.ID}}}); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, srv, ctx, stopped.ID, cph.PhoneStopped)
		status, body := cl.GetLive(t, "/console/phones/"+stopped.ID+"/screenshot")
		if status != http.StatusConflict || !strings.Contains(body, cph.CodePhoneNotRunning) {
			t.Errorf("screenshot of a stopped phone: status %d, %q", status, body)
		}
	})
	t.Run("shell", func(t *testing.T) {
		status, page := cl.Action(t, "/console/phones/"+ph.ID+"/shell", url.Values{"command": {"getprop ro.product.model"}})
		if status != http.StatusOK || !strings.Contains(page, `id="shell-output"`) {
			t.Fatalf("shell: status %d, %.500s", status, page)
		}
		out := page[strings.Index(page, `id="shell-output"`):]
		out = out[strings.Index(out, ">")+1 : strings.Index(out, "</pre>")]
		if strings.TrimSpace(out) == "" {
			t.Errorf("getprop printed nothing: %.600s", page)
		}
	})
	t.Run("shell refuses metacharacters", func(t *testing.T) {
		status, page := cl.Action(t, "/console/phones/"+ph.ID+"/shell", url.Values{"command": {"getprop; reboot"}})
		if status != http.StatusOK || !strings.Contains(page, cph.CodeInvalidContent) {
			t.Errorf("a command with ';': status %d, %.500s", status, page)
		}
	})
	t.Run("another project's phone", func(t *testing.T) {
		cptest.CreateAccount(t, srv, "other", "other", cptest.Password, "cn-east-3")
		other := consoletest.Login(t, srv.URL(), "other", "other", cptest.Password, "")
		if status, _ := other.Get(t, "/console/phones/"+ph.ID); status != http.StatusNotFound {
			t.Errorf("another account's phone page: status %d, want 404", status)
		}
		if status, body := other.GetLive(t, "/console/phones/"+ph.ID+"/screenshot"); status != http.StatusNotFound || strings.Contains(body, "PNG") {
			t.Errorf("another account's phone's screenshot: status %d", status)
		}
	})
}

// waitStatus waits until the phone id has status want.
func waitStatus(t *testing.T, srv interface {
	Services() *service.Services
}, ctx context.Context, id string, want cph.PhoneStatus) {
	t.Helper()
	poll.Until(t, "phone "+id+" to be "+want.String(), func() bool {
		d, err := srv.Services().ShowPhone(ctx, id)
		return err == nil && d.Status == want
	})
}

func TestInstallFromBucket(t *testing.T) {
	srv := cptest.Start(t, nil)
	admin := adminOf(t, srv)
	ctx := cph.NewCallerContext(context.Background(), admin)
	if err := srv.Services().CreateBucket(ctx, "apps"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Services().PutObject(ctx, "apps", "notes.apk", bytes.NewReader(apktest.APK("com.acme.notes", "1.0"))); err != nil {
		t.Fatal(err)
	}
	pg, err := srv.Services().ListPhones(ctx, cph.PhoneFilter{ProjectID: admin.ProjectID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := pg.Phones[0].ID
	cl := consoletest.Login(t, srv.URL(), cptest.Domain, cptest.User, cptest.Password, "")
	_, page := cl.Get(t, "/console/phones/"+id)
	if !strings.Contains(page, "<option>apps</option>") {
		t.Fatalf("the install form does not offer the bucket: %.500s", page)
	}
	status, page := cl.Action(t, "/console/phones/"+id+"/install", url.Values{"bucket": {"apps"}, "key": {"notes.apk"}})
	if status != http.StatusOK || !strings.Contains(page, "is queued") {
		t.Fatalf("install: status %d, %.500s", status, page)
	}
	poll.Until(t, "the install job to succeed", func() bool {
		jobs, err := srv.Services().ListRecentJobs(ctx, cph.RecentJobFilter{PhoneID: id, Limit: 5})
		return err == nil && len(jobs.Jobs) > 0 && jobs.Jobs[0].Kind == cph.OpADBCommand && jobs.Jobs[0].Status == cph.JobSucceeded
	})
	// A missing object fails its job, and the phone's page says why.
	status, page = cl.Action(t, "/console/phones/"+id+"/install", url.Values{"bucket": {"apps"}, "key": {"missing.apk"}})
	if status != http.StatusOK {
		t.Fatalf("install of a missing object: status %d, %.300s", status, page)
	}
	poll.Until(t, "the failed install to show on the phone's page", func() bool {
		_, page := cl.Get(t, "/console/phones/"+id)
		return strings.Contains(page, `<span class="status bad">failed</span>`)
	})
}
