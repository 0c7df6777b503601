package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
)

func TestTags(t *testing.T) { testTags(t, nil) }

// testTags exercises the tag operations on a control plane adjusted by mutate.
func testTags(t *testing.T, mutate func(*controlplane.Config)) {
	ctx := context.Background()
	_, c := start(t, mutate)
	all := servers(t, c)
	s1, s2 := all["sim-server-01"], all["sim-server-02"]
	if err := c.AddServerTags(ctx, s1.ID, []cph.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "qa"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddServerTags(ctx, s2.ID, []cph.Tag{{Key: "env", Value: "dev"}}); err != nil {
		t.Fatal(err)
	}
	// create overwrites an existing key's value.
	if err := c.AddServerTags(ctx, s1.ID, []cph.Tag{{Key: "team", Value: "web"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ServerTags(ctx, s1.ID)
	if err != nil || len(tags) != 2 || tags[0] != (cph.Tag{Key: "env", Value: "prod"}) || tags[1] != (cph.Tag{Key: "team", Value: "web"}) {
		t.Errorf("tags = %+v, %v", tags, err)
	}
	pt, total, err := c.ProjectTags(ctx, nil, nil)
	if err != nil || total != 2 || pt[0].Key != "env" || strings.Join(pt[0].Values, ",") != "dev,prod" {
		t.Errorf("project tags = %+v (%d), %v", pt, total, err)
	}
	one := 1
	if pt, total, _ := c.ProjectTags(ctx, &one, &one); total != 2 || len(pt) != 1 || pt[0].Key != "team" {
		t.Errorf("second page = %+v (%d)", pt, total)
	}

	res, total, err := c.ListResourceInstances(ctx, client.ResourceQuery{Tags: []cph.Tags{{Key: "env", Values: []string{"prod"}}}})
	if err != nil || total != 1 || len(res) != 1 || res[0].ResourceID != s1.ID || len(res[0].Tags) != 2 {
		t.Errorf("filter = %+v (%d), %v", res, total, err)
	}
	if _, total, _ := c.ListResourceInstances(ctx, client.ResourceQuery{Count: true, Tags: []cph.Tags{{Key: "env", Values: []string{}}}}); total != 2 {
		t.Errorf("count env=any = %d, want 2", total)
	}
	if _, total, _ := c.ListResourceInstances(ctx, client.ResourceQuery{Count: true, Tags: []cph.Tags{{Key: "env"}, {Key: "team"}}}); total != 1 {
		t.Errorf("count env AND team = %d, want 1", total)
	}
	if res, _, _ := c.ListResourceInstances(ctx, client.ResourceQuery{Name: "sim-server-02"}); len(res) != 1 || res[0].ResourceID != s2.ID {
		t.Errorf("match by name = %+v", res)
	}

	if err := c.DeleteServerTags(ctx, s1.ID, []cph.Tag{{Key: "team"}, {Key: "missing"}}); err != nil {
		t.Fatal(err)
	}
	if tags, _ := c.ServerTags(ctx, s1.ID); len(tags) != 1 || tags[0].Key != "env" {
		t.Errorf("tags after delete = %+v", tags)
	}
	if err := c.DeleteServerTags(ctx, s2.ID, []cph.Tag{{Key: "env", Value: "dev"}}); err != nil {
		t.Fatal(err)
	}
	if res, total, _ := c.ListResourceInstances(ctx, client.ResourceQuery{WithoutTags: true}); total != 1 || res[0].ResourceID != s2.ID {
		t.Errorf("without tags = %+v (%d)", res, total)
	}

	wantCode(t, c.AddServerTags(ctx, s1.ID, []cph.Tag{{Key: "_sys_x", Value: "v"}}), http.StatusBadRequest, cph.CodeInvalidParameter)
	wantCode(t, c.AddServerTags(ctx, s1.ID, []cph.Tag{{Key: "k", Value: " lead"}}), http.StatusBadRequest, cph.CodeInvalidParameter)
	wantCode(t, c.AddServerTags(ctx, s1.ID, []cph.Tag{{Key: "k", Value: "a"}, {Key: "k", Value: "b"}}), http.StatusBadRequest, cph.CodeInvalidParameter)
	wantCode(t, c.AddServerTags(ctx, cph.NewID(), []cph.Tag{{Key: "k", Value: "v"}}), http.StatusNotFound, cph.CodeInvalidServerID)
	many := make([]cph.Tag, 20)
	for i := range many {
		many[i] = cph.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"}
	}
	wantCode(t, c.AddServerTags(ctx, s1.ID, many), http.StatusBadRequest, cph.CodeTooManyItems)
	if tags, _ := c.ServerTags(ctx, s1.ID); len(tags) != 1 {
		t.Errorf("refused tag calls changed the tags: %+v", tags)
	}
	_, err = c.ServerTags(ctx, cph.NewID())
	wantCode(t, err, http.StatusNotFound, cph.CodeInvalidServerID)
	if _, _, err := c.ListResourceInstances(ctx, client.ResourceQuery{Count: true, Limit: &one}); err == nil {
		t.Error("count with limit accepted")
	}
}

func TestModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	all, err := c.ListPhoneModels(ctx, client.ListPhoneModelsOptions{})
	if err != nil || len(all) != len(cph.PhoneModels()) {
		t.Fatalf("phone models = %d, %v", len(all), err)
	}
	one, two := 1, 2
	page, err := c.ListPhoneModels(ctx, client.ListPhoneModelsOptions{Offset: &one, Limit: &two})
	if err != nil || len(page) != 2 || page[0].PhoneModelName != all[1].PhoneModelName {
		t.Errorf("page = %+v, %v", page, err)
	}
	zero := 0
	withdrawn, _ := c.ListPhoneModels(ctx, client.ListPhoneModelsOptions{Status: &zero})
	if len(withdrawn) != 1 || withdrawn[0].Status != 0 {
		t.Errorf("withdrawn = %+v", withdrawn)
	}
	servers, _ := c.ListServerModels(ctx, nil)
	names := map[string]bool{}
	for _, s := range servers {
		names[s.ServerModelName] = true
	}
	for _, p := range all {
		if !names[p.ServerModelName] || p.PhoneCapacity < 1 || p.Resolution == "" || p.DPI == 0 {
			t.Errorf("phone model %+v", p)
		}
	}
	gaming, _ := c.ListServerModels(ctx, &one)
	if len(gaming) != 1 || gaming[0].ProductType != 1 {
		t.Errorf("gaming server models = %+v", gaming)
	}
	bad := 7
	_, err = c.ListPhoneModels(ctx, client.ListPhoneModelsOptions{Status: &bad})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidStatus)
	big := 101
	_, err = c.ListPhoneModels(ctx, client.ListPhoneModelsOptions{Limit: &big})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidPaging)
	_, err = c.ListServerModels(ctx, &bad)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
}

func TestBandwidths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	s1 := servers(t, c)["sim-server-01"]
	d, err := c.ShowServer(ctx, s1.ID)
	if err != nil || len(d.Bandwidths) != 1 {
		t.Fatalf("detail bandwidths = %+v, %v", d, err)
	}
	bw := d.Bandwidths[0]
	list, err := c.ListBandwidths(ctx, nil, nil)
	if err != nil || len(list) != 2 {
		t.Errorf("bandwidths = %+v, %v", list, err)
	}
	if err := c.UpdateBandwidth(ctx, bw.ID, 250); err != nil {
		t.Fatal(err)
	}
	if d, _ := c.ShowServer(ctx, s1.ID); d.Bandwidths[0].Size != 250 {
		t.Errorf("size after update = %d", d.Bandwidths[0].Size)
	}
	for _, bad := range []int32{0, 301, 1200, 5000} {
		wantCode(t, c.UpdateBandwidth(ctx, bw.ID, bad), http.StatusBadRequest, cph.CodeInvalidBandwidth)
	}
	wantCode(t, c.UpdateBandwidth(ctx, "no-such-bandwidth", 10), http.StatusNotFound, cph.CodeBandwidthNotFound)
	if d, _ := c.ShowServer(ctx, s1.ID); d.Bandwidths[0].Size != 250 {
		t.Errorf("refused updates changed the size to %d", d.Bandwidths[0].Size)
	}
	// A dedicated bandwidth cannot be resized.
	order, err := c.CreateServers(ctx, createRequest("dedicated", 1))
	if err != nil {
		t.Fatal(err)
	}
	d, _ = c.ShowServer(ctx, order.ServerIDs[0])
	wantCode(t, c.UpdateBandwidth(ctx, d.Bandwidths[0].ID, 20), http.StatusBadRequest, cph.CodeOperationNotAllowed)
}

func TestEncodeServers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	list, err := c.ListEncodeServers(ctx, client.ListEncodeServersOptions{})
	if err != nil || len(list) != 2 {
		t.Fatalf("encode servers = %+v, %v", list, err)
	}
	s1 := servers(t, c)["sim-server-01"]
	mine, _ := c.ListEncodeServers(ctx, client.ListEncodeServersOptions{ServerID: s1.ID})
	if len(mine) != 1 || mine[0].ServerID != s1.ID || mine[0].Status != cph.EncodeRunning {
		t.Fatalf("encode servers of %s = %+v", s1.ID, mine)
	}
	res, err := c.RestartEncodeServers(ctx, []string{mine[0].ID, cph.NewID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 2 || res.Jobs[0].JobID == "" || res.Jobs[1].ErrorCode != cph.CodeEncodeServerNotFound {
		t.Fatalf("jobs = %+v", res.Jobs)
	}
	j := waitJob(t, c, res.Jobs[0].JobID)
	if j.Status != cph.JobSucceeded || j.EncodeServerID != mine[0].ID {
		t.Errorf("job = %+v", j)
	}
	if es, _ := c.ListEncodeServers(ctx, client.ListEncodeServersOptions{ServerID: s1.ID}); es[0].Status != cph.EncodeRunning {
		t.Errorf("status after restart = %d", es[0].Status)
	}
	bad := 9
	_, err = c.ListEncodeServers(ctx, client.ListEncodeServersOptions{Status: &bad})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidStatus)
	_, err = c.ListEncodeServers(ctx, client.ListEncodeServersOptions{Type: &bad})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
	_, err = c.RestartEncodeServers(ctx, nil)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
}

func TestShareFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := start(t, nil)
	s1 := servers(t, c)["sim-server-01"]
	id := createNormalServer(t, c, "shared")
	drv := srv.SimDriver(id)
	for _, f := range []string{"/data/app/a.txt", "/data/app/b.txt", "/data/media/c.png", "/cache/x"} {
		if err := drv.WriteSharedFile(ctx, f, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	list := func(path string) string {
		t.Helper()
		res, err := c.ListShareFiles(ctx, path, []string{id}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		j := waitJob(t, c, res.Jobs[0].JobID)
		if j.Status != cph.JobSucceeded {
			t.Fatalf("list job = %+v", j)
		}
		if j.ExecuteMsg == nil {
			return ""
		}
		return *j.ExecuteMsg
	}
	if got := list("/data"); got != "/data/app/a.txt\n/data/app/b.txt\n/data/media/c.png" {
		t.Errorf("listing = %q", got)
	}
	res, err := c.DeleteShareFiles(ctx, []string{"/data/app", "/nope"}, []string{id, s1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if res.Jobs[1].ErrorCode != cph.CodeOperationNotAllowed {
		t.Errorf("server without shared storage: %+v", res.Jobs[1])
	}
	if j := waitJob(t, c, res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Errorf("delete job = %+v", j)
	}
	if got := list("/data"); got != "/data/media/c.png" {
		t.Errorf("listing after delete = %q", got)
	}

	if err := drv.InstallSharedApp(ctx, "com.example.game", 10, false); err != nil {
		t.Fatal(err)
	}
	res, err = c.DeleteShareApps(ctx, "com.example.game", []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Errorf("delete app job = %+v", j)
	}
	if apps, _ := drv.SharedApps(ctx); len(apps) != 0 {
		t.Errorf("apps after delete = %v", apps)
	}

	_, err = c.DeleteShareFiles(ctx, nil, []string{id})
	wantCode(t, err, http.StatusBadRequest, cph.CodeEmptyPathList)
	_, err = c.DeleteShareFiles(ctx, []string{"/data/../etc"}, []string{id})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
	_, err = c.ListShareFiles(ctx, "/", []string{id}, nil, nil)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
	big := 51
	_, err = c.ListShareFiles(ctx, "/data", []string{id}, nil, &big)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidPaging)
	_, err = c.PushShareFiles(ctx, "Bad_Bucket", "a.tar", []string{id})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
	_, err = c.PushShareFiles(ctx, "bucket", "a.zip", []string{id})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
	_, err = c.PushShareApps(ctx, client.PushShareAppsParams{PackageName: "1bad", BucketName: "bucket", ObjectPath: "a.tar", ServerIDs: []string{id}})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidPackageName)
	_, err = c.DeleteShareApps(ctx, "nodots", []string{id})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidPackageName)
}
