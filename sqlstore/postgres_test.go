package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

func TestPostgres(t *testing.T) {
	storetest.Run(t, storetest.OpenPostgres)
}

// TestPostgresConcurrentMigrations opens one empty database from several
// goroutines at once, as replicas starting together do.
func TestPostgresConcurrentMigrations(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			d, err := sqlstore.OpenPostgres(ctx, url)
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
	check, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var n, distinct int
	if err := check.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations").Scan(&n, &distinct); err != nil || n == 0 || n != distinct {
		t.Errorf("migrations recorded: %d (%d distinct), %v", n, distinct, err)
	}
}

// TestPostgresNotifications delivers a wake-up sent in one transaction to
// a listener on another connection, only after commit.
func TestPostgresNotifications(t *testing.T) {
	db := storetest.OpenPostgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 4)
	go db.Listen(ctx, nil, func(id string) { got <- id })
	// Send until the listener (which connects asynchronously) hears one.
	for i := 0; ; i++ {
		err := db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.NotifyServer(ctx, "server-1") })
		if err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-got:
			if id != "server-1" {
				t.Fatalf("woke %q", id)
			}
			return
		case <-waitShort():
		}
		if i > 200 {
			t.Fatal("no notification arrived")
		}
	}
}

func waitShort() <-chan time.Time { return time.After(50 * time.Millisecond) }
