package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// releasedMigrations are the migrations of the previous release (commit
// a57dbdb) with the SHA-256 of their text. Migrations are forward-only: a
// released one is never edited (a database that applied it would not get
// the change), a new one is added instead.
var releasedMigrations = []struct{ name, sum string }{
	{"0001_init.sql", "476e5b7083a8596cdefee00718c4e7b9f788c5a922ca2c0121c401cc12ae5b9f"},
	{"0002_phones.sql", "f0ea68b6a72dbb0c4cb5639e3b862a60363d5731c9bfee47e31887c722eeee70"},
	{"0003_servers.sql", "9d3e68d0f0b078df6727667dffd7fd02f825ef163e46db492b9d812f88ef8734"},
	{"0004_images.sql", "7ea6488c36b3e1d01c48a773d3541055c879ffd1c329e3b9e7c047f142219fa6"},
	{"0005_access_keys.sql", "e63e19ea4571ed6430726ed156c270559e99ba13afb56340e651f085d1d233b3"},
	{"0006_liveness.sql", "a32b6d7baa5ff87c4af4dfc516b2e3f412dfc346c6617b329c97303877649180"},
	{"0007_phone_list.sql", "0eb85dcdc8978600726b0791ce5a5f3cfaae704c7f1c8fbd14df529f4c27d6e8"},
	{"0008_open_operations.sql", "4b0d9ff22a40612fb1738207f402103175aa24490e1f650d67e810cd1083eaa9"},
}

func TestReleasedMigrationsUnchanged(t *testing.T) {
	t.Parallel()
	for _, m := range releasedMigrations {
		b, err := os.ReadFile(filepath.Join("migrations", m.name))
		if err != nil {
			t.Fatalf("released migration %s: %v", m.name, err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != m.sum {
			t.Errorf("released migration %s was edited (SHA-256 %s, released %s); add a new migration instead", m.name, got, m.sum)
		}
	}
}

// TestUpgradeFromReleasedSchema builds the previous release's schema (its
// migrations only, as that release applied them), stores a row in it, and
// opens it with the current store: the later migrations apply on both
// engines and the row is still there.
func TestUpgradeFromReleasedSchema(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			var dsn, driver string
			if engine == "sqlite" {
				dsn, driver = filepath.Join(t.TempDir(), "cph.db"), "sqlite"
			} else {
				dsn, driver = storetest.PostgresURL(t), "pgx"
			}
			old, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := old.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%v\n%s", err, q)
				}
			}
			exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`)
			for i, m := range releasedMigrations {
				b, err := os.ReadFile(filepath.Join("migrations", m.name))
				if err != nil {
					t.Fatal(err)
				}
				for _, stmt := range statements(string(b)) {
					exec(stmt)
				}
				exec(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 1)`, i+1)
			}
			exec(`INSERT INTO domains (id, name, enabled, created_at) VALUES ('d1', 'released', TRUE, 1)`)
			old.Close()

			var db *sqlstore.DB
			if engine == "sqlite" {
				db, err = sqlstore.OpenSQLite(ctx, dsn)
			} else {
				db, err = sqlstore.OpenPostgres(ctx, dsn)
			}
			if err != nil {
				t.Fatalf("open the released schema with the current store: %v", err)
			}
			defer db.Close()
			v, err := db.SchemaVersion(ctx)
			if err != nil || v <= len(releasedMigrations) {
				t.Errorf("schema version after the upgrade = %d, %v", v, err)
			}
			if d, err := db.DomainByName(ctx, "released"); err != nil || d.ID != "d1" {
				t.Errorf("row of the released schema = %+v, %v", d, err)
			}
		})
	}
}

// statements splits a migration file as the store does: on semicolons
// that end a line, without comment lines.
func statements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
