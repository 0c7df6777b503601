package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// PostgresURL returns the URL of a new, empty database (dropped when the
// test ends) on the PostgreSQL server named by CPH_TEST_DATABASE_URL.
// Without the variable the test is skipped, except under CI (CI set),
// where it fails: CI must run the PostgreSQL tests.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CPH_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CPH_TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests")
		}
		t.Skip("CPH_TEST_DATABASE_URL not set; skipping PostgreSQL tests")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "cph_test_" + cph.NewID()[:16]
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// OpenPostgres opens a store on a new database from PostgresURL.
func OpenPostgres(t *testing.T) *sqlstore.DB { return OpenPostgresTB(t) }

// OpenPostgresTB is OpenPostgres for benchmarks and other testing.TB users.
func OpenPostgresTB(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.OpenPostgres(context.Background(), PostgresURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
