package controlplane

import (
	"context"
	"path/filepath"

	"github.com/opencph/opencph/sqlstore"
)

// OpenStore opens cphd's store: the PostgreSQL database at databaseURL
// when it is set, else the SQLite file cph.db in dataDir. cphd and its
// admin commands open the store only through it.
func OpenStore(ctx context.Context, dataDir, databaseURL string) (*sqlstore.DB, error) {
	if databaseURL != "" {
		return sqlstore.OpenPostgres(ctx, databaseURL)
	}
	return sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, "cph.db"))
}
