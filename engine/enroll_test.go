package engine_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// TestEnrollServer: an enrolled server of 1,000 phones is stored with
// every field of its phones as the agent protocol promises, on both
// engines, and counts in the project's phone count; names that are taken
// (a second server of that name, a renamed phone in the way) give the
// new phones other names instead of failing the enrolment; a failed
// enrolment leaves nothing.
func TestEnrollServer(t *testing.T) {
	t.Parallel()
	open := map[string]func(t *testing.T) *sqlstore.DB{
		"sqlite":   storetest.OpenSQLite,
		"postgres": storetest.OpenPostgres,
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := open[name](t)
			now := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
			e := newEnvOn(t, db, storetest.Fixed(db, now), engine.Config{})
			ctx := context.Background()
			total := func() int {
				t.Helper()
				_, n, err := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: e.project, Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			base := total()

			srv, err := e.eng.EnrollServer(ctx, engine.EnrollSpec{ProjectID: e.project, Name: "node", Phones: 1000, ImageID: "img2",
				AgentTokenHash: "hash-node"})
			if err != nil {
				t.Fatal(err)
			}
			if s, _, err := db.ServerByAgentTokenHash(ctx, "hash-node"); err != nil || s.ID != srv.ID {
				t.Errorf("server by its agent's credential = %v, %v; want %s", s, err, srv.ID)
			}
			got, err := db.ServerByID(ctx, e.project, srv.ID)
			if err != nil || got.Name != "node" || got.Status != cph.ServerNormal || got.AvailabilityZone != "cn-north-4a" ||
				got.Metadata.OrderID != srv.Metadata.OrderID || got.Metadata.OrderID == "" {
				t.Fatalf("server = %+v, %v", got, err)
			}
			pm := cph.PhoneModels()[0]
			phones, err := db.PhonesByServer(ctx, srv.ID)
			if err != nil || len(phones) != 1000 {
				t.Fatalf("%d phones, %v", len(phones), err)
			}
			imei := regexp.MustCompile(`^[0-9]{15}$`)
			ids := map[string]bool{}
			for i, p := range phones {
				want := cph.Phone{ID: p.ID, ProjectID: e.project, ServerID: srv.ID, Index: i + 1, Name: fmt.Sprintf("node-%04d", i+1),
					ModelName: pm.PhoneModelName, ImageID: "img2", ImageVersion: "AOSP 12.0", VNCEnable: "false", Status: cph.PhoneRunning,
					IMEI: p.IMEI, TrafficType: "direct", AvailabilityZone: "cn-north-4a",
					Metadata: cph.PhoneMetadata{OrderID: srv.Metadata.OrderID, ProductID: srv.Metadata.ProductID}, Property: "{}", IP: p.IP,
					DataVolumeType: "SSD", DataVolumeSize: 16, CreateTime: cph.NewTime(now), UpdateTime: cph.NewTime(now)}
				if diff := cmp.Diff(want, *p); diff != "" {
					t.Fatalf("phone %d (-want +got):\n%s", i+1, diff)
				}
				if !imei.MatchString(p.IMEI) || !regexp.MustCompile(`^10\.0\.`).MatchString(p.IP) || ids[p.ID] {
					t.Fatalf("phone %d: imei %q ip %q id %q (seen: %v)", i+1, p.IMEI, p.IP, p.ID, ids[p.ID])
				}
				ids[p.ID] = true
			}
			if n := total(); n != base+1000 {
				t.Errorf("project counts %d phones, want %d", n, base+1000)
			}

			// A phone renamed into the names of the next server's phones.
			if err := db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.RenamePhone(ctx, e.project, e.phones[0], "edge-0007") }); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"node", "edge"} {
				s, err := e.eng.EnrollServer(ctx, engine.EnrollSpec{ProjectID: e.project, Name: n, Phones: 10, ImageID: "img2"})
				if err != nil {
					t.Fatalf("enrol a second %q: %v", n, err)
				}
				ps, err := db.PhonesByServer(ctx, s.ID)
				if want := fmt.Sprintf("%s-%s-0007", n, s.ID[:6]); err != nil || len(ps) != 10 || ps[6].Name != want {
					t.Errorf("second %q: %d phones, seventh %q, %v; want %q", n, len(ps), ps[6].Name, err, want)
				}
			}
			if n := total(); n != base+1020 {
				t.Errorf("project counts %d phones, want %d", n, base+1020)
			}

			// A clash of the credential undoes the whole enrolment.
			_, err = e.eng.EnrollServer(ctx, engine.EnrollSpec{ProjectID: e.project, Name: "lost", Phones: 1000, ImageID: "img2",
				AgentTokenHash: "hash-node"})
			if !errors.Is(err, sqlstore.ErrDuplicate) {
				t.Fatalf("enrolment with a credential already taken: %v, want a duplicate", err)
			}
			if s, _, err := db.ServerByAgentTokenHash(ctx, "hash-node"); err != nil || s.ID != srv.ID {
				t.Errorf("the first server's credential after a failed enrolment: %v, %v", s, err)
			}
			if _, err := e.eng.EnrollServer(ctx, engine.EnrollSpec{ProjectID: e.project, Name: "lost", Phones: 1, ImageID: "no-such-image"}); err == nil {
				t.Error("enrolment with an unknown image accepted")
			}
			if n := total(); n != base+1020 {
				t.Errorf("after a failed enrolment the project counts %d phones, want %d", n, base+1020)
			}
			lost := "lost"
			if ss, _, err := db.ListServers(ctx, cph.ServerFilter{ProjectID: e.project, NameLike: &lost, Limit: 10}); err != nil || len(ss) != 0 {
				t.Errorf("after a failed enrolment: %d servers named lost, %v", len(ss), err)
			}
		})
	}
}

// BenchmarkEnroll measures the enrolment of servers of 1,000 phones
// (EnrollServer: the server, its phones and the project's count in one
// transaction) into a growing fleet, one at a time and four at once (as
// cph-bench enrols), and reports phones/s.
func BenchmarkEnroll(b *testing.B) {
	for name, open := range benchDatabases(b) {
		for _, conc := range []int{1, 4} {
			b.Run(fmt.Sprintf("db=%s/concurrent=%d", name, conc), func(b *testing.B) {
				f := newBenchFleet(b, open(b), 0)
				ctx := context.Background()
				var n atomic.Int64
				enroll := func() {
					i := n.Add(1)
					if _, err := f.eng.EnrollServer(ctx, engine.EnrollSpec{ProjectID: f.project, Name: fmt.Sprintf("node%d", i),
						Phones: engine.MaxEnrolledPhones, ImageID: cph.DefaultImageID}); err != nil {
						b.Error(err)
					}
				}
				if conc == 1 {
					for b.Loop() {
						enroll()
					}
				} else {
					b.SetParallelism((conc + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							enroll()
						}
					})
				}
				b.ReportMetric(float64(n.Load()*engine.MaxEnrolledPhones)/b.Elapsed().Seconds(), "phones/s")
			})
		}
	}
}
