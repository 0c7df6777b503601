package sqlstore_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// openPostgres returns a store on a new, empty database of the PostgreSQL
// server named by CPH_TEST_DATABASE_URL, dropped when the test ends. Without
// the variable the test is skipped, except under CI, where it fails.
func openPostgres(t *testing.T) *sqlstore.DB {
	t.Helper()
	base := os.Getenv("CPH_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CPH_TEST_DATABASE_URL is not set: CI must run the PostgreSQL suite")
		}
		t.Skip("CPH_TEST_DATABASE_URL not set; skipping PostgreSQL tests")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "cph_test_" + cph.NewID()[:16]
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := sqlstore.OpenPostgres(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, openPostgres)
}

// TestPostgresConcurrentMigrations opens one database from several
// goroutines at once, as replicas starting together do.
func TestPostgresConcurrentMigrations(t *testing.T) {
	openPostgres(t) // skips or fails without a server, like the suite
	base := os.Getenv("CPH_TEST_DATABASE_URL")
	ctx := context.Background()
	admin, _ := sql.Open("pgx", base)
	defer admin.Close()
	name := "cph_test_" + cph.NewID()[:16]
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	defer admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	u, _ := url.Parse(base)
	u.Path = "/" + name
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			d, err := sqlstore.OpenPostgres(ctx, u.String())
			if err == nil {
				d.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	var n int
	check, _ := sql.Open("pgx", u.String())
	defer check.Close()
	if err := check.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n == 0 {
		t.Errorf("migrations recorded: %d, %v", n, err)
	}
}
