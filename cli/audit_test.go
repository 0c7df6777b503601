package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// TestAuditList lists the audit trail: the login and a rename show up
// (as a table and as JSON), with filters; bad flags are usage errors.
func TestAuditList(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	r := run(t, env, "", "phones", "list", "-o", "json")
	var list struct {
		Phones []struct {
			ID string `json:"phone_id"`
		} `json:"phones"`
	}
	err := json.Unmarshal([]byte(r.stdout), &list)
	phones := list.Phones
	if err != nil || len(phones) == 0 {
		t.Fatalf("phones list: %v %q", err, r.stdout[:min(len(r.stdout), 200)])
	}
	if r := run(t, env, "", "phones", "rename", phones[0].ID, "audited"); r.code != 0 {
		t.Fatalf("rename: %d %s", r.code, r.stderr)
	}
	var events []client.AuditEvent
	// The writer stores events in batches: wait for the first to appear.
	poll.Wait(t, 20*time.Second, func() bool {
		r = run(t, env, "", "audit", "list", "--operation", "UpdatePhoneName", "-o", "json")
		if r.code != 0 {
			t.Fatalf("audit list: %d %s", r.code, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), &events); err != nil {
			t.Fatal(err)
		}
		return len(events) > 0
	})
	if len(events) != 1 || events[0].UserName != cptest.User || len(events[0].TargetIDs) != 1 || events[0].TargetIDs[0] != phones[0].ID {
		t.Fatalf("rename events = %+v", events)
	}
	r = run(t, env, "", "audit", "list", "--since", "1h")
	if r.code != 0 || !strings.Contains(r.stdout, "UpdatePhoneName") || !strings.Contains(r.stdout, "KeystoneCreateUserTokenByPassword") ||
		!strings.Contains(r.stdout, "TIME") {
		t.Errorf("audit list table: %d %q %q", r.code, r.stdout, r.stderr)
	}
	for _, bad := range [][]string{{"--limit", "0"}, {"--result", "maybe"}, {"--since", "yesterday"}} {
		if r := run(t, env, "", append([]string{"audit", "list"}, bad...)...); r.code != 2 {
			t.Errorf("audit list %v: exit %d, want the usage error's 2; %s", bad, r.code, r.stderr)
		}
	}
}
