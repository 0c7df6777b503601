package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane/cptest"
)

// TestEvents lists, authorises and reschedules scheduled events the
// operator announced; an unknown event is the API's refusal (exit 3) and
// a missing flag a usage error (exit 2).
func TestEvents(t *testing.T) {
	t.Parallel()
	srv, env := startLoggedIn(t)
	op, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User, Password: cptest.Password,
		Project: cptest.Project, HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	servers, err := op.Services().ListServers(ctx, cph.ServerFilter{Limit: 10})
	if err != nil || len(servers.Servers) == 0 {
		t.Fatalf("servers: %v", err)
	}
	var ids []string
	for _, typ := range []string{cph.EventSystemMaintenance, cph.EventLocalDiskRecovery} {
		ev, err := op.AnnounceScheduledEvent(ctx, client.AnnounceEventRequest{ServerID: servers.Servers[0].ID, Type: typ, Description: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.EventID)
	}

	r := run(t, env, "", "events", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "EVENT_ID") || !strings.Contains(r.stdout, ids[0]) || !strings.Contains(r.stdout, "inquiring") {
		t.Fatalf("events list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", "events", "list", "--type", "localdisk-recovery", "-q")
	if r.code != 0 || strings.TrimSpace(r.stdout) != ids[1] {
		t.Errorf("events list --type -q: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", "events", "list", "--limit", "1", "--all", "-o", "json")
	var page struct {
		Count  int                  `json:"count"`
		Events []cph.ScheduledEvent `json:"scheduled_events"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || r.code != 0 || page.Count != 2 || len(page.Events) != 2 {
		t.Errorf("events list --all -o json: %d %q %v", r.code, r.stdout, err)
	}
	r = run(t, env, "", "events", "list", "--limit", "1")
	if r.code != 0 || !strings.Contains(r.stderr, "1 of 2 events; next page: --marker ") {
		t.Errorf("events list --limit 1: %d %q %q", r.code, r.stdout, r.stderr)
	}

	at := time.Now().Add(time.Hour).UTC().Format(cph.TimeLayout)
	if r := run(t, env, "", "events", "authorize", ids[0], "--not-before", at); r.code != 0 || !strings.Contains(r.stdout, "Authorised event "+ids[0]) {
		t.Errorf("events authorize: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", "events", "list", "--state", "scheduled", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page.Events) != 1 || page.Events[0].NotBefore.Format(cph.TimeLayout) != at {
		t.Errorf("the authorised event: %q %v", r.stdout, err)
	}
	later := time.Now().Add(2 * time.Hour).UTC().Format(cph.TimeLayout)
	if r := run(t, env, "", "events", "update", ids[0], "--not-before", later, "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"updated": true`) {
		t.Errorf("events update: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, env, "", "events", "update", ids[0]); r.code != 2 {
		t.Errorf("events update without --not-before: %d %q", r.code, r.stderr)
	}
	if r := run(t, env, "", "events", "authorize", "nope"); r.code != 3 || !strings.Contains(r.stderr, cph.CodeEventNotFound) {
		t.Errorf("events authorize an unknown event: %d %q", r.code, r.stderr)
	}
	if r := run(t, env, "", "events", "authorize", ids[0]); r.code != 3 || !strings.Contains(r.stderr, cph.CodeStatusNotAllowed) {
		t.Errorf("events authorize twice: %d %q", r.code, r.stderr)
	}
	if r := run(t, env, "", "events", "list", "--state", "bogus"); r.code != 3 || !strings.Contains(r.stderr, cph.CodeInvalidParameter) {
		t.Errorf("events list --state bogus: %d %q", r.code, r.stderr)
	}
}
