package console_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/console/consoletest"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// TestLiveAcrossReplicas checks that a page served by one replica follows
// a change made through another: the change stream of replica b wakes on
// a stop sent to replica a, and b's phone list then shows it.
func TestLiveAcrossReplicas(t *testing.T) {
	dbURL, objects := storetest.PostgresURL(t), t.TempDir()
	mutate := func(c *controlplane.Config) { c.DatabaseURL, c.ObjectsDir = dbURL, objects }
	a := cptest.Start(t, mutate)
	b := cptest.Start(t, mutate)
	cl := consoletest.Login(t, b.URL(), cptest.Domain, cptest.User, cptest.Password, "")
	// Only then does b's stream wait for changes rather than tick every
	// second.
	poll.Until(t, "replica b to follow the change notifications", func() bool {
		_, live := b.DB().PhonesVersion()
		return live
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.URL()+"/console/events", nil)
	res, err := cl.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	changes := make(chan struct{}, 64)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if sc.Text() == "event: change" {
				changes <- struct{}{}
			}
		}
		close(changes)
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case _, ok := <-changes:
			if !ok {
				t.Fatalf("replica b's stream ended before %s", what)
			}
		case <-ctx.Done():
			t.Fatalf("replica b's stream sent no change for %s", what)
		}
	}
	wait("the connection")

	admin := adminOf(t, a)
	actx := cph.NewCallerContext(context.Background(), admin)
	pg, err := a.Services().ListPhones(actx, cph.PhoneFilter{ProjectID: admin.ProjectID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := pg.Phones[0].ID
	if _, err := a.Services().BatchPhones(actx, cph.BatchPhonesParams{Kind: cph.OpStopPhone, Phones: []cph.PhoneRef{{PhoneID: id}}}); err != nil {
		t.Fatal(err)
	}
	wait("a stop sent to replica a")
	poll.Until(t, "replica b's phone list to show the stopped phone", func() bool {
		_, frag := cl.GetLive(t, "/console/phones?fragment=live&status=8")
		return strings.Contains(frag, `data-phone="`+id+`"`)
	})
}
