package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.OpenPostgres)
}

// TestPostgresConcurrentMigrations opens one empty database from several
// goroutines at once, as replicas starting together do.
func TestPostgresConcurrentMigrations(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// TestPostgresChangesReachOtherReplicas checks that a phone change
// committed by one replica moves the phones version of another, and that a
// replica that does not listen reports that it cannot tell.
func TestPostgresChangesReachOtherReplicas(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := sqlstore.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlstore.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, ok := b.PhonesVersion(); ok {
		t.Fatal("a replica that does not listen claims to follow changes")
	}
	go b.Listen(ctx, nil, func(string) {})
	poll.Within(t, 10*time.Second, "replica b to follow changes after Listen", func() bool {
		_, ok := b.PhonesVersion()
		return ok
	})
	before, _ := b.PhonesVersion()
	beforeAuth, _ := b.AuthVersion()
	d := &cph.Domain{ID: cph.NewID(), Name: "replicas", Enabled: true}
	p := &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: "cn-north-4", Enabled: true}
	s := &cph.Server{ID: cph.NewID(), ProjectID: p.ID, Name: "s1", Status: cph.ServerNormal}
	err = a.Tx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.CreateDomain(ctx, d); err != nil {
			return err
		}
		if err := tx.CreateProject(ctx, p); err != nil {
			return err
		}
		return tx.CreateServer(ctx, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	poll.Within(t, 10*time.Second, "replica b's auth version to move after replica a created an account", func() bool {
		v, _ := b.AuthVersion()
		return v != beforeAuth
	})
	if v, _ := b.PhonesVersion(); v != before {
		t.Error("an account change moved replica b's phones version")
	}
	phoneID := cph.NewID()
	err = a.Tx(ctx, func(tx *sqlstore.Tx) error {
		return tx.CreatePhone(ctx, &cph.Phone{ID: phoneID, ProjectID: p.ID, ServerID: s.ID, Index: 1, Name: "p1",
			Status: cph.PhoneRunning, VNCEnable: "false", Property: "{}"})
	})
	if err != nil {
		t.Fatal(err)
	}
	poll.Within(t, 10*time.Second, "replica b's phones version to move after replica a's phone change", func() bool {
		v, _ := b.PhonesVersion()
		return v != before
	})
	// A live view on replica b (the console's job list) wakes up when
	// replica a writes a job.
	changed := b.Changed()
	jobsBefore, _ := b.JobsVersion()
	err = a.Tx(ctx, func(tx *sqlstore.Tx) error {
		return tx.CreateJob(ctx, &cph.Job{ID: cph.NewID(), RequestID: cph.NewID(), ProjectID: p.ID, Kind: cph.OpRestartServer,
			ServerID: s.ID, Status: cph.JobRunning, BeginTime: cph.NewTime(tx.Now())})
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("replica b's Changed channel was not closed 10 s after replica a created a job")
	}
	if v, _ := b.JobsVersion(); v == jobsBefore {
		t.Error("replica a's job did not move replica b's jobs version")
	}

	// A status change is known, as such, to the replica that made it;
	// the other replica only learns that phones changed (a barrier).
	aBefore, _ := a.PhonesVersion()
	bBefore, _ := b.PhonesVersion()
	err = a.Tx(ctx, func(tx *sqlstore.Tx) error {
		_, err := tx.SetPhonesStatus(ctx, []string{phoneID}, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneRestarting)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	aAfter, _ := a.PhonesVersion()
	if ch, ok := a.PhoneStatusChangesSince(aBefore, aAfter); !ok || len(ch) != 1 || ch[0].ID != phoneID || ch[0].Status != cph.PhoneRestarting {
		t.Errorf("replica a's own status change: %+v, %v; want the phone restarting", ch, ok)
	}
	var bAfter uint64
	poll.Within(t, 10*time.Second, "replica b's phones version to move after replica a's status change", func() bool {
		bAfter, _ = b.PhonesVersion()
		return bAfter != bBefore
	})
	if ch, ok := b.PhoneStatusChangesSince(bBefore, bAfter); ok {
		t.Errorf("replica b reports replica a's status change as known (%+v): its cached pages would not be read again", ch)
	}
}

// TestPostgresNotifyManyServers checks that a wake-up of more servers than
// one notification holds reaches the listener for every one of them.
func TestPostgresNotifyManyServers(t *testing.T) {
	t.Parallel()
	db := storetest.OpenPostgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 1024)
	go db.Listen(ctx, nil, func(id string) { got <- id })
	ids := make([]string, 450)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032d", i)
	}
	// Wait until the listener hears a first wake-up, then send the many.
	for i := 0; ; i++ {
		if err := db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.NotifyServer(ctx, "ready") }); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
		case <-waitShort():
			if i > 200 {
				t.Fatal("no notification arrived")
			}
			continue
		}
		break
	}
	if err := db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.NotifyServers(ctx, ids) }); err != nil {
		t.Fatal(err)
	}
	woken := map[string]bool{}
	for len(woken) < len(ids) {
		select {
		case id := <-got:
			if id != "ready" {
				woken[id] = true
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d servers woken", len(woken), len(ids))
		}
	}
	for _, id := range ids {
		if !woken[id] {
			t.Fatalf("server %s not woken", id)
		}
	}
}

// TestPostgresClaimUsesTheQueueIndexAfterAnIdleAnalyze: statistics taken
// while every operation was done (as autovacuum takes them between two
// bursts of work) must not lead the planner away from the queue's index
// once operations are pending again; with the column's statistics a
// claim walked every open operation of every server.
func TestPostgresClaimUsesTheQueueIndexAfterAnIdleAnalyze(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	db, err := sqlstore.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// 20,000 done operations over 100 servers, analysed while all are done.
	exec(`INSERT INTO jobs (id, request_id, project_id, position, kind, phone_id, server_id, status, begin_at, end_at)
		SELECT 'j' || i, 'r', 'p', 0, 'restart_phone', 'ph' || i, 's' || (i % 100), 2, i, i FROM generate_series(1, 22000) i`)
	exec(`INSERT INTO operations (id, job_id, server_id, phone_id, kind, args, state, attempts, session_id, lease_until, created_at)
		SELECT 'o' || i, 'j' || i, 's' || (i % 100), 'ph' || i, 'restart_phone', '{}', 'done', 1, 'x', 0, i FROM generate_series(1, 20000) i`)
	exec(`ANALYZE operations`)
	// Then a burst: 2,000 pending operations.
	exec(`INSERT INTO operations (id, job_id, server_id, phone_id, kind, args, state, attempts, session_id, lease_until, created_at)
		SELECT 'o' || i, 'j' || i, 's' || (i % 100), 'ph' || i, 'restart_phone', '{}', 'pending', 0, '', 0, i FROM generate_series(20001, 22000) i`)

	for name, q := range map[string]string{
		"one server": `EXPLAIN SELECT id FROM operations WHERE server_id = 's7' AND state <> 'done' AND state = 'pending'
			ORDER BY created_at, id LIMIT 10`,
		"several servers": `EXPLAIN SELECT id, ROW_NUMBER() OVER (PARTITION BY server_id ORDER BY created_at, id)
			FROM operations WHERE state <> 'done' AND state = 'pending' AND server_id IN (SELECT unnest(ARRAY['s7', 's8']))`,
	} {
		rows, err := raw.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := fmt.Sprint(plan)
		if !strings.Contains(text, "operations_open_server") || !strings.Contains(text, "Index Cond: ((server_id =") {
			t.Errorf("%s: the claim does not look servers up in the queue index:\n%s", name, strings.Join(plan, "\n"))
		}
	}

	// And the claim itself takes the server's oldest pending operations.
	ops, err := db.ClaimOperations(ctx, "s7", "session", time.Now().Add(time.Minute), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 3 || ops[0].ID != "o20007" || ops[1].ID != "o20107" || ops[2].ID != "o20207" {
		var ids []string
		for _, op := range ops {
			ids = append(ids, op.ID)
		}
		t.Errorf("claimed %v, want o20007, o20107, o20207", ids)
	}
}
