package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.OpenSQLite)
}

// openWithMeta opens the SQLite store at path and sets its meta value k
// to v.
func openWithMeta(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		_, err := tx.SetMetaIfAbsent(ctx, "k", "v")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestSQLiteReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cph.db")
	db := openWithMeta(t, path)
	db.Close()
	// Reopening runs the migrations again, which must be a no-op.
	db, err := sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Meta(ctx, "k"); err != nil || v != "v" {
		t.Errorf("after reopen Meta = %q, %v", v, err)
	}
}
