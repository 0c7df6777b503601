package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Limits on how many rows an owner may have (access keys of a user, tags
// of a server, members of an image) are checked by counting and then
// inserting in one transaction. Two such transactions must not both count
// before either inserts, or both would pass. On SQLite they cannot: every
// write transaction begins IMMEDIATE behind the store's writer lock, so
// writers run one after another. On PostgreSQL, at READ COMMITTED, they
// could; lockOwner makes them take turns on the owner's row instead, and
// each statement after the lock sees what the one before it committed.

// lockOwner locks the row of table whose id is id until the transaction
// ends (PostgreSQL: SELECT … FOR NO KEY UPDATE, which does not hold up
// inserts into other tables that refer to the row). A missing row is not
// an error: there is nothing to count for it. On SQLite the transaction
// already excludes every other writer.
func (tx *Tx) lockOwner(ctx context.Context, table, id string) error {
	if tx.engine != Postgres {
		return nil
	}
	var one int
	err := tx.tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlstore: lock %s %s: %w", table, id, err)
	}
	return nil
}
