package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/opencph/opencph/sqlstore"
)

// walChildEnv names the database a child process of
// TestFollowUserChangesAcrossProcesses writes to, and what it writes.
const walChildEnv = "SQLSTORE_WAL_CHILD"

// TestMain lets the test binary act as the other process ("cphd admin")
// of TestFollowUserChangesAcrossProcesses.
func TestMain(m *testing.M) {
	if path := os.Getenv(walChildEnv); path != "" {
		if check := walChildChecks[os.Getenv(walChildEnv+"_CHECK")]; check != nil {
			os.Exit(check(path))
		}
		os.Exit(walChild(path, os.Getenv(walChildEnv+"_KEY")))
	}
	os.Exit(m.Run())
}

// walChildChecks are what a child process can check instead of writing,
// by name (walindex_unix_test.go).
var walChildChecks = map[string]func(path string) int{}

// runWALChild runs the test binary as the other process on the database
// at path, with env (walChildEnv's companions) added, and returns its
// exit code; it fails the test if the process cannot run.
func runWALChild(ctx context.Context, t *testing.T, path string, env ...string) int {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), walChildEnv+"="+path), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() == 1 {
			t.Logf("the other process: %s", out)
		}
		return ee.ExitCode()
	} else if err != nil {
		t.Fatalf("the other process: %v: %s", err, out)
	}
	return 0
}

// walChild commits one change of meta key in the SQLite database at path,
// from a process of its own, as a "cphd admin" command does.
func walChild(path, key string) int {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return 1
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO meta (key, value) VALUES (?, '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)`, key); err != nil {
		os.Stderr.WriteString(err.Error())
		return 1
	}
	return 0
}

// TestFollowUserChangesAcrossProcesses checks that a running store reads
// the count of user changes only after a commit: none while nothing is
// committed, one after another process's commit, and that the identity
// data's version moves when that commit changed a user and only then.
func TestFollowUserChangesAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cph.db")
	commit := func(key string) {
		t.Helper()
		if code := runWALChild(ctx, t, path, walChildEnv+"_KEY="+key); code != 0 {
			t.Fatalf("the other process could not commit (exit %d)", code)
		}
	}
	db, err := sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	commit("user_changes")
	follow := func() (reads int64, version uint64) {
		t.Helper()
		before := db.Statements()
		if err := db.FollowUserChanges(ctx); err != nil {
			t.Fatal(err)
		}
		v, ok := db.AuthVersion()
		if !ok {
			t.Fatal("SQLite versions are always followed")
		}
		return db.Statements() - before, v
	}
	if reads, _ := follow(); reads != 1 {
		t.Fatalf("first call: %d reads, want 1", reads)
	}
	_, v0 := follow()
	for range 5 {
		if reads, v := follow(); reads != 0 || v != v0 {
			t.Fatalf("nothing committed: %d reads and version %d → %d, want none and no move", reads, v0, v)
		}
	}

	commit("user_changes")
	reads, v1 := follow()
	if reads != 1 || v1 == v0 {
		t.Fatalf("after a user change in another process: %d reads and version %d → %d, want 1 read and a move", reads, v0, v1)
	}
	if reads, v := follow(); reads != 0 || v != v1 {
		t.Fatalf("nothing committed since: %d reads and version %d → %d", reads, v1, v)
	}

	commit("something_else")
	if reads, v := follow(); reads != 1 || v != v1 {
		t.Fatalf("after another process's commit that changed no user: %d reads and version %d → %d, want 1 read and no move", reads, v1, v)
	}

	// This process's own commits count too.
	if err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		_, err := tx.SetMetaIfAbsent(ctx, "k", "v")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if reads, _ := follow(); reads != 1 {
		t.Fatalf("after this process's commit: %d reads, want 1", reads)
	}
}
