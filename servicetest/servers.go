package servicetest

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
)

// waitUntil polls cond until it holds, failing the test once the deadline
// of d has passed.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %v", what, d)
		case <-tick.C:
		}
	}
}

// finalJob waits for the job of env's project to end and returns it.
func finalJob(t *testing.T, env *Env, jobID string) *cph.Job {
	t.Helper()
	var j *cph.Job
	waitUntil(t, "job "+jobID+" to end", 30*time.Second, func() bool {
		var err error
		j, err = env.ControlPlane.DB().JobByID(context.Background(), env.ProjectID, jobID)
		if err != nil {
			t.Fatalf("read job %s: %v", jobID, err)
		}
		return j.Status.Final()
	})
	return j
}

// newServersParams is a valid order of count servers with phones.
func newServersParams(name string, count int) cph.CreateServersParams {
	size, mode, share := int32(10), int32(0), int32(0)
	charging, period, num := int32(0), int32(2), int32(1)
	return cph.CreateServersParams{
		Name: name, ServerModel: "physical.rx2.xlarge", PhoneModel: "rx2.cp.c6.d64.e2v1", ImageID: "a1b2c3d4e5f60718293a4b5c6d7e8f12",
		Count: count, KeypairName: "kp1", Order: &cph.OrderParams{ChargingMode: &charging, PeriodType: &period, PeriodNum: &num},
		ServerNetwork: cph.ServerNetwork{VPCID: "2a7e3b4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c",
			SubnetIDs: []string{"3b8f4c5d-2e3f-4a6b-9c0d-1e2f3a4b5c6d"}, PublicIP: true,
			Bandwidth: &cph.BandwidthParams{Size: &size, ChargeMode: &mode, ShareType: &share}},
	}
}

func testServers(t *testing.T, env *Env) {
	a, ro, other := env.Admin, env.ReadOnly, env.Other
	all, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: cph.MaxServerPage})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total < 2 || len(all.Servers) != all.Total {
		t.Fatalf("total %d, %d servers on the page", all.Total, len(all.Servers))
	}
	first, second := all.Servers[0], all.Servers[1]

	t.Run("list and show", func(t *testing.T) {
		id := first.ID
		one, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: 10, ServerID: &id})
		if err != nil {
			t.Fatal(err)
		}
		if one.Total != 1 || len(one.Servers) != 1 || one.Servers[0].ID != id {
			t.Errorf("server filter %s: %+v", id, one)
		}
		page, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Offset: 1, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != all.Total || len(page.Servers) != 1 || page.Servers[0].ID != second.ID {
			t.Errorf("offset 1 limit 1: %+v", page)
		}
		d, err := a.S.ShowServer(a.Ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != id || d.Name != first.Name || d.ModelName == "" || len(d.Volumes) == 0 {
			t.Errorf("detail = %+v", d)
		}
		if d, err := ro.S.ShowServer(ro.Ctx, id); err != nil || d.ID != id {
			t.Errorf("a read-only user shows the server: %v", err)
		}
		if l, err := ro.S.ListServers(ro.Ctx, cph.ServerFilter{Limit: 10}); err != nil || l.Total != all.Total {
			t.Errorf("a read-only user lists the servers: %v, %+v", err, l)
		}
		bad := cph.ServerStatus(42)
		wantCode(t, "limit 0", second2(a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: 0})), cph.CodeInvalidPaging)
		wantCode(t, "limit over the maximum", second2(a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: cph.MaxServerPage + 1})), cph.CodeInvalidPaging)
		wantCode(t, "unknown status", second2(a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: 10, Status: &bad})), cph.CodeInvalidStatus)
	})

	t.Run("unknown server", func(t *testing.T) {
		for _, id := range []string{cph.NewID(), "no-such-server"} {
			err := second2(a.S.ShowServer(a.Ctx, id))
			wantCode(t, "show "+id, err, cph.CodeInvalidServerID)
			if e, ok := errors.AsType[*cph.Error](err); !ok || e.Status != http.StatusNotFound {
				t.Errorf("show %s: %v, want a 404", id, err)
			}
			wantCode(t, "rename "+id, a.S.RenameServer(a.Ctx, id, "renamed"), cph.CodeInvalidServerID)
			wantCode(t, "tags of "+id, second2(a.S.ListServerTags(a.Ctx, id)), cph.CodeInvalidServerID)
			wantCode(t, "tag "+id, a.S.CreateServerTags(a.Ctx, id, []cph.Tag{{Key: "env", Value: "prod"}}), cph.CodeInvalidServerID)
		}
	})

	t.Run("other accounts see none of them", func(t *testing.T) {
		l, err := other.S.ListServers(other.Ctx, cph.ServerFilter{Limit: cph.MaxServerPage})
		if err != nil {
			t.Fatal(err)
		}
		if l.Total != 0 || len(l.Servers) != 0 {
			t.Errorf("another account sees %d servers", l.Total)
		}
		wantCode(t, "show", second2(other.S.ShowServer(other.Ctx, first.ID)), cph.CodeInvalidServerID)
		wantCode(t, "rename", other.S.RenameServer(other.Ctx, first.ID, "stolen"), cph.CodeInvalidServerID)
		wantCode(t, "tag", other.S.CreateServerTags(other.Ctx, first.ID, []cph.Tag{{Key: "owner", Value: "globex"}}), cph.CodeInvalidServerID)
		wantCode(t, "delete", second2(other.S.DeleteServers(other.Ctx, []string{first.ID})), cph.CodeInvalidServerID)
		res, err := other.S.RestartServers(other.Ctx, []string{first.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) != 1 || res.Jobs[0].JobID != "" || res.Jobs[0].ErrorCode != cph.CodeInvalidServerID {
			t.Errorf("another account restarts the server: %+v", res.Jobs)
		}
		d, err := a.S.ShowServer(a.Ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != first.Name {
			t.Errorf("name %q after another account's rename, want %q", d.Name, first.Name)
		}
		if tags, err := a.S.ListServerTags(a.Ctx, first.ID); err != nil || slices.ContainsFunc(tags, func(t cph.Tag) bool { return t.Key == "owner" }) {
			t.Errorf("tags after another account's tagging: %v, %v", tags, err)
		}
	})

	t.Run("read-only users change nothing", func(t *testing.T) {
		tags := []cph.Tag{{Key: "env", Value: "prod"}}
		wantCode(t, "rename", ro.S.RenameServer(ro.Ctx, first.ID, "viewer-name"), cph.CodeForbidden)
		wantCode(t, "restart", second2(ro.S.RestartServers(ro.Ctx, []string{first.ID})), cph.CodeForbidden)
		wantCode(t, "add tags", ro.S.CreateServerTags(ro.Ctx, first.ID, tags), cph.CodeForbidden)
		wantCode(t, "delete tags", ro.S.DeleteServerTags(ro.Ctx, first.ID, tags), cph.CodeForbidden)
		wantCode(t, "create", second2(ro.S.CreateServers(ro.Ctx, newServersParams("viewer", 1))), cph.CodeForbidden)
		wantCode(t, "delete", second2(ro.S.DeleteServers(ro.Ctx, []string{first.ID})), cph.CodeForbidden)
		d, err := a.S.ShowServer(a.Ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != first.Name || d.Status == cph.ServerDeleting {
			t.Errorf("after a read-only user's calls: name %q, status %d", d.Name, d.Status)
		}
	})

	t.Run("rename", func(t *testing.T) {
		for _, bad := range []string{"", "a b", "semi;colon", strings.Repeat("a", 61)} {
			wantCode(t, "rename to "+bad, a.S.RenameServer(a.Ctx, second.ID, bad), cph.CodeInvalidServerName)
		}
		const name = "工作站_web-01"
		if err := a.S.RenameServer(a.Ctx, second.ID, name); err != nil {
			t.Fatal(err)
		}
		d, err := a.S.ShowServer(a.Ctx, second.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != name {
			t.Errorf("name %q after the rename, want %q", d.Name, name)
		}
	})

	t.Run("tags", func(t *testing.T) {
		id := second.ID
		if err := a.S.CreateServerTags(a.Ctx, id, []cph.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "web"}}); err != nil {
			t.Fatal(err)
		}
		tags, err := a.S.ListServerTags(a.Ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(tags) != 2 || !slices.Contains(tags, cph.Tag{Key: "env", Value: "prod"}) || !slices.Contains(tags, cph.Tag{Key: "team", Value: "web"}) {
			t.Errorf("tags = %+v", tags)
		}
		keys, err := a.S.ListProjectTags(a.Ctx, cph.TagFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(keys.Tags, func(t cph.Tags) bool { return t.Key == "env" && slices.Contains(t.Values, "prod") }) {
			t.Errorf("project tags = %+v", keys)
		}
		tagged, err := a.S.ListTaggedServers(a.Ctx, cph.ResourceFilter{Limit: 100, Tags: []cph.Tags{{Key: "env", Values: []string{"prod"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if tagged.Total != 1 || len(tagged.Resources) != 1 || tagged.Resources[0].ResourceID != id {
			t.Errorf("servers tagged env=prod: %+v", tagged)
		}
		if o, err := other.S.ListTaggedServers(other.Ctx, cph.ResourceFilter{Limit: 100}); err != nil || o.Total != 0 {
			t.Errorf("another account's tagged servers: %v, %+v", err, o)
		}
		if err := a.S.DeleteServerTags(a.Ctx, id, []cph.Tag{{Key: "env"}}); err != nil {
			t.Fatal(err)
		}
		tags, err = a.S.ListServerTags(a.Ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(tags) != 1 || tags[0] != (cph.Tag{Key: "team", Value: "web"}) {
			t.Errorf("tags after deleting env = %+v", tags)
		}
		wantCode(t, "no tags", a.S.CreateServerTags(a.Ctx, id, nil), cph.CodeInvalidParameter)
		wantCode(t, "a system key", a.S.CreateServerTags(a.Ctx, id, []cph.Tag{{Key: "_sys_x", Value: "v"}}), cph.CodeInvalidParameter)
		wantCode(t, "a repeated key", a.S.CreateServerTags(a.Ctx, id, []cph.Tag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}), cph.CodeInvalidParameter)
		many := make([]cph.Tag, cph.MaxTagsPerServer+1)
		for i := range many {
			many[i] = cph.Tag{Key: "k" + string(rune('a'+i)), Value: "v"}
		}
		wantCode(t, "too many tags", a.S.CreateServerTags(a.Ctx, id, many), cph.CodeTooManyItems)
	})

	t.Run("restart", func(t *testing.T) {
		unknown := cph.NewID()
		res, err := a.S.RestartServers(a.Ctx, []string{first.ID, unknown})
		if err != nil {
			t.Fatal(err)
		}
		if res.RequestID == "" || len(res.Jobs) != 2 {
			t.Fatalf("restart = %+v", res)
		}
		if j := res.Jobs[0]; j.ServerID != first.ID || j.JobID == "" || j.ErrorCode != "" {
			t.Errorf("restart of %s: %+v", first.ID, j)
		}
		if j := res.Jobs[1]; j.ServerID != unknown || j.JobID != "" || j.ErrorCode != cph.CodeInvalidServerID {
			t.Errorf("restart of an unknown server: %+v", j)
		}
		if j := finalJob(t, env, res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
			t.Errorf("restart job = %+v", j)
		}
		wantCode(t, "restart nothing", second2(a.S.RestartServers(a.Ctx, nil)), cph.CodeInvalidParameter)
	})

	t.Run("create and delete", func(t *testing.T) {
		bad := newServersParams("a b", 1)
		wantCode(t, "bad name", second2(a.S.CreateServers(a.Ctx, bad)), cph.CodeInvalidServerName)
		bad = newServersParams("lab", 11)
		wantCode(t, "count 11", second2(a.S.CreateServers(a.Ctx, bad)), cph.CodeInvalidCount)
		bad = newServersParams("lab", 1)
		bad.PhoneModel = "no.such.flavor"
		wantCode(t, "unknown phone flavor", second2(a.S.CreateServers(a.Ctx, bad)), cph.CodeInvalidPhoneModel)

		order, err := a.S.CreateServers(a.Ctx, newServersParams("lab", 1))
		if err != nil {
			t.Fatal(err)
		}
		if order.OrderID == "" || order.ProductID == "" || len(order.ServerIDs) != 1 {
			t.Fatalf("order = %+v", order)
		}
		id := order.ServerIDs[0]
		if l, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: cph.MaxServerPage}); err != nil || l.Total != all.Total+1 {
			t.Errorf("servers after the order: %v, %+v", err, l)
		}
		if _, err := other.S.ShowServer(other.Ctx, id); code(err) != cph.CodeInvalidServerID {
			t.Errorf("another account shows the new server: %v", err)
		}
		waitUntil(t, "the new server to be normal", 30*time.Second, func() bool {
			d, err := a.S.ShowServer(a.Ctx, id)
			return err == nil && d.Status == cph.ServerNormal
		})
		d, err := a.S.ShowServer(a.Ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Metadata.OrderID != order.OrderID || d.ModelName != "physical.rx2.xlarge" || d.KeypairName != "kp1" {
			t.Errorf("new server = %+v", d)
		}
		del, err := a.S.DeleteServers(a.Ctx, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		if del.JobID == "" || del.RequestID == "" {
			t.Fatalf("delete = %+v", del)
		}
		if j := finalJob(t, env, del.JobID); j.Status != cph.JobSucceeded {
			t.Errorf("delete job = %+v", j)
		}
		wantCode(t, "show a deleted server", second2(a.S.ShowServer(a.Ctx, id)), cph.CodeInvalidServerID)
		wantCode(t, "delete nothing", second2(a.S.DeleteServers(a.Ctx, nil)), cph.CodeInvalidParameter)
	})
}

// second2 returns the error of a call that also returns a value.
func second2[T any](_ T, err error) error { return err }
