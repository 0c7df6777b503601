package e2e_test

import (
	"testing"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// onPostgres makes a control plane use a new PostgreSQL database; the test
// is skipped when no PostgreSQL server is configured.
func onPostgres(t *testing.T) func(*controlplane.Config) {
	url := storetest.PostgresURL(t)
	return func(c *controlplane.Config) { c.DatabaseURL = url }
}

func TestServerLifecycleOnPostgres(t *testing.T) { testLifecycle(t, onPostgres(t)) }

func TestTagsOnPostgres(t *testing.T) { testTags(t, onPostgres(t)) }
