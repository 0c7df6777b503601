package engine_test

import (
	"context"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

// TestReportPhones: a phone its runtime reports broken becomes abnormal
// (-7) if it was running or stopped, a phone with an operation in flight
// is left to its result, reports of another server's phones and of an
// old session change nothing; and an abnormal phone of a normal server
// can be restarted (its runtime broke; a restart brings it back).
func TestReportPhones(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{})
	ctx := context.Background()
	session := e.session(t)
	// phones[0], [1] run, [2] is stopped, [3] is still being created.
	acc, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[1])})
	if err != nil || acc.Jobs[0].JobID == "" {
		t.Fatalf("restart: %+v %v", acc, err)
	}
	if err := e.eng.ReportPhones(ctx, e.server, "old-session", []engine.PhoneReport{{ID: e.phones[0], Failed: true}}); err != engine.ErrSessionGone {
		t.Fatalf("report of an old session: %v", err)
	}
	err = e.eng.ReportPhones(ctx, e.server, session, []engine.PhoneReport{
		{ID: e.phones[0], Failed: true, Reason: "container died", AccessIP: "127.0.0.1", AccessPort: 40001, IntranetIP: "172.17.0.2"},
		{ID: e.phones[1], Failed: true},
		{ID: e.phones[2], Failed: true},
		{ID: "ffffffffffffffffffffffffffffffff", Failed: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []cph.PhoneStatus{cph.PhoneAbnormal, cph.PhoneRestarting, cph.PhoneAbnormal, cph.PhoneCreating} {
		if st := e.phone(t, e.phones[i]).Status; st != want {
			t.Errorf("phone %d: status %d, want %d", i, st, want)
		}
	}
	a, ok, err := e.db.PhoneAccess(ctx, e.phones[0])
	if err != nil || !ok || a != (sqlstore.PhoneAccess{PhoneID: e.phones[0], ServerID: e.server, AccessIP: "127.0.0.1", AccessPort: 40001, IntranetIP: "172.17.0.2"}) {
		t.Errorf("access = %+v, %v, %v", a, ok, err)
	}
	again, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])})
	if err != nil {
		t.Fatal(err)
	}
	if again.Jobs[0].JobID == "" || e.phone(t, e.phones[0]).Status != cph.PhoneRestarting {
		t.Errorf("restart of an abnormal phone: %+v, status %d", again.Jobs[0], e.phone(t, e.phones[0]).Status)
	}
}
