package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// race runs fn(0..n-1) in n goroutines released together and returns how
// many returned nil and how many returned an error that is want. Any other
// error fails the test.
func race(t *testing.T, n int, want error, fn func(i int) error) (ok, refused int) {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, want):
				refused++
			default:
				t.Errorf("call %d: %v (want nil or %v)", i, err, want)
			}
		})
	}
	close(start)
	wg.Wait()
	return ok, refused
}

// testConcurrentAccessKeyLimit: 20 concurrent creations for a user with a
// limit of 2 make exactly 2 keys.
func testConcurrentAccessKeyLimit(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	const n, limit = 20, 2
	ok, refused := race(t, n, sqlstore.ErrLimit, func(i int) error {
		return db.Tx(ctx, func(tx *sqlstore.Tx) error {
			return tx.CreateAccessKey(ctx, &sqlstore.AccessKey{Access: fmt.Sprintf("AK%02d", i), UserID: f.user.ID,
				DomainID: f.domain.ID, SecretEnc: "enc", Status: "active"}, limit)
		})
	})
	keys, err := db.ListAccessKeys(ctx, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok != limit || refused != n-limit || len(keys) != limit {
		t.Errorf("%d created, %d refused, %d stored; want %d, %d, %d", ok, refused, len(keys), limit, n-limit, limit)
	}
}

// testConcurrentTagLimit: 30 concurrent calls each adding one new tag to a
// server with a limit of 20 leave exactly 20 tags.
func testConcurrentTagLimit(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	const n, limit = 30, 20
	ok, refused := race(t, n, sqlstore.ErrLimit, func(i int) error {
		return db.Tx(ctx, func(tx *sqlstore.Tx) error {
			return tx.SetServerTags(ctx, f.project.ID, f.server.ID, []cph.Tag{{Key: fmt.Sprintf("k%02d", i), Value: "v"}}, limit)
		})
	})
	tags, err := db.ServerTags(ctx, f.server.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok != limit || refused != n-limit || len(tags) != limit {
		t.Errorf("%d set, %d refused, %d stored; want %d, %d, %d", ok, refused, len(tags), limit, n-limit, limit)
	}
	// Overwriting a tag at the limit is no new tag.
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		return tx.SetServerTags(ctx, f.project.ID, f.server.ID, []cph.Tag{{Key: tags[0].Key, Value: "w"}}, limit)
	})
}

// testConcurrentImageMemberLimit: 12 concurrent shares of one image with a
// limit of 10 make exactly 10 members; re-sharing with a member at the
// limit still works.
func testConcurrentImageMemberLimit(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	a := newFixture(t, db, "acme", 1)
	im := newCustomImage(t, db, a, "golden")
	const n, limit = 12, cph.MaxImageMembers
	ok, refused := race(t, n, sqlstore.ErrLimit, func(i int) error {
		return db.Tx(ctx, func(tx *sqlstore.Tx) error {
			return tx.AddImageMember(ctx, im.ID, fmt.Sprintf("%032x", i+1), limit)
		})
	})
	var members []*cph.ImageMember
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		members, err = tx.ImageMembers(ctx, im.ID)
		return err
	})
	if ok != limit || refused != n-limit || len(members) != limit {
		t.Errorf("%d added, %d refused, %d stored; want %d, %d, %d", ok, refused, len(members), limit, n-limit, limit)
	}
	if len(members) > 0 {
		mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.AddImageMember(ctx, im.ID, members[0].MemberID, limit) })
	}
}

// testConcurrentRenames: 20 phones renamed to one name at once: one
// succeeds, the others get ErrNameTaken (never a driver error).
func testConcurrentRenames(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 20)
	ok, refused := race(t, len(f.phones), sqlstore.ErrNameTaken, func(i int) error {
		return db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.RenamePhone(ctx, f.project.ID, f.phones[i].ID, "front-desk") })
	})
	if ok != 1 || refused != len(f.phones)-1 {
		t.Errorf("%d renamed, %d refused; want 1, %d", ok, refused, len(f.phones)-1)
	}
}

// testConcurrentDuplicateNames: concurrent creations of users, projects
// and accounts with one name: one succeeds, the others get ErrDuplicate.
func testConcurrentDuplicateNames(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	const n = 12
	cases := []struct {
		what   string
		create func(tx *sqlstore.Tx) error
	}{
		{"user", func(tx *sqlstore.Tx) error {
			return tx.CreateUser(ctx, &cph.User{ID: cph.NewID(), DomainID: f.domain.ID, Name: "alice", PasswordHash: "x", Enabled: true})
		}},
		{"project", func(tx *sqlstore.Tx) error {
			return tx.CreateProject(ctx, &cph.Project{ID: cph.NewID(), DomainID: f.domain.ID, Name: "cn-south-1", Enabled: true})
		}},
		{"account", func(tx *sqlstore.Tx) error {
			return tx.CreateDomain(ctx, &cph.Domain{ID: cph.NewID(), Name: "globex", Enabled: true})
		}},
	}
	for _, c := range cases {
		ok, refused := race(t, n, sqlstore.ErrDuplicate, func(int) error { return db.Tx(ctx, c.create) })
		if ok != 1 || refused != n-1 {
			t.Errorf("%s: %d created, %d refused; want 1, %d", c.what, ok, refused, n-1)
		}
	}
}

// testConcurrentPhoneNames: servers created at once with one name each
// check whether their phones' names are taken and pick another prefix if
// so (as server creation does); none fails on a name clash.
func testConcurrentPhoneNames(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	const n = 10
	ok, _ := race(t, n, errNever, func(i int) error {
		return db.Tx(ctx, func(tx *sqlstore.Tx) error {
			prefix := "edge"
			taken, err := tx.PhoneNameTaken(ctx, f.project.ID, prefix+"-0001")
			if err != nil {
				return err
			}
			if taken {
				prefix = fmt.Sprintf("edge-%02d", i)
			}
			return tx.CreatePhone(ctx, &cph.Phone{ID: cph.NewID(), ProjectID: f.project.ID, ServerID: f.server.ID, Index: i + 1,
				Name: prefix + "-0001", Status: cph.PhoneRunning, VNCEnable: "false", Property: "{}"})
		})
	})
	if ok != n {
		t.Errorf("%d of %d creations succeeded", ok, n)
	}
}

// testPhoneNamesWhileRebuilding: servers rebuilt (their phones deleted and
// created again under a name check) while others are created in the same
// project, all at once, never deadlock or clash.
func testPhoneNamesWhileRebuilding(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	const n = 8
	servers := make([]*cph.Server, n)
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		for i := range servers {
			servers[i] = &cph.Server{ID: cph.NewID(), ProjectID: f.project.ID, Name: fmt.Sprintf("s%d", i), Status: cph.ServerNormal}
			if err := tx.CreateServer(ctx, servers[i]); err != nil {
				return err
			}
			if err := tx.CreatePhone(ctx, &cph.Phone{ID: cph.NewID(), ProjectID: f.project.ID, ServerID: servers[i].ID, Index: 1,
				Name: fmt.Sprintf("s%d-0001", i), Status: cph.PhoneRunning, VNCEnable: "false", Property: "{}"}); err != nil {
				return err
			}
		}
		return nil
	})
	ok, _ := race(t, 2*n, errNever, func(i int) error {
		return db.Tx(ctx, func(tx *sqlstore.Tx) error {
			srv := servers[i%n]
			name := fmt.Sprintf("r%d", i)
			if i < n { // rebuild: the old phones go first
				if err := tx.DeletePhonesOfServer(ctx, srv.ID); err != nil {
					return err
				}
			}
			if _, err := tx.PhoneNameTaken(ctx, f.project.ID, name+"-0001"); err != nil {
				return err
			}
			return tx.CreatePhone(ctx, &cph.Phone{ID: cph.NewID(), ProjectID: f.project.ID, ServerID: srv.ID, Index: 2 + i,
				Name: name + "-0001", Status: cph.PhoneRunning, VNCEnable: "false", Property: "{}"})
		})
	})
	if ok != 2*n {
		t.Errorf("%d of %d transactions succeeded", ok, 2*n)
	}
}

// errNever is an error no store method returns.
var errNever = errors.New("storetest: never returned")

// testInvalidText: text PostgreSQL cannot hold (a NUL byte, invalid
// UTF-8) is refused with ErrInvalidText by every engine and changes
// nothing; a lookup by such text finds nothing (ErrNotFound).
func testInvalidText(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 1)
	for _, bad := range []string{"ali\x00ce", "\x00", "ali\xffce"} {
		err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
			return tx.CreateUser(ctx, &cph.User{ID: cph.NewID(), DomainID: f.domain.ID, Name: bad, PasswordHash: "x", Enabled: true})
		})
		if !errors.Is(err, sqlstore.ErrInvalidText) {
			t.Errorf("create user %q: %v, want ErrInvalidText", bad, err)
		}
		// No stored row can hold such text: a lookup finds nothing.
		if _, err := db.UserByName(ctx, f.domain.ID, bad); !errors.Is(err, sqlstore.ErrNotFound) {
			t.Errorf("look up user %q: %v, want ErrNotFound", bad, err)
		}
		err = db.Tx(ctx, func(tx *sqlstore.Tx) error {
			_, err := tx.PhoneNameTaken(ctx, f.project.ID, bad)
			return err
		})
		if !errors.Is(err, sqlstore.ErrInvalidText) {
			t.Errorf("count phones named %q: %v, want ErrInvalidText", bad, err)
		}
		execMsg := "out" + bad
		err = db.Tx(ctx, func(tx *sqlstore.Tx) error {
			_, err := tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: cph.NewID(), Status: cph.JobSucceeded, ExecuteMsg: &execMsg})
			return err
		})
		if !errors.Is(err, sqlstore.ErrInvalidText) {
			t.Errorf("finish job with execute_msg %q: %v, want ErrInvalidText", execMsg, err)
		}
	}
	if users, err := db.ListUsers(ctx, f.domain.ID); err != nil || len(users) != 1 {
		t.Errorf("users after refusals: %d, %v; want 1", len(users), err)
	}
}

// testDeleteWhileAdding: tags added to a server, and members to an image,
// while the server and the image are deleted, all at once: no deadlock;
// each addition either happens before the deletion or finds its owner
// gone.
func testDeleteWhileAdding(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	for round := range 4 {
		f := newFixture(t, db, fmt.Sprintf("acme%d", round), 0)
		im := newCustomImage(t, db, f, "golden")
		mustTx(t, db, func(tx *sqlstore.Tx) error {
			if err := tx.SetServerTags(ctx, f.project.ID, f.server.ID, []cph.Tag{{Key: "env", Value: "a"}}, 0); err != nil {
				return err
			}
			return tx.AddImageMember(ctx, im.ID, fmt.Sprintf("%032x", 1), 0)
		})
		var mu sync.Mutex
		var failed []error
		race(t, 6, errNever, func(i int) error {
			var err error
			switch i {
			case 0:
				err = db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.DeleteServer(ctx, f.server.ID) })
			case 1:
				err = db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.DeleteCustomImage(ctx, im.ID) })
			case 2, 3:
				err = db.Tx(ctx, func(tx *sqlstore.Tx) error {
					return tx.SetServerTags(ctx, f.project.ID, f.server.ID, []cph.Tag{{Key: "env", Value: "b"}}, 20)
				})
			default:
				err = db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.AddImageMember(ctx, im.ID, fmt.Sprintf("%032x", 1), 10) })
			}
			if err != nil && i < 2 {
				return err // the deletions must succeed
			}
			if err != nil {
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
			}
			return nil
		})
		for _, err := range failed {
			// An addition that comes after the deletion may fail on the
			// foreign key; it must never be a deadlock.
			if strings.Contains(err.Error(), "deadlock") {
				t.Errorf("round %d: %v", round, err)
			}
		}
	}
}
