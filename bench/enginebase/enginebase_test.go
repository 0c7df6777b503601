package enginebase_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/bench/enginebase"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

// databases are the databases the tests run on: SQLite always,
// PostgreSQL when CPH_TEST_DATABASE_URL names a server.
func databases(t *testing.T) map[string]enginebase.Options {
	dbs := map[string]enginebase.Options{"sqlite": {SQLitePath: filepath.Join(t.TempDir(), "baseline.db")}}
	if u := os.Getenv("CPH_TEST_DATABASE_URL"); u != "" {
		dbs["postgres"] = enginebase.Options{Postgres: u}
	} else {
		t.Log("CPH_TEST_DATABASE_URL not set: SQLite only")
	}
	return dbs
}

// TestBaselineEndsFinal runs small fan-outs of both layouts, with and
// without group commit, on a seeded fleet: every job must end succeeded,
// every operation done and every phone running, with the batches the
// layout gives.
func TestBaselineEndsFinal(t *testing.T) {
	for name, o := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			o.Phones, o.PerServer = 450, 100
			b, err := enginebase.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := b.Close(); err != nil {
					t.Error(err)
				}
			}()
			servers, phones := b.Fleet()
			if len(servers) != 5 || len(phones[4]) != 50 {
				t.Fatalf("seeded %d servers, the last with %d phones; want 5, 50", len(servers), len(phones[len(phones)-1]))
			}
			runs := 0
			for _, layout := range []string{enginebase.Spread, enginebase.Grouped} {
				for _, group := range []bool{true, false} {
					r, err := b.Run(ctx, enginebase.RunOptions{Layout: layout, Batches: 10, Accepters: 3, GroupCommit: group})
					if err != nil {
						t.Fatalf("%s, group commit %v: %v", layout, group, err)
					}
					runs++
					// 450 phones hold 4 distinct batches of 100.
					if r.Batches != 4 || r.Operations != 400 || r.OpsPerSecond <= 0 || r.Claims == 0 || r.ResultWrites != r.Claims || r.Transactions <= 0 {
						t.Errorf("%s, group commit %v: %+v", layout, group, r)
					}
					want := enginebase.Final{Jobs: 400 * runs, JobsSucceeded: 400 * runs, Operations: 400 * runs, OpsDone: 400 * runs, Phones: 450, PhonesRunning: 450}
					if r.Final != want {
						t.Errorf("%s, group commit %v: rows %+v, want %+v", layout, group, r.Final, want)
					}
					if !group && r.Transactions != 4+2*r.Claims {
						t.Errorf("%s without group commit: %d transactions for 4 accepts, %d claims, %d result writes", layout, r.Transactions, r.Claims, r.ResultWrites)
					}
					// A grouped batch is on one server: its claims take many operations.
					if layout == enginebase.Grouped && r.OpsPerClaim < 10 {
						t.Errorf("grouped: %.1f operations per claim", r.OpsPerClaim)
					}
				}
			}
		})
	}
}

// rowStates describes the rows of a fan-out's database by state: the jobs
// by status, end time set, error and kind; the operations by state,
// attempts and claim; the phones by status.
func rowStates(t *testing.T, db *sql.DB) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT 'job', status, CASE WHEN end_at > 0 THEN 1 ELSE 0 END, CASE WHEN error_code IS NULL THEN 0 ELSE 1 END, kind, COUNT(*) FROM jobs GROUP BY 2, 3, 4, 5 ORDER BY 2, 3, 4, 5`,
		`SELECT 'operation', state, attempts, CASE WHEN session_id <> '' THEN 1 ELSE 0 END, CASE WHEN lease_until > 0 THEN 1 ELSE 0 END, COUNT(*) FROM operations GROUP BY 2, 3, 4, 5 ORDER BY 2, 3, 4, 5`,
		`SELECT 'phone', status, 0, 0, '', COUNT(*) FROM phones GROUP BY 2 ORDER BY 2`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var what, kind string
			var a, b, c string
			var n int
			if err := rows.Scan(&what, &a, &b, &c, &kind, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %s %s %s %s: %d", what, a, b, c, kind, n))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return strings.Join(out, "\n")
}

// TestBaselineRowsAsEngine checks that the baseline's writes leave the
// rows in the states the engine leaves them in: the same fleet is seeded
// twice, one fan-out runs through the engine (SubmitPhones, Poll,
// ApplyResults) and one through the baseline, and the rows are compared
// state by state.
func TestBaselineRowsAsEngine(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	seed := func(name string) (*enginebase.Baseline, string) {
		path := filepath.Join(dir, name)
		b, err := enginebase.Open(ctx, enginebase.Options{SQLitePath: path, Phones: 300, PerServer: 100})
		if err != nil {
			t.Fatal(err)
		}
		return b, path
	}

	base, basePath := seed("baseline.db")
	if _, err := base.Run(ctx, enginebase.RunOptions{Layout: enginebase.Spread, Batches: 3, GroupCommit: true}); err != nil {
		t.Fatal(err)
	}
	if err := base.Close(); err != nil {
		t.Fatal(err)
	}

	real, realPath := seed("engine.db")
	servers, phones := real.Fleet()
	project := real.Project()
	if err := real.Close(); err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.OpenSQLite(ctx, realPath)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(store, engine.Config{})
	sessions := map[string]string{}
	for _, s := range servers {
		if sessions[s], err = eng.StartSession(ctx, s, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Spread, as the baseline picks: the first phone of every server,
	// then the second, and so on, in batches of 100.
	var spread []string
	for k := range 100 {
		for s := range servers {
			spread = append(spread, phones[s][k])
		}
	}
	for k := range 3 {
		var refs []cph.PhoneRef
		for _, id := range spread[k*100 : (k+1)*100] {
			refs = append(refs, cph.PhoneRef{PhoneID: id})
		}
		acc, err := eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: project, Kind: cph.OpRestartPhone, Phones: refs})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range acc.Jobs {
			if j.JobID == "" {
				t.Fatalf("phone %s refused: %s %s", j.PhoneID, j.ErrorCode, j.ErrorMsg)
			}
		}
	}
	for _, s := range servers {
		ops, err := eng.Poll(ctx, s, sessions[s], 0, 100)
		if err != nil || len(ops) != 100 {
			t.Fatalf("server %s claimed %d operations: %v", s, len(ops), err)
		}
		results := make([]engine.OpResult, len(ops))
		for i, op := range ops {
			results[i] = engine.OpResult{OperationID: op.ID, Result: engine.Result{Success: true}}
		}
		errs, err := eng.ApplyResults(ctx, s, sessions[s], results)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	open := func(path string) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	want, got := rowStates(t, open(realPath)), rowStates(t, open(basePath))
	if got != want {
		t.Errorf("rows after the baseline's fan-out:\n%s\nafter the engine's:\n%s", got, want)
	}
	if !strings.Contains(want, "job 2 1 0 restart_phone: 300") || !strings.Contains(want, "phone 2 0 0 : 300") {
		t.Errorf("the engine's fan-out did not end with 300 succeeded jobs and running phones:\n%s", want)
	}
}
