package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// benchFleet is a project with enrolled servers of 1000 phones each, on a
// real database.
type benchFleet struct {
	db      *sqlstore.DB
	eng     *engine.Engine
	project string
	servers []string
	phones  []string // in enrollment order
}

// benchDatabases returns the databases benchmarks run on: SQLite always,
// PostgreSQL when CPH_TEST_DATABASE_URL is set.
func benchDatabases(b *testing.B) map[string]func(b *testing.B) *sqlstore.DB {
	dbs := map[string]func(b *testing.B) *sqlstore.DB{
		"sqlite": func(b *testing.B) *sqlstore.DB {
			db, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "cph.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
	}
	if os.Getenv("CPH_TEST_DATABASE_URL") != "" {
		dbs["postgres"] = func(b *testing.B) *sqlstore.DB { return storetest.OpenPostgresTB(b) }
	}
	return dbs
}

// newBenchFleet enrolls servers until the project has phones phones.
func newBenchFleet(b *testing.B, db *sqlstore.DB, phones int) *benchFleet {
	return newBenchFleetOf(b, db, (phones+engine.MaxEnrolledPhones-1)/engine.MaxEnrolledPhones, engine.MaxEnrolledPhones)
}

// newBenchFleetOf enrolls servers servers of perServer phones each.
func newBenchFleetOf(b *testing.B, db *sqlstore.DB, servers, perServer int) *benchFleet {
	b.Helper()
	phones := servers * perServer
	ctx := context.Background()
	f := &benchFleet{db: db, eng: engine.New(db, engine.Config{})}
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		d := &cph.Domain{ID: cph.NewID(), Name: "bench-" + cph.NewID()[:8], Enabled: true}
		p := &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: "cn-north-4", Enabled: true}
		f.project = p.ID
		if err := tx.CreateDomain(ctx, d); err != nil {
			return err
		}
		if err := tx.CreateProject(ctx, p); err != nil {
			return err
		}
		return tx.CreateImage(ctx, &sqlstore.Image{ID: cph.DefaultImageID, Name: "default", Version: "AOSP 11.0", IsPublic: true})
	})
	if err != nil {
		b.Fatal(err)
	}
	for len(f.phones) < phones {
		n := min(perServer, phones-len(f.phones))
		srv, err := f.eng.EnrollServer(ctx, engine.EnrollSpec{ProjectID: f.project, Name: fmt.Sprintf("node%d", len(f.servers)+1),
			Phones: n, ImageID: cph.DefaultImageID})
		if err != nil {
			b.Fatal(err)
		}
		f.servers = append(f.servers, srv.ID)
		ps, err := db.PhonesByServer(ctx, srv.ID)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range ps {
			f.phones = append(f.phones, p.ID)
		}
	}
	return f
}

// fleetSizes are the fleet sizes of the list benchmarks; short mode keeps
// the smallest.
func fleetSizes() []int {
	if testing.Short() {
		return []int{1000}
	}
	return []int{1000, 100_000}
}

// BenchmarkListPhones measures ListCloudPhones' query (a page of 100 and
// the total count) on the first page and on a page in the middle of the
// fleet, at several fleet sizes.
func BenchmarkListPhones(b *testing.B) {
	for name, open := range benchDatabases(b) {
		for _, size := range fleetSizes() {
			b.Run(fmt.Sprintf("db=%s/phones=%d", name, size), func(b *testing.B) {
				f := newBenchFleet(b, open(b), size)
				ctx := context.Background()
				for _, page := range []struct {
					name   string
					offset int
				}{{"first", 0}, {"deep", size / 2 / 100 * 100}} {
					b.Run(page.name, func(b *testing.B) {
						for b.Loop() {
							ps, total, err := f.db.ListPhones(ctx, cph.PhoneFilter{ProjectID: f.project, Offset: page.offset, Limit: 100})
							if err != nil || len(ps) != 100 || total != size {
								b.Fatalf("got %d phones of %d, %v", len(ps), total, err)
							}
						}
					})
				}
			})
		}
	}
}

// BenchmarkAcceptAndComplete measures a batch restart of 100 phones: its
// acceptance (SubmitPhones), an agent's claim of the 100 operations
// (Poll) and the application of their results (ApplyResults). Each
// sub-benchmark reports the time of its own step per batch.
func BenchmarkAcceptAndComplete(b *testing.B) {
	for name, open := range benchDatabases(b) {
		b.Run("db="+name, func(b *testing.B) {
			f := newBenchFleet(b, open(b), 1000)
			ctx := context.Background()
			session, err := f.eng.StartSession(ctx, f.servers[0], nil)
			if err != nil {
				b.Fatal(err)
			}
			batch := refs(f.phones[:100]...)
			accept := func() {
				acc, err := f.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: f.project, Kind: cph.OpRestartPhone, Phones: batch})
				if err != nil || len(acc.Jobs) != 100 || acc.Jobs[99].JobID == "" {
					b.Fatalf("accept: %+v, %v", acc, err)
				}
			}
			claim := func() []*sqlstore.OperationRecord {
				ops, err := f.eng.Poll(ctx, f.servers[0], session, 0, 100)
				if err != nil || len(ops) != 100 {
					b.Fatalf("claimed %d operations, %v", len(ops), err)
				}
				return ops
			}
			complete := func(ops []*sqlstore.OperationRecord) {
				results := make([]engine.OpResult, len(ops))
				for i, op := range ops {
					results[i] = engine.OpResult{OperationID: op.ID, Result: engine.Result{Success: true}}
				}
				errs, err := f.eng.ApplyResults(ctx, f.servers[0], session, results)
				if err != nil {
					b.Fatal(err)
				}
				for i, err := range errs {
					if err != nil {
						b.Fatalf("result %d: %v", i, err)
					}
				}
			}
			b.Run("accept", func(b *testing.B) {
				for b.Loop() {
					accept()
					b.StopTimer()
					complete(claim())
					b.StartTimer()
				}
			})
			b.Run("claim", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					accept()
					b.StartTimer()
					ops := claim()
					b.StopTimer()
					complete(ops)
					b.StartTimer()
				}
			})
			b.Run("complete", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					accept()
					ops := claim()
					b.StartTimer()
					complete(ops)
				}
			})
		})
	}
}

// BenchmarkFanout measures fan-outs over 100 servers of 100 phones: 10
// batch restarts of 100 phones sent at once while the 100 servers' agents
// poll and report at the same time, as a fleet does (no HTTP: the engine
// alone). Spread: each batch holds one phone of every server; grouped:
// each batch is one server's phones. It reports operations per second,
// the SQL statements the store ran per operation, and the p50 and p99 of
// the time from an operation's acceptance to its claim.
func BenchmarkFanout(b *testing.B) {
	const servers = 100
	batches := 10
	if n, err := strconv.Atoi(os.Getenv("FANOUT_BATCHES")); err == nil && n > 0 {
		batches = n
	}
	for name, open := range benchDatabases(b) {
		for _, layout := range []string{"spread", "grouped"} {
			b.Run("db="+name+"/layout="+layout, func(b *testing.B) {
				db := open(b)
				f := newBenchFleetOf(b, db, servers, 100)
				ctx := context.Background()
				sessions := make([]string, servers)
				for i, s := range f.servers {
					var err error
					if sessions[i], err = f.eng.StartSession(ctx, s, nil); err != nil {
						b.Fatal(err)
					}
				}
				byServer := map[string][]string{}
				for _, id := range f.phones {
					p, err := db.PhoneByID(ctx, f.project, id)
					if err != nil {
						b.Fatal(err)
					}
					byServer[p.ServerID] = append(byServer[p.ServerID], id)
				}
				var mu sync.Mutex
				var waits []time.Duration
				stmts := db.Statements()
				start := time.Now()
				ops := 0
				for round := 0; b.Loop(); round++ {
					var wg sync.WaitGroup
					want := map[string]int{}
					var batchesOf [][]cph.PhoneRef
					for k := range batches {
						var batch []cph.PhoneRef
						if layout == "spread" {
							for _, s := range f.servers {
								batch = append(batch, cph.PhoneRef{PhoneID: byServer[s][(round*batches+k)%100]})
								want[s]++
							}
						} else {
							s := f.servers[(round*batches+k)%servers]
							for _, id := range byServer[s] {
								batch = append(batch, cph.PhoneRef{PhoneID: id})
							}
							want[s] += 100
						}
						batchesOf = append(batchesOf, batch)
					}
					for _, batch := range batchesOf {
						wg.Go(func() {
							if _, err := f.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: f.project, Kind: cph.OpRestartPhone, Phones: batch}); err != nil {
								b.Error(err)
							}
						})
					}
					for i, s := range f.servers {
						if want[s] == 0 {
							continue
						}
						wg.Go(func() {
							for done := 0; done < want[s]; {
								claimed, err := f.eng.Poll(ctx, s, sessions[i], time.Second, 100)
								if err != nil {
									b.Error(err)
									return
								}
								now := time.Now()
								results := make([]engine.OpResult, len(claimed))
								mu.Lock()
								for j, op := range claimed {
									results[j] = engine.OpResult{OperationID: op.ID, Result: engine.Result{Success: true}}
									waits = append(waits, now.Sub(op.CreatedAt))
								}
								mu.Unlock()
								if len(results) == 0 {
									continue
								}
								if _, err := f.eng.ApplyResults(ctx, s, sessions[i], results); err != nil {
									b.Error(err)
									return
								}
								done += len(results)
							}
						})
					}
					wg.Wait()
					ops += servers * batches
				}
				b.ReportMetric(float64(ops)/time.Since(start).Seconds(), "ops/s")
				b.ReportMetric(float64(db.Statements()-stmts)/float64(ops), "stmts/op")
				slices.Sort(waits)
				if len(waits) > 0 {
					b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "claim-p50-ms")
					b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "claim-p99-ms")
				}
			})
		}
	}
}
