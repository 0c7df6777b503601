package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFaults adds, lists and deletes fault-injection rules; an invalid
// rule is the API's refusal (exit 3) and bad flags are usage errors.
func TestFaults(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	r := run(t, env, "", "faults", "add", "job:restart", "fail", "--count", "3", "--error-code", "CPS.9013")
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 32 {
		t.Fatalf("faults add: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", "faults", "add", "ListCloudPhones", "delay", "--delay", "20ms", "--probability", "0.5")
	if r.code != 0 {
		t.Fatalf("faults add delay: %d %q", r.code, r.stderr)
	}
	r = run(t, env, "", "faults", "list")
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "job:restart") || !strings.Contains(r.stdout, "CPS.9013") ||
		!strings.Contains(r.stdout, "20ms p=0.5") || !strings.Contains(r.stdout, "REMAINING") {
		t.Errorf("faults list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", "faults", "list", "-o", "json")
	var list []struct {
		ID        string `json:"fault_id"`
		Remaining *int   `json:"remaining"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 2 || list[0].ID != id || list[0].Remaining == nil || *list[0].Remaining != 3 {
		t.Errorf("faults list -o json: %v %q", err, r.stdout)
	}
	if r := run(t, env, "", "faults", "add", "job:restart", "explode"); r.code != 3 || !strings.Contains(r.stderr, "CPS.9018") {
		t.Errorf("an invalid rule: exit %d %q, want 3 and CPS.9018", r.code, r.stderr)
	}
	for _, bad := range [][]string{{"job:restart"}, {"job:restart", "fail", "--count", "-1"}, {"job:restart", "hang", "--delay", "1500us"}} {
		if r := run(t, env, "", append([]string{"faults", "add"}, bad...)...); r.code != 2 {
			t.Errorf("faults add %v: exit %d, want the usage error's 2; %s", bad, r.code, r.stderr)
		}
	}
	if r := run(t, env, "", "faults", "delete", id); r.code != 0 || !strings.Contains(r.stdout, "deleted") {
		t.Errorf("faults delete: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, env, "", "faults", "list", "-q"); r.code != 0 || strings.Contains(r.stdout, id) || len(strings.Fields(r.stdout)) != 1 {
		t.Errorf("faults list -q after the delete: %d %q", r.code, r.stdout)
	}
	if r := run(t, env, "", "faults", "delete", id); r.code != 3 || !strings.Contains(r.stderr, "CPS.9017") {
		t.Errorf("deleting it again: exit %d %q, want 3 and CPS.9017", r.code, r.stderr)
	}
}
