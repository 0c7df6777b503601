package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

func testServerStatusAndDelete(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 2)
	id := f.server.ID
	var changed bool
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		changed, err = tx.SetServerStatus(ctx, id, []cph.ServerStatus{cph.ServerCreating}, cph.ServerDeleting)
		return err
	})
	if s, _ := db.ServerByID(ctx, f.project.ID, id); changed || s.Status != f.server.Status {
		t.Errorf("conditional status change applied: changed=%v status=%d", changed, s.Status)
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		bw := &cph.Bandwidth{ID: "bw-1", Name: "bw", Size: 10, ShareType: 1}
		if err := tx.CreateBandwidth(ctx, f.project.ID, bw); err != nil {
			return err
		}
		if err := tx.AttachBandwidth(ctx, id, bw.ID); err != nil {
			return err
		}
		if err := tx.CreateEncodeServer(ctx, &cph.EncodeServer{ID: cph.NewID(), ProjectID: f.project.ID, ServerID: id, Name: "e", Status: cph.EncodeRunning}); err != nil {
			return err
		}
		return tx.SetServerTags(ctx, f.project.ID, id, []cph.Tag{{Key: "env", Value: "prod"}}, 0)
	})
	if bws, _ := db.BandwidthsOfServer(ctx, id); len(bws) != 1 || bws[0].Size != 10 {
		t.Errorf("bandwidths = %+v", bws)
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.DeleteServer(ctx, id) })
	if _, err := db.ServerByID(ctx, f.project.ID, id); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("server after delete: %v", err)
	}
	if ps, _ := db.PhonesByServer(ctx, id); len(ps) != 0 {
		t.Errorf("%d phones left", len(ps))
	}
	if bws, _ := db.ListBandwidths(ctx, f.project.ID, 0, 100); len(bws) != 0 {
		t.Errorf("unused bandwidth left: %+v", bws)
	}
	if es, _ := db.ListEncodeServers(ctx, cph.EncodeServerFilter{ProjectID: f.project.ID, Limit: 100}); len(es) != 0 {
		t.Errorf("encode servers left: %+v", es)
	}
	if tags, _, _ := db.ProjectTags(ctx, f.project.ID, 0, 100); len(tags) != 0 {
		t.Errorf("tags left: %+v", tags)
	}
}

func testServerTags(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	id := f.server.ID
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		if err := tx.SetServerTags(ctx, f.project.ID, id, []cph.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}, 0); err != nil {
			return err
		}
		return tx.SetServerTags(ctx, f.project.ID, id, []cph.Tag{{Key: "a", Value: "3"}}, 0)
	})
	tags, _ := db.ServerTags(ctx, id)
	if len(tags) != 2 || tags[0].Value != "3" {
		t.Errorf("tags = %+v", tags)
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		return tx.DeleteServerTags(ctx, id, []cph.Tag{{Key: "a", Value: "wrong"}, {Key: "b"}})
	})
	if tags, _ := db.ServerTags(ctx, id); len(tags) != 1 || tags[0].Key != "a" {
		t.Errorf("tags after delete = %+v", tags)
	}
	res, total, err := db.ListResourceInstances(ctx, cph.ResourceFilter{ProjectID: f.project.ID, Tags: []cph.Tags{{Key: "a", Values: []string{"3"}}}, Limit: 10})
	if err != nil || total != 1 || res[0].ResourceID != id {
		t.Errorf("resources = %+v (%d), %v", res, total, err)
	}
	if _, total, _ := db.ListResourceInstances(ctx, cph.ResourceFilter{ProjectID: f.project.ID, WithoutTags: true, Limit: 10}); total != 0 {
		t.Errorf("without tags = %d", total)
	}
}

func testEncodeServerStatus(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	es := &cph.EncodeServer{ID: cph.NewID(), ProjectID: f.project.ID, ServerID: f.server.ID, Name: "e", Type: 1, Status: cph.EncodeRunning}
	var changed bool
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		if err := tx.CreateEncodeServer(ctx, es); err != nil {
			return err
		}
		if changed, err = tx.SetEncodeServerStatus(ctx, es.ID, []cph.EncodeServerStatus{cph.EncodeAbnormal}, cph.EncodeRestarting); err != nil || changed {
			return err
		}
		changed, err = tx.SetEncodeServerStatus(ctx, es.ID, []cph.EncodeServerStatus{cph.EncodeRunning}, cph.EncodeRestarting)
		return err
	})
	st := cph.EncodeRestarting
	list, _ := db.ListEncodeServers(ctx, cph.EncodeServerFilter{ProjectID: f.project.ID, Status: &st, Limit: 10})
	if !changed || len(list) != 1 {
		t.Errorf("changed=%v list=%+v", changed, list)
	}
}

// testFleetRuntime checks that fleet servers record their runtime, and
// that a server with none recorded is adopted by exactly one of several
// runtimes adopting it at once.
func testFleetRuntime(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	builtin := &cph.Server{ID: cph.NewID(), ProjectID: f.project.ID, Name: "sim-server-01", Status: cph.ServerNormal,
		NetworkVersion: "v1", PhoneModelName: "m1", BuiltinIndex: 1}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		if err := tx.CreateServer(ctx, builtin); err != nil {
			return err
		}
		if err := tx.SetFleetRuntime(ctx, builtin.ID, "docker"); err != nil {
			return err
		}
		return tx.SetServerSimulated(ctx, f.server.ID, "", cph.ShareVolumeInfo{})
	})
	runtimes := func() map[string]string {
		t.Helper()
		l, err := db.FleetServers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, s := range l {
			out[s.ID] = s.Runtime
		}
		return out
	}
	if got := runtimes(); len(got) != 2 || got[builtin.ID] != "docker" || got[f.server.ID] != "" {
		t.Fatalf("fleet runtimes = %v", got)
	}
	if ok, err := db.AdoptFleetServer(ctx, builtin.ID, "sim"); ok || err != nil {
		t.Errorf("adopting a server of another runtime: %v, %v", ok, err)
	}
	ok, lost := race(t, 8, errLost, func(i int) error {
		won, err := db.AdoptFleetServer(ctx, f.server.ID, fmt.Sprintf("runtime-%d", i))
		if err == nil && !won {
			return errLost
		}
		return err
	})
	got := runtimes()
	if ok != 1 || lost != 7 || got[f.server.ID] == "" || got[builtin.ID] != "docker" {
		t.Errorf("%d adoptions won, fleet runtimes = %v; want exactly 1", ok, got)
	}
}

var errLost = errors.New("adopted by another runtime")
