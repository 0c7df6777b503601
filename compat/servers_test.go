package compat_test

import (
	"fmt"
	"testing"
	"time"

	cphsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
)

// createBody is a valid CreateNet2CloudPhoneServer body.
func createBody(name string, count int32) *model.CreateNet2CloudPhoneServerRequestBody {
	return &model.CreateNet2CloudPhoneServerRequestBody{
		ServerName: name, ServerModelName: "physical.rx2.xlarge", PhoneModelName: "rx2.cp.c6.d64.e2v1", ImageId: image12,
		Count: count, KeypairName: ptr("kp1"),
		ExtendParam: &model.CreateNet2CloudPhoneServerRequestBodyExtendParam{ChargingMode: 0, PeriodType: 2, PeriodNum: 1, IsAutoPay: ptr(int32(1))},
		TenantVpcId: vpcID, Nics: []model.Nic{{SubnetId: subnetID}},
		PublicIp:  &model.CreateNet2CloudPhoneServerRequestBodyPublicIp{Eip: &model.CreateNet2CloudPhoneServerRequestBodyPublicIpEip{Type: "5_bgp"}},
		BandWidth: &model.CreateNet2CloudPhoneServerRequestBodyBandWidth{BandWidthSize: ptr(int32(10)), BandWidthChargeMode: 0, BandWidthShareType: 0},
	}
}

// createServer creates one server with phones and waits until it is
// normal and its phones run.
func createServer(t *testing.T, c *cphsdk.CphClient, name string) string {
	t.Helper()
	r, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: createBody(name, 1)})
	ok(t, "CreateNet2CloudPhoneServer", err)
	if r.ServerIds == nil || len(*r.ServerIds) != 1 {
		t.Fatalf("CreateNet2CloudPhoneServer = %s", dump(r))
	}
	id := (*r.ServerIds)[0]
	poll.Within(t, 30*time.Second, "server "+name+" to be normal", func() bool { return num(server(t, c, id).Status) == 5 })
	return id
}

func slowBoot(cfg *controlplane.Config) { cfg.SimBootTime = 400 * time.Millisecond }

// TestServerCreateAndDelete buys a server with phones, watches it come up,
// and deletes it.
func TestServerCreateAndDelete(t *testing.T) {
	e := setupWith(t, slowBoot)
	c := e.endpointClient(t, e.sk)
	r, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: createBody("lab", 2)})
	ok(t, "CreateNet2CloudPhoneServer", err)
	if r.RequestId == nil || str(r.OrderId) == "" || str(r.ProductId) == "" || r.ServerIds == nil || len(*r.ServerIds) != 2 || r.ErrorCode != nil {
		t.Fatalf("CreateNet2CloudPhoneServer = %s", dump(r))
	}
	id := (*r.ServerIds)[0]
	byName := servers(t, c)
	for i, name := range []string{"lab-0001", "lab-0002"} {
		if s, found := byName[name]; !found || str(s.ServerId) != (*r.ServerIds)[i] {
			t.Fatalf("server %s missing: %s", name, dump(byName))
		}
	}
	// Creating (0/3), phones creating (1); then normal (5), phones running (2).
	if st := num(server(t, c, id).Status); st != 0 && st != 3 {
		t.Errorf("status right after the order = %d, want 0 or 3 (creating)", st)
	}
	for _, p := range phones(t, c, id) {
		if num(p.Status) != 1 {
			t.Errorf("phone %s status %d right after the order, want 1", str(p.PhoneName), num(p.Status))
		}
	}
	// The order's jobs are visible under its request id.
	if l, err := c.ListJobs(&model.ListJobsRequest{RequestId: r.RequestId}); err != nil || l.Jobs == nil || len(*l.Jobs) != 2 {
		t.Errorf("ListJobs of the order = %s, %v", dump(l), err)
	}
	seen := map[int32]bool{}
	poll.Within(t, 30*time.Second, "the new server to be normal", func() bool {
		st := num(server(t, c, id).Status)
		seen[st] = true
		return st == 5
	})
	poll.Within(t, 30*time.Second, "the new phones to run", func() bool {
		ps := phones(t, c, id)
		for _, p := range ps {
			if num(p.Status) != 2 {
				return false
			}
		}
		return len(ps) == 3
	})
	d := server(t, c, id)
	if d.Metadata == nil || str(d.Metadata.OrderId) != *r.OrderId || str(d.ServerModelName) != "physical.rx2.xlarge" ||
		str(d.PhoneModelName) != "rx2.cp.c6.d64.e2v1" || str(d.KeypairName) != "kp1" || str(d.NetworkVersion) != "v2" ||
		str(d.VpcId) != vpcID || d.BandWidths == nil || len(*d.BandWidths) != 1 || num((*d.BandWidths)[0].BandWidthSize) != 10 ||
		d.ShareVolumeInfo == nil || d.Volumes == nil || d.CreateTime == nil {
		t.Errorf("detail of the new server = %s", dump(d))
	}
	for _, p := range phones(t, c, id) {
		if str(p.ImageId) != image12 || str(p.PhoneModelName) != "rx2.cp.c6.d64.e2v1" || len(str(p.Imei)) != 15 {
			t.Errorf("new phone = %s", dump(p))
		}
	}
	l, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{NetworkVersion: ptr("v2")})
	ok(t, "ListCloudPhoneServers network_version=v2", err)
	if num(l.Count) != 2 {
		t.Errorf("v2 servers = %d, want 2", num(l.Count))
	}

	del, err := c.DeleteCloudPhoneServer(&model.DeleteCloudPhoneServerRequest{Body: &model.DeleteCloudPhoneServerRequestBody{ServerIds: []string{id}}})
	ok(t, "DeleteCloudPhoneServer", err)
	if del.RequestId == nil || del.JobId == nil {
		t.Fatalf("DeleteCloudPhoneServer = %s", dump(del))
	}
	if d, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: id}); err == nil && num(d.Status) != 6 {
		t.Errorf("status while deleting = %d, want 6", num(d.Status))
	}
	if j := waitJob(t, c, del.JobId); num(j.Status) != 2 {
		t.Fatalf("delete job = %s", dump(j))
	}
	_, err = c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: id})
	wantError(t, "ShowCloudPhoneServerDetail of a deleted server", err, 404, "CPS.0016")
	if ps := phones(t, c, id); len(ps) != 0 {
		t.Errorf("%d phones left on the deleted server", len(ps))
	}
	if _, found := servers(t, c)["lab-0002"]; !found {
		t.Error("the other new server went away")
	}

	// Refusals.
	for _, tc := range []struct {
		name   string
		mutate func(*model.CreateNet2CloudPhoneServerRequestBody)
		code   string
	}{
		{"count 0", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.Count = 0 }, "CPS.0024"},
		{"no server model", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.ServerModelName = "" }, "CPS.0088"},
		{"unknown server model", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.ServerModelName = "physical.zz9" }, "CPS.0089"},
		{"no phone model", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.PhoneModelName = "" }, "CPS.0027"},
		{"phone model of another server model", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.PhoneModelName = "rx1.cp.c15.d46.e1v1" }, "CPS.0028"},
		{"no image", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.ImageId = "" }, "CPS.0029"},
		{"unknown image", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.ImageId = unknown }, "CPS.0030"},
		{"dedicated bandwidth without size", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.BandWidth.BandWidthSize = nil }, "CPS.0031"},
		{"bad name", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.ServerName = "a b" }, "CPS.9007"},
		{"bad vpc", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.TenantVpcId = "x" }, "CPS.9011"},
		// public_ip is mandatory; the SDK sends "public_ip": null when it is nil.
		{"no public_ip", func(b *model.CreateNet2CloudPhoneServerRequestBody) { b.PublicIp = nil }, "CPS.9011"},
	} {
		body := createBody("bad", 1)
		tc.mutate(body)
		_, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
		wantError(t, "CreateNet2CloudPhoneServer "+tc.name, err, 400, tc.code)
	}
	_, err = c.DeleteCloudPhoneServer(&model.DeleteCloudPhoneServerRequest{Body: &model.DeleteCloudPhoneServerRequestBody{ServerIds: []string{unknown}}})
	wantError(t, "DeleteCloudPhoneServer unknown server", err, 400, "CPS.0016")
	_, err = c.DeleteCloudPhoneServer(&model.DeleteCloudPhoneServerRequest{Body: &model.DeleteCloudPhoneServerRequestBody{ServerIds: []string{}}})
	wantError(t, "DeleteCloudPhoneServer without servers", err, 400, "CPS.9011")
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("%032x", i+1)
	}
	_, err = c.DeleteCloudPhoneServer(&model.DeleteCloudPhoneServerRequest{Body: &model.DeleteCloudPhoneServerRequestBody{ServerIds: eleven}})
	wantError(t, "DeleteCloudPhoneServer 11 servers", err, 400, "CPS.9010")
	if n := len(servers(t, c)); n != 3 {
		t.Errorf("%d servers after the refusals, want 3", n)
	}
}

// TestCreateCloudPhoneSingleServer buys a bare server (no phones).
func TestCreateCloudPhoneSingleServer(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	body := func() *model.CreateCloudPhoneSingleServerRequestBody {
		return &model.CreateCloudPhoneSingleServerRequestBody{
			ServerName: "bare", ServerModelName: "physical.rx1.bare", Count: 1, KeypairName: "admin",
			OrderParam: &model.CreateCloudPhoneSingleServerRequestBodyOrderParam{ChargingMode: 0, PeriodType: 3, PeriodNum: 1},
			Nics:       []model.NicForSingleServer{{SubnetId: subnetID}},
			PublicIp: &model.CreateCloudPhoneSingleServerRequestBodyPublicIp{
				BandWidth: &model.CreateCloudPhoneSingleServerRequestBodyPublicIpBandWidth{BandWidthSize: ptr(int32(5))}},
		}
	}
	r, err := c.CreateCloudPhoneSingleServer(&model.CreateCloudPhoneSingleServerRequest{Body: body()})
	ok(t, "CreateCloudPhoneSingleServer", err)
	if r.RequestId == nil || str(r.OrderId) == "" || str(r.ProductId) == "" || r.ServerIds == nil || len(*r.ServerIds) != 1 {
		t.Fatalf("CreateCloudPhoneSingleServer = %s", dump(r))
	}
	id := (*r.ServerIds)[0]
	poll.Within(t, 30*time.Second, "the bare server to be normal", func() bool { return num(server(t, c, id).Status) == 5 })
	d := server(t, c, id)
	if str(d.ServerName) != "bare" || str(d.ServerModelName) != "physical.rx1.bare" || str(d.KeypairName) != "admin" || str(d.Metadata.OrderId) != *r.OrderId {
		t.Errorf("bare server = %s", dump(d))
	}
	if ps := phones(t, c, id); len(ps) != 0 {
		t.Errorf("the bare server has %d phones", len(ps))
	}

	b := body()
	b.Count = 11
	_, err = c.CreateCloudPhoneSingleServer(&model.CreateCloudPhoneSingleServerRequest{Body: b})
	wantError(t, "CreateCloudPhoneSingleServer count 11", err, 400, "CPS.0024")
	b = body()
	b.ServerModelName = "physical.none"
	_, err = c.CreateCloudPhoneSingleServer(&model.CreateCloudPhoneSingleServerRequest{Body: b})
	wantError(t, "CreateCloudPhoneSingleServer unknown server model", err, 400, "CPS.0089")
	b = body()
	b.KeypairName = ""
	_, err = c.CreateCloudPhoneSingleServer(&model.CreateCloudPhoneSingleServerRequest{Body: b})
	wantError(t, "CreateCloudPhoneSingleServer without key pair", err, 400, "CPS.9011")
}

// changeBody is a valid ChangeCloudPhoneServer body.
func changeBody(phoneModel string) *model.ChangeCloudPhoneServerRequestBody {
	return &model.ChangeCloudPhoneServerRequestBody{
		PhoneModelName: phoneModel, ImageId: image12, KeypairName: ptr("kp2"), TenantVpcId: vpcID,
		Nics:      []model.Nic{{SubnetId: subnetID}},
		PublicIp:  &model.ChangeCloudPhoneServerRequestBodyPublicIp{Count: ptr(int32(1))},
		BandWidth: &model.ChangeCloudPhoneServerRequestBodyBandWidth{BandWidthId: ptr("x"), BandWidthShareType: 1},
	}
}

// TestChangeCloudPhoneServer rebuilds a server: new phones, same names.
func TestChangeCloudPhoneServer(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	s1 := servers(t, c)["sim-server-01"]
	id := *s1.ServerId
	old := phones(t, c, id)
	r, err := c.ChangeCloudPhoneServer(&model.ChangeCloudPhoneServerRequest{ServerId: id, Body: changeBody("rx1.cp.c15.d46.e1v1")})
	ok(t, "ChangeCloudPhoneServer", err)
	if r.RequestId == nil || str(r.ServerId) != id || r.JobId == nil || r.ErrorCode != nil {
		t.Fatalf("ChangeCloudPhoneServer = %s", dump(r))
	}
	if j := waitJob(t, c, r.JobId); num(j.Status) != 2 || str(j.ServerId) != id {
		t.Fatalf("change job = %s", dump(j))
	}
	d := server(t, c, id)
	if num(d.Status) != 5 || str(d.KeypairName) != "kp2" || str(d.ServerName) != "sim-server-01" {
		t.Errorf("server after the change = %s", dump(d))
	}
	now := phones(t, c, id)
	if len(now) != 3 {
		t.Fatalf("%d phones after the change", len(now))
	}
	for i, p := range now {
		if *p.PhoneId == *old[i].PhoneId || *p.PhoneName != *old[i].PhoneName || str(p.ImageId) != image12 || num(p.Status) != 2 {
			t.Errorf("phone %d after the change = %s (was %s)", i, dump(p), dump(old[i]))
		}
	}
	_, err = c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: *old[0].PhoneId})
	wantError(t, "ShowCloudPhoneDetail of a replaced phone", err, 404, "CPS.0005")

	_, err = c.ChangeCloudPhoneServer(&model.ChangeCloudPhoneServerRequest{ServerId: unknown, Body: changeBody("rx1.cp.c15.d46.e1v1")})
	wantError(t, "ChangeCloudPhoneServer unknown server", err, 404, "CPS.0016")
	_, err = c.ChangeCloudPhoneServer(&model.ChangeCloudPhoneServerRequest{ServerId: id, Body: changeBody("")})
	wantError(t, "ChangeCloudPhoneServer without phone model", err, 400, "CPS.0027")
	_, err = c.ChangeCloudPhoneServer(&model.ChangeCloudPhoneServerRequest{ServerId: id, Body: changeBody("rx2.cp.c6.d64.e2v1")})
	wantError(t, "ChangeCloudPhoneServer phone model of another server model", err, 400, "CPS.0028")
}

// TestChangeCloudPhoneServerModel changes a server's flavor.
func TestChangeCloudPhoneServerModel(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	id := *servers(t, c)["sim-server-01"].ServerId
	body := func(serverID, serverModel, phoneModel string) *model.ChangeCloudPhoneServerModelRequest {
		return &model.ChangeCloudPhoneServerModelRequest{Body: &model.ChangeCloudPhoneServerModelRequestBody{
			ServerId: serverID, ServerModelName: serverModel, PhoneModelName: phoneModel,
			ExtendParam: &model.ChangeCloudPhoneServerModelRequestBodyExtendParam{IsAutoPay: ptr(int32(1))}}}
	}
	_, err := c.ChangeCloudPhoneServerModel(body(id, "physical.kg1.4xlarge.a.cp", "kg1.cp.c2.d64.g1"))
	wantError(t, "ChangeCloudPhoneServerModel to another generation", err, 400, "CPS.9008")
	_, err = c.ChangeCloudPhoneServerModel(body(id, "physical.nope", "rx2.cp.c6.d64.e2v1"))
	wantError(t, "ChangeCloudPhoneServerModel unknown server model", err, 400, "CPS.0089")
	_, err = c.ChangeCloudPhoneServerModel(body(unknown, "physical.rx2.xlarge", "rx2.cp.c6.d64.e2v1"))
	wantError(t, "ChangeCloudPhoneServerModel unknown server", err, 400, "CPS.0016")

	r, err := c.ChangeCloudPhoneServerModel(body(id, "physical.rx2.xlarge", "rx2.cp.c6.d64.e2v1"))
	ok(t, "ChangeCloudPhoneServerModel", err)
	if r.RequestId == nil || str(r.OrderId) == "" || str(r.ProductId) == "" || r.ErrorCode != nil {
		t.Fatalf("ChangeCloudPhoneServerModel = %s", dump(r))
	}
	poll.Within(t, 30*time.Second, "the new flavor", func() bool {
		d := server(t, c, id)
		return num(d.Status) == 5 && str(d.ServerModelName) == "physical.rx2.xlarge"
	})
	if d := server(t, c, id); str(d.PhoneModelName) != "rx2.cp.c6.d64.e2v1" || d.ShareVolumeInfo == nil {
		t.Errorf("detail after the flavor change = %s", dump(d))
	}
	for _, p := range phones(t, c, id) {
		if str(p.PhoneModelName) != "rx2.cp.c6.d64.e2v1" {
			t.Errorf("phone flavor %s after the change", str(p.PhoneModelName))
		}
	}
}

// TestServerOperations renames a server, restarts it, changes its key
// pair, and filters the server list.
func TestServerOperations(t *testing.T) {
	e := setupWith(t, slowBoot)
	c := e.endpointClient(t, e.sk)
	all := servers(t, c)
	s1, s2 := *all["sim-server-01"].ServerId, *all["sim-server-02"].ServerId

	rn, err := c.UpdateServerName(&model.UpdateServerNameRequest{ServerId: s1, Body: &model.UpdateServerNameRequestBody{ServerName: "工作站_web-01"}})
	ok(t, "UpdateServerName", err)
	if rn.RequestId == nil || rn.ErrorCode != nil {
		t.Errorf("UpdateServerName = %s", dump(rn))
	}
	if d := server(t, c, s1); str(d.ServerName) != "工作站_web-01" {
		t.Errorf("name after rename = %s", str(d.ServerName))
	}
	l, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{ServerName: ptr("WEB")})
	ok(t, "ListCloudPhoneServers server_name", err)
	if num(l.Count) != 1 || str((*l.Servers)[0].ServerId) != s1 {
		t.Errorf("ListCloudPhoneServers server_name=WEB = %s", dump(l))
	}
	_, err = c.UpdateServerName(&model.UpdateServerNameRequest{ServerId: s1, Body: &model.UpdateServerNameRequestBody{ServerName: "semi;colon"}})
	wantError(t, "UpdateServerName bad name", err, 400, "CPS.9007")
	_, err = c.UpdateServerName(&model.UpdateServerNameRequest{ServerId: unknown, Body: &model.UpdateServerNameRequestBody{ServerName: "x"}})
	wantError(t, "UpdateServerName unknown server", err, 404, "CPS.0016")

	// Restart: the server's phones go through 4 back to 2.
	rs, err := c.RestartCloudPhoneServer(&model.RestartCloudPhoneServerRequest{Body: &model.RestartCloudPhoneServerRequestBody{ServerIds: []string{s1, unknown}}})
	ok(t, "RestartCloudPhoneServer", err)
	if rs.Jobs == nil || len(*rs.Jobs) != 2 || (*rs.Jobs)[0].JobId == nil || str((*rs.Jobs)[0].ServerId) != s1 {
		t.Fatalf("RestartCloudPhoneServer = %s", dump(rs))
	}
	refusedServer(t, "restart an unknown server", (*rs.Jobs)[1], unknown, "CPS.0016")
	for _, p := range phones(t, c, s1) {
		if num(p.Status) != 4 {
			t.Errorf("phone %s status %d during the server restart, want 4", str(p.PhoneName), num(p.Status))
		}
	}
	// A server whose phones are restarting is busy.
	busy, err := c.RestartCloudPhoneServer(&model.RestartCloudPhoneServerRequest{Body: &model.RestartCloudPhoneServerRequestBody{ServerIds: []string{s1}}})
	ok(t, "RestartCloudPhoneServer of a busy server", err)
	refusedServer(t, "restart a busy server", (*busy.Jobs)[0], s1, "CPS.9001")
	jobs := waitJobs(t, c, rs.RequestId)
	succeeded(t, "server restart", jobs)
	if str(jobs[0].ServerId) != s1 || jobs[0].PhoneId != nil {
		t.Errorf("server restart job = %s", jobString(jobs[0]))
	}
	for _, p := range phones(t, c, s1) {
		if num(p.Status) != 2 {
			t.Errorf("phone %s status %d after the server restart", str(p.PhoneName), num(p.Status))
		}
	}
	_, err = c.RestartCloudPhoneServer(&model.RestartCloudPhoneServerRequest{Body: &model.RestartCloudPhoneServerRequestBody{ServerIds: []string{}}})
	wantError(t, "RestartCloudPhoneServer without servers", err, 400, "CPS.9011")

	// Key pair.
	kp, err := c.UpdateKeypair(&model.UpdateKeypairRequest{Body: &model.UpdateKeypairRequestBody{Servers: []model.ServerKeypair{
		{ServerId: s2, KeypairName: "ops-key"}, {ServerId: unknown, KeypairName: "x"}}}})
	ok(t, "UpdateKeypair", err)
	if kp.Jobs == nil || len(*kp.Jobs) != 2 || (*kp.Jobs)[0].JobId == nil {
		t.Fatalf("UpdateKeypair = %s", dump(kp))
	}
	refusedServer(t, "key pair of an unknown server", (*kp.Jobs)[1], unknown, "CPS.0016")
	succeeded(t, "key pair", waitJobs(t, c, kp.RequestId))
	if d := server(t, c, s2); str(d.KeypairName) != "ops-key" {
		t.Errorf("keypair_name = %s, want ops-key", str(d.KeypairName))
	}
	_, err = c.UpdateKeypair(&model.UpdateKeypairRequest{Body: &model.UpdateKeypairRequestBody{Servers: []model.ServerKeypair{}}})
	wantError(t, "UpdateKeypair without servers", err, 400, "CPS.9011")

	// Server list filters and refusals.
	for _, f := range []struct {
		name string
		req  model.ListCloudPhoneServersRequest
		want int32
	}{
		{"server_id", model.ListCloudPhoneServersRequest{ServerId: &s2}, 1},
		{"status 5", model.ListCloudPhoneServersRequest{Status: ptr(int32(5))}, 2},
		{"phone_model_name", model.ListCloudPhoneServersRequest{PhoneModelName: ptr("rx1.cp.c15.d46.e1v1")}, 2},
		{"create_until 1", model.ListCloudPhoneServersRequest{CreateUntil: ptr(int64(1))}, 0},
		{"create_since now-1h (ms)", model.ListCloudPhoneServersRequest{CreateSince: ptr(time.Now().Add(-time.Hour).UnixMilli())}, 2},
	} {
		r, err := c.ListCloudPhoneServers(&f.req)
		ok(t, "ListCloudPhoneServers "+f.name, err)
		if num(r.Count) != f.want {
			t.Errorf("ListCloudPhoneServers %s: count %d, want %d", f.name, num(r.Count), f.want)
		}
	}
	_, err = c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{Status: ptr(int32(99))})
	wantError(t, "ListCloudPhoneServers status 99", err, 400, "CPS.0010")
	_, err = c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{Limit: ptr(int32(101))})
	wantError(t, "ListCloudPhoneServers limit 101", err, 400, "CPS.0002")
	_, err = c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: unknown})
	wantError(t, "ShowCloudPhoneServerDetail unknown server", err, 404, "CPS.0016")
}

// TestFlavors lists phone and server flavors.
func TestFlavors(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	pm, err := c.ListCloudPhoneModels(&model.ListCloudPhoneModelsRequest{})
	ok(t, "ListCloudPhoneModels", err)
	if pm.RequestId == nil || pm.PhoneModels == nil || len(*pm.PhoneModels) < 4 {
		t.Fatalf("ListCloudPhoneModels = %s", dump(pm))
	}
	sm, err := c.ListCloudPhoneServerModels(&model.ListCloudPhoneServerModelsRequest{})
	ok(t, "ListCloudPhoneServerModels", err)
	if sm.RequestId == nil || sm.ServerModels == nil || len(*sm.ServerModels) < 3 {
		t.Fatalf("ListCloudPhoneServerModels = %s", dump(sm))
	}
	serverModels := map[string]model.ServerModel{}
	for _, s := range *sm.ServerModels {
		serverModels[str(s.ServerModelName)] = s
		if s.Cpu == nil || s.Memory == nil || s.ServerType == nil || s.ExtendSpec == nil || s.ProductType == nil {
			t.Errorf("server model = %s", dump(s))
		}
	}
	for _, p := range *pm.PhoneModels {
		if _, found := serverModels[str(p.ServerModelName)]; !found || num(p.PhoneCapacity) < 1 || str(p.Resolution) == "" ||
			p.Dpi == nil || p.Status == nil || p.ExtendSpec == nil {
			t.Errorf("phone model = %s", dump(p))
		}
	}
	var extend map[string]any
	if err := jsonString(str((*pm.PhoneModels)[0].ExtendSpec), &extend); err != nil {
		t.Errorf("extend_spec %q is not a JSON document: %v", str((*pm.PhoneModels)[0].ExtendSpec), err)
	}
	page, err := c.ListCloudPhoneModels(&model.ListCloudPhoneModelsRequest{Offset: ptr(int32(1)), Limit: ptr(int32(2))})
	ok(t, "ListCloudPhoneModels page", err)
	if len(*page.PhoneModels) != 2 || str((*page.PhoneModels)[0].PhoneModelName) != str((*pm.PhoneModels)[1].PhoneModelName) {
		t.Errorf("page = %s", dump(page))
	}
	withdrawn, err := c.ListCloudPhoneModels(&model.ListCloudPhoneModelsRequest{Status: ptr(int32(0))})
	ok(t, "ListCloudPhoneModels status 0", err)
	if len(*withdrawn.PhoneModels) != 1 || num((*withdrawn.PhoneModels)[0].Status) != 0 {
		t.Errorf("withdrawn = %s", dump(withdrawn))
	}
	gaming, err := c.ListCloudPhoneServerModels(&model.ListCloudPhoneServerModelsRequest{ProductType: ptr(int32(1))})
	ok(t, "ListCloudPhoneServerModels product_type 1", err)
	if len(*gaming.ServerModels) != 1 || num((*gaming.ServerModels)[0].ProductType) != 1 {
		t.Errorf("gaming = %s", dump(gaming))
	}

	_, err = c.ListCloudPhoneModels(&model.ListCloudPhoneModelsRequest{Status: ptr(int32(7))})
	wantError(t, "ListCloudPhoneModels status 7", err, 400, "CPS.0010")
	_, err = c.ListCloudPhoneModels(&model.ListCloudPhoneModelsRequest{Limit: ptr(int32(101))})
	wantError(t, "ListCloudPhoneModels limit 101", err, 400, "CPS.0002")
	_, err = c.ListCloudPhoneServerModels(&model.ListCloudPhoneServerModelsRequest{ProductType: ptr(int32(7))})
	wantError(t, "ListCloudPhoneServerModels product_type 7", err, 400, "CPS.9011")
}

// TestBandwidths lists and resizes bandwidths.
func TestBandwidths(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	id := *servers(t, c)["sim-server-01"].ServerId
	d := server(t, c, id)
	if d.BandWidths == nil || len(*d.BandWidths) != 1 {
		t.Fatalf("bandwidths of the server = %s", dump(d.BandWidths))
	}
	bw := (*d.BandWidths)[0]
	l, err := c.ShowBandwidthDetail(&model.ShowBandwidthDetailRequest{})
	ok(t, "ShowBandwidthDetail", err)
	if l.RequestId == nil || l.BandWidths == nil || len(*l.BandWidths) != 2 {
		t.Fatalf("ShowBandwidthDetail = %s", dump(l))
	}
	found := false
	for _, b := range *l.BandWidths {
		if str(b.BandWidthId) == str(bw.BandWidthId) {
			found = true
			if num(b.BandWidthSize) != 100 || num(b.BandWidthShareType) != 1 || b.BandWidthName == nil || b.CreateTime == nil {
				t.Errorf("bandwidth = %s", dump(b))
			}
		}
	}
	if !found {
		t.Errorf("bandwidth %s of the server is not listed", str(bw.BandWidthId))
	}
	page, err := c.ShowBandwidthDetail(&model.ShowBandwidthDetailRequest{Offset: ptr(int32(1)), Limit: ptr(int32(1))})
	ok(t, "ShowBandwidthDetail page", err)
	if len(*page.BandWidths) != 1 {
		t.Errorf("page = %s", dump(page))
	}

	u, err := c.UpdateBandwidth(&model.UpdateBandwidthRequest{BandWidthId: *bw.BandWidthId, Body: &model.UpdateBandwidthRequestBody{BandWidthSize: 250}})
	ok(t, "UpdateBandwidth", err)
	if u.RequestId == nil || u.ErrorCode != nil {
		t.Errorf("UpdateBandwidth = %s", dump(u))
	}
	if d := server(t, c, id); num((*d.BandWidths)[0].BandWidthSize) != 250 {
		t.Errorf("size after the update = %d", num((*d.BandWidths)[0].BandWidthSize))
	}
	_, err = c.UpdateBandwidth(&model.UpdateBandwidthRequest{BandWidthId: *bw.BandWidthId, Body: &model.UpdateBandwidthRequestBody{BandWidthSize: 301}})
	wantError(t, "UpdateBandwidth 301", err, 400, "CPS.0031")
	_, err = c.UpdateBandwidth(&model.UpdateBandwidthRequest{BandWidthId: "no-such-bandwidth", Body: &model.UpdateBandwidthRequestBody{BandWidthSize: 10}})
	wantError(t, "UpdateBandwidth unknown", err, 404, "CPS.9005")
	_, err = c.ShowBandwidthDetail(&model.ShowBandwidthDetailRequest{Limit: ptr(int32(0))})
	wantError(t, "ShowBandwidthDetail limit 0", err, 400, "CPS.0002")
}

// TestEncodeServers lists and restarts encode services.
func TestEncodeServers(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	id := *servers(t, c)["sim-server-01"].ServerId
	l, err := c.ListEncodeServers(&model.ListEncodeServersRequest{})
	ok(t, "ListEncodeServers", err)
	if l.RequestId == nil || l.EncodeServers == nil || len(*l.EncodeServers) != 2 {
		t.Fatalf("ListEncodeServers = %s", dump(l))
	}
	mine, err := c.ListEncodeServers(&model.ListEncodeServersRequest{ServerId: &id, Type: ptr(int32(1))})
	ok(t, "ListEncodeServers server_id", err)
	if len(*mine.EncodeServers) != 1 {
		t.Fatalf("encode servers of %s = %s", id, dump(mine))
	}
	es := (*mine.EncodeServers)[0]
	if str(es.ServerId) != id || num(es.Status) != 1 || num(es.Type) != 1 || es.EncodeServerId == nil || es.EncodeServerIp == nil {
		t.Errorf("encode server = %s", dump(es))
	}

	r, err := c.RestartEncodeServer(&model.RestartEncodeServerRequest{Body: &model.RestartEncodeServerRequestBody{
		EncodeServerIds: []string{*es.EncodeServerId, unknown}}})
	ok(t, "RestartEncodeServer", err)
	if r.RequestId == nil || r.Jobs == nil || len(*r.Jobs) != 2 || (*r.Jobs)[0].JobId == nil || str((*r.Jobs)[0].EncodeServerId) != *es.EncodeServerId {
		t.Fatalf("RestartEncodeServer = %s", dump(r))
	}
	if j := (*r.Jobs)[1]; str(j.EncodeServerId) != unknown || str(j.ErrorCode) != "CPS.9006" || j.JobId != nil {
		t.Errorf("unknown encode server entry = %s", dump(j))
	}
	if j := waitJob(t, c, (*r.Jobs)[0].JobId); num(j.Status) != 2 {
		t.Errorf("encode restart job = %s", dump(j))
	}
	if again, _ := c.ListEncodeServers(&model.ListEncodeServersRequest{ServerId: &id}); again == nil || num((*again.EncodeServers)[0].Status) != 1 {
		t.Errorf("encode server after the restart = %s", dump(again))
	}

	_, err = c.ListEncodeServers(&model.ListEncodeServersRequest{Status: ptr(int32(9))})
	wantError(t, "ListEncodeServers status 9", err, 400, "CPS.0010")
	_, err = c.ListEncodeServers(&model.ListEncodeServersRequest{Type: ptr(int32(9))})
	wantError(t, "ListEncodeServers type 9", err, 400, "CPS.9011")
	_, err = c.RestartEncodeServer(&model.RestartEncodeServerRequest{Body: &model.RestartEncodeServerRequestBody{EncodeServerIds: []string{}}})
	wantError(t, "RestartEncodeServer without ids", err, 400, "CPS.9011")
}
