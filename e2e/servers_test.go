package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime/sim"
)

const (
	image11 = "a1b2c3d4e5f60718293a4b5c6d7e8f11"
	image12 = "a1b2c3d4e5f60718293a4b5c6d7e8f12"
)

func slowBoot(c *controlplane.Config) { c.SimBootTime = 500 * time.Millisecond }

func TestRestartServerRestartsEveryPhone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, slowBoot)
	s1 := servers(t, c)["sim-server-01"]
	res, err := c.RestartServers(ctx, []string{s1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 1 || res.Jobs[0].JobID == "" || res.Jobs[0].ServerID != s1.ID {
		t.Fatalf("jobs = %+v", res.Jobs)
	}
	for _, p := range phonesOf(t, c, s1.ID) {
		if p.Status != cph.PhoneRestarting {
			t.Errorf("phone %s status %d right after the restart, want 4", p.Name, p.Status)
		}
	}
	if d, _ := c.ShowServer(ctx, s1.ID); d.Status != cph.ServerNormal {
		t.Errorf("server status %d during restart, want 5", d.Status)
	}
	j := waitJob(t, c, res.Jobs[0].JobID)
	if j.Status != cph.JobSucceeded || j.ServerID != s1.ID || j.PhoneID != "" {
		t.Errorf("job = %+v", j)
	}
	for _, p := range phonesOf(t, c, s1.ID) {
		if p.Status != cph.PhoneRunning {
			t.Errorf("phone %s status %d after the restart, want 2", p.Name, p.Status)
		}
	}
	// The other server's phones were not touched.
	s2 := servers(t, c)["sim-server-02"]
	for _, p := range phonesOf(t, c, s2.ID) {
		if p.Status != cph.PhoneRunning {
			t.Errorf("phone %s of the other server has status %d", p.Name, p.Status)
		}
	}
}

func TestRestartServerFailureMarksFailedPhones(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := start(t, nil)
	s1 := servers(t, c)["sim-server-01"]
	phones := phonesOf(t, c, s1.ID)
	bad := phones[0].ID
	if err := srv.SimDriver(s1.ID).InjectFailure(bad, sim.OpRestart, "disk error"); err != nil {
		t.Fatal(err)
	}
	res, err := c.RestartServers(ctx, []string{s1.ID})
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, res.Jobs[0].JobID)
	if j.Status != cph.JobFailed || j.ErrorCode == nil || *j.ErrorCode != cph.CodeJobFailed || !strings.Contains(*j.ErrorMsg, "disk error") {
		t.Errorf("job = %+v", j)
	}
	for _, p := range phonesOf(t, c, s1.ID) {
		want := cph.PhoneRunning
		if p.ID == bad {
			want = cph.PhoneRestartFailed
		}
		if p.Status != want {
			t.Errorf("phone %s status %d, want %d", p.Name, p.Status, want)
		}
	}
}

func TestRestartServerRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, slowBoot)
	s1 := servers(t, c)["sim-server-01"]
	// A phone in a transient state makes the server busy.
	if _, err := c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: phonesOf(t, c, s1.ID)[0].ID}}}); err != nil {
		t.Fatal(err)
	}
	res, err := c.RestartServers(ctx, []string{s1.ID, "0123456789abcdef0123456789abcdef", "bad/id", s1.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{cph.CodeStatusNotAllowed, cph.CodeInvalidServerID, cph.CodeInvalidServerID}
	if len(res.Jobs) != len(want) {
		t.Fatalf("jobs = %+v", res.Jobs)
	}
	for i, j := range res.Jobs {
		if j.ErrorCode != want[i] || j.JobID != "" {
			t.Errorf("entry %d = %+v, want %s", i, j, want[i])
		}
	}
	_, err = c.RestartServers(ctx, nil)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = cph.NewID()
	}
	_, err = c.RestartServers(ctx, ids)
	wantCode(t, err, http.StatusBadRequest, cph.CodeTooManyItems)
}

func TestRenameServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	s1 := servers(t, c)["sim-server-01"]
	if err := c.RenameServer(ctx, s1.ID, "工作站_web-01"); err != nil {
		t.Fatal(err)
	}
	if d, err := c.ShowServer(ctx, s1.ID); err != nil || d.Name != "工作站_web-01" {
		t.Errorf("detail = %+v, %v", d, err)
	}
	for _, bad := range []string{"", "has space", "semi;colon", strings.Repeat("a", 61)} {
		wantCode(t, c.RenameServer(ctx, s1.ID, bad), http.StatusBadRequest, cph.CodeInvalidServerName)
	}
	if d, _ := c.ShowServer(ctx, s1.ID); d.Name != "工作站_web-01" {
		t.Errorf("a refused rename changed the name to %q", d.Name)
	}
	wantCode(t, c.RenameServer(ctx, cph.NewID(), "x"), http.StatusNotFound, cph.CodeInvalidServerID)
}

// createRequest is a valid CreateNet2CloudPhoneServer body.
// createNormalServer orders one server named name, waits until it is
// normal and returns its id.
func createNormalServer(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	ctx := context.Background()
	order, err := c.CreateServers(ctx, createRequest(name, 1))
	if err != nil {
		t.Fatal(err)
	}
	id := order.ServerIDs[0]
	poll.Until(t, "server to be normal", func() bool {
		d, err := c.ShowServer(ctx, id)
		return err == nil && d.Status == cph.ServerNormal
	})
	return id
}

func createRequest(name string, count int) client.CreateServersRequest {
	size := int32(10)
	return client.CreateServersRequest{
		ServerName: name, ServerModelName: "physical.rx2.xlarge", PhoneModelName: "rx2.cp.c6.d64.e2v1", ImageID: image12,
		Count: count, KeypairName: "kp1", ExtendParam: client.ExtendParam{ChargingMode: 0, PeriodType: 2, PeriodNum: 1},
		TenantVPCID: "2a7e3b4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c", Nics: []client.Nic{{SubnetID: "3b8f4c5d-2e3f-4a6b-9c0d-1e2f3a4b5c6d"}},
		Bandwidth: client.Bandwidth{Size: &size, ChargeMode: 0, ShareType: 0},
	}
}

func TestCreateServerThenRestartThenDelete(t *testing.T) { testLifecycle(t, nil) }

// testLifecycle creates servers, restarts one and deletes it, on a control
// plane adjusted by mutate.
func testLifecycle(t *testing.T, mutate func(*controlplane.Config)) {
	ctx := context.Background()
	srv, c := start(t, mutate)
	order, err := c.CreateServers(ctx, createRequest("lab", 2))
	if err != nil {
		t.Fatal(err)
	}
	if order.OrderID == "" || order.ProductID == "" || len(order.ServerIDs) != 2 {
		t.Fatalf("order = %+v", order)
	}
	byName := servers(t, c)
	for i, name := range []string{"lab-0001", "lab-0002"} {
		s, ok := byName[name]
		if !ok || s.ID != order.ServerIDs[i] {
			t.Fatalf("server %s missing from %v", name, byName)
		}
		if s.Status != cph.ServerCreating && s.Status != cph.ServerCreating3 && s.Status != cph.ServerNormal {
			t.Errorf("new server status %d", s.Status)
		}
	}
	id := order.ServerIDs[0]
	poll.Until(t, "server to be normal", func() bool {
		d, err := c.ShowServer(ctx, id)
		return err == nil && d.Status == cph.ServerNormal
	})
	d, err := c.ShowServer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Metadata.OrderID != order.OrderID || d.ModelName != "physical.rx2.xlarge" || d.KeypairName != "kp1" || d.NetworkVersion != "v2" {
		t.Errorf("detail = %+v", d)
	}
	if len(d.Bandwidths) != 1 || d.Bandwidths[0].Size != 10 || d.ShareVolumeInfo == nil || d.ShareVolumeInfo.Size != 100 || len(d.Volumes) != 2 {
		t.Errorf("bandwidths %+v share %+v volumes %+v", d.Bandwidths, d.ShareVolumeInfo, d.Volumes)
	}
	phones := phonesOf(t, c, id)
	poll.Until(t, "phones to run", func() bool {
		phones = phonesOf(t, c, id)
		for _, p := range phones {
			if p.Status != cph.PhoneRunning {
				return false
			}
		}
		return true
	})
	if len(phones) != 3 {
		t.Fatalf("%d phones, want the flavor's capacity 3", len(phones))
	}
	for _, p := range phones {
		if !strings.HasPrefix(p.Name, "lab-0001-000") || len(p.IMEI) != 15 || p.ImageID != image12 || p.ModelName != "rx2.cp.c6.d64.e2v1" {
			t.Errorf("phone = %+v", p)
		}
	}
	if drv := srv.SimDriver(id); drv == nil {
		t.Fatal("no agent runtime for the new server")
	} else if infos, _ := drv.Phones(ctx); len(infos) != 3 {
		t.Errorf("runtime has %d phones", len(infos))
	}

	// The new server's agent takes server jobs.
	res, err := c.RestartServers(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Errorf("restart of a created server: %+v", j)
	}

	del, err := c.DeleteServers(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if del.JobID == "" {
		t.Fatalf("delete = %+v", del)
	}
	if d, err := c.ShowServer(ctx, id); err == nil && d.Status != cph.ServerDeleting {
		t.Errorf("status %d while deleting, want 6", d.Status)
	}
	if j := waitJob(t, c, del.JobID); j.Status != cph.JobSucceeded {
		t.Errorf("delete job = %+v", j)
	}
	_, err = c.ShowServer(ctx, id)
	wantCode(t, err, http.StatusNotFound, cph.CodeInvalidServerID)
	if ps := phonesOf(t, c, id); len(ps) != 0 {
		t.Errorf("%d phones left on a deleted server", len(ps))
	}
	_, err = c.ShowPhone(ctx, phones[0].ID)
	wantCode(t, err, http.StatusNotFound, cph.CodePhoneNotFound)
	poll.Until(t, "the agent to stop", func() bool { return srv.SimDriver(id) == nil })
	if _, ok := servers(t, c)["lab-0002"]; !ok {
		t.Error("the other new server went away")
	}
}

func TestCreateServerErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	before := len(servers(t, c))
	cases := []struct {
		name   string
		mutate func(*client.CreateServersRequest)
		code   string
	}{
		{"bad name", func(r *client.CreateServersRequest) { r.ServerName = "a b" }, cph.CodeInvalidServerName},
		{"count 0", func(r *client.CreateServersRequest) { r.Count = 0 }, cph.CodeInvalidCount},
		{"count 11", func(r *client.CreateServersRequest) { r.Count = 11 }, cph.CodeInvalidCount},
		{"no server model", func(r *client.CreateServersRequest) { r.ServerModelName = "" }, cph.CodeEmptyServerModel},
		{"unknown server model", func(r *client.CreateServersRequest) { r.ServerModelName = "physical.zz9" }, cph.CodeInvalidServerModel},
		{"no phone model", func(r *client.CreateServersRequest) { r.PhoneModelName = "" }, cph.CodeEmptyPhoneModel},
		{"phone model of another server", func(r *client.CreateServersRequest) { r.PhoneModelName = "rx1.cp.c15.d46.e1v1" }, cph.CodeInvalidPhoneModel},
		{"no image", func(r *client.CreateServersRequest) { r.ImageID = "" }, cph.CodeEmptyImageID},
		{"unknown image", func(r *client.CreateServersRequest) { r.ImageID = cph.NewID() }, cph.CodeInvalidImageID},
		{"dedicated bandwidth without size", func(r *client.CreateServersRequest) { r.Bandwidth.Size = nil }, cph.CodeInvalidBandwidth},
		{"unknown shared bandwidth", func(r *client.CreateServersRequest) { r.Bandwidth = client.Bandwidth{ID: "nope", ShareType: 1} }, cph.CodeInvalidBandwidth},
		{"bad vpc", func(r *client.CreateServersRequest) { r.TenantVPCID = "x" }, cph.CodeInvalidParameter},
		{"bad period", func(r *client.CreateServersRequest) { r.ExtendParam.PeriodNum = 12 }, cph.CodeInvalidParameter},
	}
	for _, tc := range cases {
		r := createRequest("bad", 1)
		tc.mutate(&r)
		_, err := c.CreateServers(ctx, r)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		wantCode(t, err, http.StatusBadRequest, tc.code)
	}
	if n := len(servers(t, c)); n != before {
		t.Errorf("refused creations left %d servers, want %d", n, before)
	}
}

func TestDeleteServerErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	s1 := servers(t, c)["sim-server-01"]
	_, err := c.DeleteServers(ctx, nil)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
	ids := make([]string, 11)
	for i := range ids {
		ids[i] = cph.NewID()
	}
	_, err = c.DeleteServers(ctx, ids)
	wantCode(t, err, http.StatusBadRequest, cph.CodeTooManyItems)
	_, err = c.DeleteServers(ctx, []string{s1.ID, cph.NewID()})
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidServerID)
	if d, _ := c.ShowServer(ctx, s1.ID); d == nil || d.Status != cph.ServerNormal {
		t.Errorf("a refused deletion changed the server: %+v", d)
	}
}

func TestChangeServerRecreatesPhones(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	s1 := servers(t, c)["sim-server-01"]
	old := phonesOf(t, c, s1.ID)
	req := client.ChangeServerRequest{PhoneModelName: "rx1.cp.c15.d46.e1v1", ImageID: image12, KeypairName: "kp2",
		TenantVPCID: "2a7e3b4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c", Nics: []client.Nic{{SubnetID: "3b8f4c5d-2e3f-4a6b-9c0d-1e2f3a4b5c6d"}},
		Bandwidth: client.Bandwidth{ID: "x", ShareType: 1}}
	res, err := c.ChangeServer(ctx, s1.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.JobID == "" || res.ServerID != s1.ID {
		t.Fatalf("change = %+v", res)
	}
	if j := waitJob(t, c, res.JobID); j.Status != cph.JobSucceeded {
		t.Fatalf("change job = %+v", j)
	}
	d, _ := c.ShowServer(ctx, s1.ID)
	if d.Status != cph.ServerNormal || d.KeypairName != "kp2" || d.Name != s1.Name {
		t.Errorf("server after change = %+v", d)
	}
	phones := phonesOf(t, c, s1.ID)
	if len(phones) != 3 {
		t.Fatalf("%d phones after change", len(phones))
	}
	for _, p := range phones {
		if p.Status != cph.PhoneRunning || p.ImageID != image12 {
			t.Errorf("new phone = %+v", p)
		}
		for _, o := range old {
			if o.ID == p.ID {
				t.Errorf("phone %s survived the change", p.ID)
			}
		}
	}
	_, err = c.ShowPhone(ctx, old[0].ID)
	wantCode(t, err, http.StatusNotFound, cph.CodePhoneNotFound)

	req.PhoneModelName = "rx2.cp.c6.d64.e2v1"
	_, err = c.ChangeServer(ctx, s1.ID, req)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidPhoneModel)
	req.PhoneModelName = ""
	_, err = c.ChangeServer(ctx, s1.ID, req)
	wantCode(t, err, http.StatusBadRequest, cph.CodeEmptyPhoneModel)
	req.PhoneModelName = "rx1.cp.c15.d46.e1v1"
	_, err = c.ChangeServer(ctx, cph.NewID(), req)
	wantCode(t, err, http.StatusNotFound, cph.CodeInvalidServerID)
}

func TestChangeServerModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	s1 := servers(t, c)["sim-server-01"]
	_, err := c.ChangeServerModel(ctx, s1.ID, "physical.kg1.4xlarge.a.cp", "kg1.cp.c2.d64.g1")
	wantCode(t, err, http.StatusBadRequest, cph.CodeOperationNotAllowed)
	_, err = c.ChangeServerModel(ctx, s1.ID, "physical.nope", "rx2.cp.c6.d64.e2v1")
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidServerModel)
	_, err = c.ChangeServerModel(ctx, cph.NewID(), "physical.rx2.xlarge", "rx2.cp.c6.d64.e2v1")
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidServerID)

	o, err := c.ChangeServerModel(ctx, s1.ID, "physical.rx2.xlarge", "rx2.cp.c6.d64.e2v1")
	if err != nil {
		t.Fatal(err)
	}
	if o.OrderID == "" {
		t.Errorf("order = %+v", o)
	}
	poll.Until(t, "new flavor", func() bool {
		d, err := c.ShowServer(ctx, s1.ID)
		return err == nil && d.Status == cph.ServerNormal && d.ModelName == "physical.rx2.xlarge"
	})
	d, _ := c.ShowServer(ctx, s1.ID)
	if d.PhoneModelName != "rx2.cp.c6.d64.e2v1" || d.ShareVolumeInfo == nil {
		t.Errorf("detail = %+v", d)
	}
	for _, p := range phonesOf(t, c, s1.ID) {
		if p.ModelName != "rx2.cp.c6.d64.e2v1" {
			t.Errorf("phone flavor %s", p.ModelName)
		}
	}
}

func TestUpdateKeypair(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	s1 := servers(t, c)["sim-server-01"]
	res, err := c.UpdateKeypairs(ctx, []client.ServerKeypair{{ServerID: s1.ID, KeypairName: "ops-key"}, {ServerID: cph.NewID(), KeypairName: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Jobs[1].ErrorCode != cph.CodeInvalidServerID {
		t.Errorf("jobs = %+v", res.Jobs)
	}
	if j := waitJob(t, c, res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Errorf("job = %+v", j)
	}
	if d, _ := c.ShowServer(ctx, s1.ID); d.KeypairName != "ops-key" {
		t.Errorf("keypair = %q", d.KeypairName)
	}
	_, err = c.UpdateKeypairs(ctx, nil)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
}

// Server names need not be unique; the phones of two servers with the same
// name still get distinct names.
func TestSameServerNameTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	var ids []string
	for range 2 {
		o, err := c.CreateServers(ctx, createRequest("twin", 1))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ServerIDs[0])
	}
	names := map[string]bool{}
	for _, id := range ids {
		ps := phonesOf(t, c, id)
		if len(ps) != 3 {
			t.Fatalf("server %s has %d phones", id, len(ps))
		}
		for _, p := range ps {
			if names[p.Name] {
				t.Errorf("phone name %s used twice", p.Name)
			}
			names[p.Name] = true
		}
	}
}

func TestCreateBareServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, nil)
	size := int32(5)
	req := client.CreateBareServersRequest{ServerName: "bare", ServerModelName: "physical.rx1.bare", Count: 1,
		OrderParam: client.ExtendParam{PeriodType: 3, PeriodNum: 1}, Nics: []client.Nic{{SubnetID: "3b8f4c5d-2e3f-4a6b-9c0d-1e2f3a4b5c6d"}},
		KeypairName: "admin"}
	req.PublicIP.Bandwidth = client.Bandwidth{Size: &size}
	o, err := c.CreateBareServers(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	id := o.ServerIDs[0]
	poll.Until(t, "bare server to be normal", func() bool {
		d, err := c.ShowServer(ctx, id)
		return err == nil && d.Status == cph.ServerNormal
	})
	if ps := phonesOf(t, c, id); len(ps) != 0 {
		t.Errorf("bare server has %d phones", len(ps))
	}
	req.KeypairName = ""
	_, err = c.CreateBareServers(ctx, req)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidParameter)
	req.KeypairName, req.Count = "admin", 11
	_, err = c.CreateBareServers(ctx, req)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidCount)
	req.Count, req.ServerModelName = 1, "physical.none"
	_, err = c.CreateBareServers(ctx, req)
	wantCode(t, err, http.StatusBadRequest, cph.CodeInvalidServerModel)
}

func TestChangeServerRefusesBusyServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, slowBoot)
	s1 := servers(t, c)["sim-server-01"]
	if _, err := c.RestartServers(ctx, []string{s1.ID}); err != nil {
		t.Fatal(err)
	}
	req := client.ChangeServerRequest{PhoneModelName: "rx1.cp.c15.d46.e1v1", ImageID: image12,
		TenantVPCID: "2a7e3b4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c", Nics: []client.Nic{{SubnetID: "3b8f4c5d-2e3f-4a6b-9c0d-1e2f3a4b5c6d"}},
		Bandwidth: client.Bandwidth{ID: "x", ShareType: 1}}
	_, err := c.ChangeServer(ctx, s1.ID, req)
	wantCode(t, err, http.StatusBadRequest, cph.CodeStatusNotAllowed)
	_, err = c.ChangeServerModel(ctx, s1.ID, "physical.rx2.xlarge", "rx2.cp.c6.d64.e2v1")
	wantCode(t, err, http.StatusBadRequest, cph.CodeStatusNotAllowed)
	if d, _ := c.ShowServer(ctx, s1.ID); d.PhoneModelName != "rx1.cp.c15.d46.e1v1" || d.Status != cph.ServerNormal {
		t.Errorf("refused changes altered the server: %+v", d)
	}
}
