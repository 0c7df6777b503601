package controlplane_test

import (
	"testing"

	"github.com/opencph/opencph/servicetest"
)

// TestServices runs the behaviour suite of the domain services in process
// and over HTTP, on SQLite and on PostgreSQL.
func TestServices(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{servicetest.SQLite, servicetest.Postgres} {
		for _, front := range []string{servicetest.InProcess, servicetest.OverHTTP} {
			t.Run(engine+"/"+front, func(t *testing.T) {
				t.Parallel()
				servicetest.Run(t, func(t *testing.T) *servicetest.Env { return servicetest.StartEnv(t, engine, front) })
			})
		}
	}
}
