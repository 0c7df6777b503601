package controlplane_test

import (
	"fmt"
	"testing"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// postgresURL returns the URL of a new, empty PostgreSQL database.
func postgresURL(t *testing.T) string { return storetest.PostgresURL(t) }

// TestQuickStartOnPostgres runs the quick start against a cphd whose store
// is PostgreSQL.
func TestQuickStartOnPostgres(t *testing.T) {
	t.Parallel()
	dbURL := postgresURL(t)
	srv := startServer(t, func(c *controlplane.Config) { c.DatabaseURL = dbURL })
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	list := do(t, "GET", api+"/phones", token, nil)
	if list.body["count"] != float64(6) {
		t.Fatalf("count = %v", list.body["count"])
	}
	id := list.body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
	r := do(t, "POST", api+"/phones/batch-restart", token, fmt.Sprintf(`{"phones":[{"phone_id":%q}]}`, id))
	jobID := r.body["jobs"].([]any)[0].(map[string]any)["job_id"].(string)
	poll.Until(t, "job to succeed", func() bool {
		return do(t, "GET", api+"/jobs/"+jobID, token, nil).body["status"] == float64(2)
	})
	if st := do(t, "GET", api+"/phones/"+id, token, nil).body["status"]; st != float64(2) {
		t.Errorf("phone status %v", st)
	}
	// A second start on the same database keeps the account and fleet.
	srv.Close()
	srv2 := startServer(t, func(c *controlplane.Config) { c.DatabaseURL = dbURL })
	if srv2.Bootstrap().Created {
		t.Error("account created twice")
	}
	if n := do(t, "GET", srv2.URL()+"/v1/"+pid+"/cloud-phone/phones", token, nil).body["count"]; n != float64(6) {
		t.Errorf("phones after restart: %v", n)
	}
}
