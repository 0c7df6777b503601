package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
)

// TestUnsettledBetweenCommitAndVersionMove: from the commit of a phone
// write until its version moved, the store is not settled, so that a
// reader who saw the commit elsewhere (a final job) does not take the
// version before it for current; once the version moved, it is settled.
// (SQLite here: this package's tests cannot reach storetest's PostgreSQL
// databases; PostgreSQL's commits go through the same counting.)
func TestUnsettledBetweenCommitAndVersionMove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "cph.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, _ := db.PhonesVersion()
	var settledInside bool
	var versionInside uint64
	db.afterCommit = func() {
		settledInside = db.Settled()
		versionInside, _ = db.PhonesVersion()
	}
	err = db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `UPDATE phones SET status = 2 WHERE id = 'no such phone'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if settledInside {
		t.Error("settled between the commit and the version move")
	}
	if versionInside != before {
		t.Errorf("the version moved before the hook: %d, then %d", before, versionInside)
	}
	if after, _ := db.PhonesVersion(); !db.Settled() || after == before {
		t.Errorf("after the transaction: settled %v, version %d (before %d)", db.Settled(), after, before)
	}
}
