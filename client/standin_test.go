package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// TestWaitJobsOnTheServerOrByPolling checks that WaitJobs waits on the
// server when it has the wait, and polls the job list of a server that
// answers the wait 404 (an older OpenCPH, or CPH).
func TestWaitJobsOnTheServerOrByPolling(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	for _, old := range []bool{false, true} {
		var mu sync.Mutex
		waits, lists := 0, 0
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			switch {
			case strings.HasSuffix(r.URL.Path, "/jobs/wait"):
				waits++
			case strings.HasSuffix(r.URL.Path, "/cloud-phone/jobs"):
				lists++
			}
			mu.Unlock()
			if old && strings.HasSuffix(r.URL.Path, "/jobs/wait") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"error_code":"APIGW.0101","error_msg":"API not found.","request_id":"0"}`))
				return
			}
			srv.Handler().ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)
		c, err := New(Config{Endpoint: front.URL, Domain: cptest.Domain, User: cptest.User, Password: cptest.Password,
			Project: cptest.Project, HTTPClient: front.Client()})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		p := allPhones(t, c)[0]
		poll.Until(t, "the phone to run", func() bool { return phoneStatus(t, c, p.ID) == cph.PhoneRunning })
		res, err := c.RestartPhones(ctx, RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: p.ID}}})
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		jobs, err := c.WaitJobs(wctx, res.RequestID, WaitOptions{Interval: 10 * time.Millisecond})
		cancel()
		if err != nil || len(jobs) != 1 || jobs[0].Status != cph.JobSucceeded {
			t.Fatalf("old server %v: WaitJobs = %+v, %v", old, jobs, err)
		}
		mu.Lock()
		if waits == 0 || !old && lists > 1 || old && lists < 2 {
			t.Errorf("old server %v: %d waits and %d lists of the jobs", old, waits, lists)
		}
		mu.Unlock()
	}
}
