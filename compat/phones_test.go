package compat_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
)

// TestPhoneListAndDetail: ListCloudPhones filters and ShowCloudPhoneDetail
// fields, and their errors.
func TestPhoneListAndDetail(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	if len(all) != 6 {
		t.Fatalf("%d phones, want 6", len(all))
	}
	p := all[0]
	for _, f := range []struct {
		name string
		req  model.ListCloudPhonesRequest
		want int32
	}{
		{"server_id", model.ListCloudPhonesRequest{ServerId: p.ServerId}, 3},
		{"status 2", model.ListCloudPhonesRequest{Status: ptr(int32(2))}, 6},
		{"status 8", model.ListCloudPhonesRequest{Status: ptr(int32(8))}, 0},
		{"type 0", model.ListCloudPhonesRequest{Type: ptr(int32(0))}, 6},
		{"phone_name", model.ListCloudPhonesRequest{PhoneName: p.PhoneName}, 1},
		{"offset 5", model.ListCloudPhonesRequest{Offset: ptr(int32(5)), Limit: ptr(int32(200))}, 6},
	} {
		r, err := c.ListCloudPhones(&f.req)
		ok(t, "ListCloudPhones "+f.name, err)
		if num(r.Count) != f.want || r.RequestId == nil {
			t.Errorf("ListCloudPhones %s: count %d, want %d", f.name, num(r.Count), f.want)
		}
		if f.name == "offset 5" && len(*r.Phones) != 1 {
			t.Errorf("ListCloudPhones offset 5: %d phones on the page, want 1", len(*r.Phones))
		}
	}
	if p.PhoneId == nil || p.ImageId == nil || p.PhoneModelName == nil || p.Imei == nil || p.CreateTime == nil || p.Metadata == nil ||
		str(p.TrafficType) != "direct" || num(p.Status) != 2 {
		t.Errorf("phone = %s", dump(p))
	}
	d := phone(t, c, *p.PhoneId)
	if str(d.PhoneId) != *p.PhoneId || str(d.ServerId) != *p.ServerId || str(d.ImageId) != image11 || d.AccessInfos == nil ||
		len(*d.AccessInfos) != 1 || str((*d.AccessInfos)[0].Type) != "adb" || d.PhoneDataVolume == nil || d.PhoneDataVolume.VolumeSize == nil ||
		str(d.CreateTime) == "" || d.RequestId == nil {
		t.Errorf("ShowCloudPhoneDetail = %s", dump(d))
	}

	_, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{Limit: ptr(int32(201))})
	wantError(t, "ListCloudPhones limit 201", err, 400, "CPS.0002")
	_, err = c.ListCloudPhones(&model.ListCloudPhonesRequest{Type: ptr(int32(5))})
	wantError(t, "ListCloudPhones type 5", err, 400, "CPS.9011")
	_, err = c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: "not_an_id"})
	wantError(t, "ShowCloudPhoneDetail malformed id", err, 400, "CPS.0004")
}

// TestUpdatePhoneName renames a phone and sees the new name in the detail
// and the list.
func TestUpdatePhoneName(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	id := *all[0].PhoneId
	r, err := c.UpdatePhoneName(&model.UpdatePhoneNameRequest{PhoneId: id, Body: &model.UpdatePhoneNameRequestBody{PhoneName: "前台_desk-1"}})
	ok(t, "UpdatePhoneName", err)
	if r.RequestId == nil || r.HttpStatusCode != 200 {
		t.Errorf("UpdatePhoneName = %s", dump(r))
	}
	if d := phone(t, c, id); str(d.PhoneName) != "前台_desk-1" || num(d.Status) != 2 {
		t.Errorf("after rename: name %q status %d", str(d.PhoneName), num(d.Status))
	}
	l, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{PhoneName: ptr("DESK")})
	ok(t, "ListCloudPhones by the new name", err)
	if num(l.Count) != 1 || str((*l.Phones)[0].PhoneId) != id {
		t.Errorf("ListCloudPhones phone_name=DESK: %s", dump(l))
	}

	_, err = c.UpdatePhoneName(&model.UpdatePhoneNameRequest{PhoneId: id, Body: &model.UpdatePhoneNameRequestBody{PhoneName: "with space"}})
	wantError(t, "UpdatePhoneName invalid name", err, 400, "CPS.0025")
	_, err = c.UpdatePhoneName(&model.UpdatePhoneNameRequest{PhoneId: *all[1].PhoneId, Body: &model.UpdatePhoneNameRequestBody{PhoneName: "前台_desk-1"}})
	wantError(t, "UpdatePhoneName to a used name", err, 400, "CPS.0026")
	_, err = c.UpdatePhoneName(&model.UpdatePhoneNameRequest{PhoneId: unknown, Body: &model.UpdatePhoneNameRequestBody{PhoneName: "x"}})
	wantError(t, "UpdatePhoneName unknown phone", err, 404, "CPS.0005")
	_, err = c.UpdatePhoneName(&model.UpdatePhoneNameRequest{PhoneId: "bad_id", Body: &model.UpdatePhoneNameRequestBody{PhoneName: "x"}})
	wantError(t, "UpdatePhoneName malformed id", err, 400, "CPS.0004")
	if d := phone(t, c, *all[1].PhoneId); str(d.PhoneName) != str(all[1].PhoneName) {
		t.Errorf("a refused rename changed the name to %q", str(d.PhoneName))
	}
}

// TestUpdateCloudPhoneProperty updates properties and sees them in the
// detail and, for ro.install.auto, at once in the phone.
func TestUpdateCloudPhoneProperty(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	id := *all[0].PhoneId
	r, err := c.UpdateCloudPhoneProperty(&model.UpdateCloudPhonePropertyRequest{Body: &model.UpdateCloudPhonePropertyRequestBody{
		Phones: []model.PropertyToUpdate{
			{PhoneId: id, Property: `{"com.cph.mainkeys":1,"ro.install.auto":1}`},
			{PhoneId: *all[1].PhoneId, Property: `{"no.such.key":1}`},
			{PhoneId: unknown, Property: `{"ro.install.auto":1}`},
		}}})
	ok(t, "UpdateCloudPhoneProperty", err)
	if r.Jobs == nil || len(*r.Jobs) != 3 || (*r.Jobs)[0].JobId == nil {
		t.Fatalf("UpdateCloudPhoneProperty = %s", dump(r))
	}
	refusedPhone(t, "unknown property key", (*r.Jobs)[1], *all[1].PhoneId, "CPS.9011")
	refusedPhone(t, "unknown phone", (*r.Jobs)[2], unknown, "CPS.0005")
	jobs := waitJobs(t, c, r.RequestId)
	succeeded(t, "property update", jobs)
	if str(jobs[0].PhoneId) != id {
		t.Errorf("job of phone %s, want %s", str(jobs[0].PhoneId), id)
	}
	var props map[string]any
	d := phone(t, c, id)
	if err := json.Unmarshal([]byte(str(d.Property)), &props); err != nil || props["com.cph.mainkeys"] != 1.0 || props["ro.install.auto"] != 1.0 {
		t.Errorf("detail property = %s (%v)", str(d.Property), err)
	}
	if got := output(t, c, id, "getprop ro.install.auto"); got != "1\n" {
		t.Errorf("getprop ro.install.auto = %q, want 1", got)
	}

	_, err = c.UpdateCloudPhoneProperty(&model.UpdateCloudPhonePropertyRequest{Body: &model.UpdateCloudPhonePropertyRequestBody{Phones: []model.PropertyToUpdate{}}})
	wantError(t, "UpdateCloudPhoneProperty without phones", err, 400, "CPS.0009")
}

// TestRestartResetOptions restarts a phone with another image and resets
// one with properties, and checks the refusals of the three power
// operations.
func TestRestartResetOptions(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	a, b := *all[0].PhoneId, *all[1].PhoneId

	r, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		ImageId: ptr(image12), Phones: []model.PhoneProperty{{PhoneId: a}}}})
	ok(t, "RestartCloudPhone with image", err)
	phoneJob(t, "RestartCloudPhone with image", r.Jobs)
	if d := phone(t, c, a); num(d.Status) != 4 {
		t.Errorf("status right after the restart = %d, want 4 (restarting)", num(d.Status))
	}
	succeeded(t, "restart with image", waitJobs(t, c, r.RequestId))
	if d := phone(t, c, a); str(d.ImageId) != image12 || num(d.Status) != 2 {
		t.Errorf("after restart with %s: image %s status %d", image12, str(d.ImageId), num(d.Status))
	}

	rs, err := c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{
		Phones: []model.PhoneProperty{{PhoneId: b, Property: ptr(`{"sys.prop.writewifissid":"lab-wifi"}`)}}}})
	ok(t, "ResetCloudPhone with property", err)
	phoneJob(t, "ResetCloudPhone with property", rs.Jobs)
	succeeded(t, "reset with property", waitJobs(t, c, rs.RequestId))
	if d := phone(t, c, b); !strings.Contains(str(d.Property), `"sys.prop.writewifissid":"lab-wifi"`) {
		t.Errorf("detail property after reset = %s", str(d.Property))
	}
	if got := output(t, c, b, "getprop sys.prop.writewifissid"); got != "lab-wifi\n" {
		t.Errorf("getprop after reset = %q", got)
	}

	// Whole-request refusals.
	_, err = c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		ImageId: ptr(unknown), Phones: []model.PhoneProperty{{PhoneId: a}}}})
	wantError(t, "RestartCloudPhone unknown image", err, 400, "CPS.0030")
	many := make([]model.PhoneProperty, 101)
	for i := range many {
		many[i].PhoneId = a
	}
	_, err = c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{Phones: many}})
	wantError(t, "ResetCloudPhone 101 phones", err, 400, "CPS.9010")
	_, err = c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{
		ImageId: ptr(unknown), Phones: []model.PhoneProperty{{PhoneId: a}}}})
	wantError(t, "ResetCloudPhone unknown image", err, 400, "CPS.0030")
	_, err = c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: []string{}}})
	wantError(t, "StopCloudPhone without phones", err, 400, "CPS.0009")

	// Per-item refusals: a stopped phone cannot be stopped again, a bad
	// property refuses the phone.
	st, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: []string{a}}})
	ok(t, "StopCloudPhone", err)
	phoneJob(t, "StopCloudPhone", st.Jobs)
	succeeded(t, "stop", waitJobs(t, c, st.RequestId))
	st, err = c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: []string{a, "bad id"}}})
	ok(t, "StopCloudPhone of a stopped phone", err)
	if st.Jobs == nil || len(*st.Jobs) != 2 {
		t.Fatalf("StopCloudPhone = %s", dump(st))
	}
	refusedPhone(t, "stop a stopped phone", (*st.Jobs)[0], a, "CPS.9001")
	refusedPhone(t, "stop a malformed id", (*st.Jobs)[1], "bad id", "CPS.0004")
	rs, err = c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{
		Phones: []model.PhoneProperty{{PhoneId: b, Property: ptr(`not json`)}}}})
	ok(t, "ResetCloudPhone with a bad property", err)
	if rs.Jobs == nil || len(*rs.Jobs) != 1 {
		t.Fatalf("ResetCloudPhone = %s", dump(rs))
	}
	refusedPhone(t, "reset with a bad property", (*rs.Jobs)[0], b, "CPS.9011")
}

// TestBatchShowPhoneConnectInfos gets connection tickets.
func TestBatchShowPhoneConnectInfos(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	a, b := *all[0].PhoneId, *all[4].PhoneId
	r, err := c.BatchShowPhoneConnectInfos(&model.BatchShowPhoneConnectInfosRequest{Body: &model.ConnectionRequestBody{
		PhoneIds: []string{a, b, unknown}, ClientType: model.GetConnectionRequestBodyClientTypeEnum().ANDROID}})
	ok(t, "BatchShowPhoneConnectInfos", err)
	if r.RequestId == nil || r.ConnectInfos == nil || len(*r.ConnectInfos) != 2 || r.Errors == nil || len(*r.Errors) != 1 {
		t.Fatalf("BatchShowPhoneConnectInfos = %s", dump(r))
	}
	if e := (*r.Errors)[0]; str(e.PhoneId) != unknown || str(e.ErrorCode) != "CPS.0005" || e.ErrorMsg == nil {
		t.Errorf("error entry = %s", dump(e))
	}
	for i, ci := range *r.ConnectInfos {
		want := []string{a, b}[i]
		d := phone(t, c, want)
		ai := ci.AccessInfo
		if str(ci.PhoneId) != want || ai == nil || num(ai.AccessPort) != num((*d.AccessInfos)[0].AccessPort) ||
			str(ai.IntranetIp) != str((*d.AccessInfos)[0].ServerIp) || str(ai.SessionId) == "" || str(ai.Ticket) == "" || str(ai.Timestamp) == "" {
			t.Errorf("connect info %d = %s, detail access = %s", i, dump(ci), dump(*d.AccessInfos))
		}
	}

	_, err = c.BatchShowPhoneConnectInfos(&model.BatchShowPhoneConnectInfosRequest{Body: &model.ConnectionRequestBody{
		PhoneIds: []string{}, ClientType: model.GetConnectionRequestBodyClientTypeEnum().H5_PC}})
	wantError(t, "BatchShowPhoneConnectInfos without phones", err, 400, "CPS.0009")
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = a
	}
	_, err = c.BatchShowPhoneConnectInfos(&model.BatchShowPhoneConnectInfosRequest{Body: &model.ConnectionRequestBody{
		PhoneIds: eleven, ClientType: model.GetConnectionRequestBodyClientTypeEnum().IOS}})
	wantError(t, "BatchShowPhoneConnectInfos 11 phones", err, 400, "CPS.9010")
	// The SDK's enum only builds known client types; a client can still
	// send another value by decoding it.
	var bogus model.ConnectionRequestBodyClientType
	if err := bogus.UnmarshalJSON([]byte(`"SYMBIAN"`)); err != nil {
		t.Fatal(err)
	}
	_, err = c.BatchShowPhoneConnectInfos(&model.BatchShowPhoneConnectInfosRequest{Body: &model.ConnectionRequestBody{
		PhoneIds: []string{a}, ClientType: bogus}})
	wantError(t, "BatchShowPhoneConnectInfos unknown client type", err, 400, "CPS.9011")
}

// TestVolumeAndTraffic grows a data volume and switches the traffic route.
func TestVolumeAndTraffic(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	a, b := *all[0].PhoneId, *all[1].PhoneId
	size := num(phone(t, c, a).PhoneDataVolume.VolumeSize)

	r, err := c.ExpandPhoneDataVolumeSize(&model.ExpandPhoneDataVolumeSizeRequest{Body: &model.ExpandPhoneDataVolumeSizeRequestBody{
		Phones: []model.PhoneDataVolumeSize{{PhoneId: a, NewSize: size + 64}, {PhoneId: b, NewSize: size - 1}}}})
	ok(t, "ExpandPhoneDataVolumeSize", err)
	if r.Jobs == nil || len(*r.Jobs) != 2 || (*r.Jobs)[0].JobId == nil {
		t.Fatalf("ExpandPhoneDataVolumeSize = %s", dump(r))
	}
	refusedPhone(t, "shrink", (*r.Jobs)[1], b, "CPS.9011")
	succeeded(t, "expand", waitJobs(t, c, r.RequestId))
	if got := num(phone(t, c, a).PhoneDataVolume.VolumeSize); got != size+64 {
		t.Errorf("volume size = %d, want %d", got, size+64)
	}
	if got := num(phone(t, c, b).PhoneDataVolume.VolumeSize); got != size {
		t.Errorf("refused expansion changed the size to %d", got)
	}
	_, err = c.ExpandPhoneDataVolumeSize(&model.ExpandPhoneDataVolumeSizeRequest{Body: &model.ExpandPhoneDataVolumeSizeRequestBody{Phones: []model.PhoneDataVolumeSize{}}})
	wantError(t, "ExpandPhoneDataVolumeSize without phones", err, 400, "CPS.0009")

	tr, err := c.ImportTraffic(&model.ImportTrafficRequest{Body: &model.ImportTrafficRequestBody{TrafficType: "routing", PhoneIds: []string{a, unknown}}})
	ok(t, "ImportTraffic", err)
	if tr.Jobs == nil || len(*tr.Jobs) != 2 || (*tr.Jobs)[0].JobId == nil {
		t.Fatalf("ImportTraffic = %s", dump(tr))
	}
	refusedPhone(t, "traffic of an unknown phone", (*tr.Jobs)[1], unknown, "CPS.0005")
	succeeded(t, "traffic", waitJobs(t, c, tr.RequestId))
	if got := str(phone(t, c, a).TrafficType); got != "routing" {
		t.Errorf("traffic_type = %s, want routing", got)
	}
	if l := phones(t, c, *all[0].ServerId); str(l[0].TrafficType) != "routing" {
		t.Errorf("listed traffic_type = %s", str(l[0].TrafficType))
	}
	_, err = c.ImportTraffic(&model.ImportTrafficRequest{Body: &model.ImportTrafficRequestBody{TrafficType: "satellite", PhoneIds: []string{a}}})
	wantError(t, "ImportTraffic bad traffic_type", err, 400, "CPS.9011")
	_, err = c.ImportTraffic(&model.ImportTrafficRequest{Body: &model.ImportTrafficRequestBody{TrafficType: "direct", PhoneIds: []string{}}})
	wantError(t, "ImportTraffic without phones", err, 400, "CPS.0009")
}

// TestExportImport exports a phone's files to the object store, resets the
// phone and imports them back.
func TestExportImport(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	id := *all[0].PhoneId
	e.putObject(t, "backup", "files.tar", tarball(t, map[string]string{
		"data/local/tmp/notes.txt": "remember me\n", "data/local/tmp/skip.log": "noise\n"}))
	pr, err := c.PushFile(&model.PushFileRequest{Body: &model.PushFileRequestBody{Command: "push", Content: "obs://backup/files.tar", PhoneIds: &[]string{id}}})
	ok(t, "PushFile", err)
	succeeded(t, "push", waitJobs(t, c, pr.RequestId))

	ex, err := c.BatchExportCloudPhoneData(&model.BatchExportCloudPhoneDataRequest{Body: &model.BatchExportCloudPhoneDataRequestBody{
		StorageInfos: []model.StorageInfo{
			{PhoneId: id, IncludeFiles: []string{"/data/local/tmp"}, ExcludeFiles: &[]string{"/data/local/tmp/skip*"}, BucketName: "backup", ObjectPath: "exports/p0.tar"},
			{PhoneId: *all[1].PhoneId, IncludeFiles: []string{"/system"}, BucketName: "backup", ObjectPath: "x.tar"},
		}}})
	ok(t, "BatchExportCloudPhoneData", err)
	if ex.Jobs == nil || len(*ex.Jobs) != 2 || (*ex.Jobs)[0].JobId == nil {
		t.Fatalf("BatchExportCloudPhoneData = %s", dump(ex))
	}
	refusedPhone(t, "export of /system", (*ex.Jobs)[1], *all[1].PhoneId, "CPS.9011")
	succeeded(t, "export", waitJobs(t, c, ex.RequestId))
	if objs := e.objects(t, "backup", "exports/"); objs["exports/p0.tar"] == 0 {
		t.Fatalf("exported objects = %v", objs)
	}

	rs, err := c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{Phones: []model.PhoneProperty{{PhoneId: id}}}})
	ok(t, "ResetCloudPhone", err)
	succeeded(t, "reset", waitJobs(t, c, rs.RequestId))
	if j := shell(t, c, id, "cat /data/local/tmp/notes.txt"); num(j.Status) != -1 {
		t.Fatalf("the file survived the reset: %s", jobString(j))
	}

	im, err := c.BatchImportCloudPhoneData(&model.BatchImportCloudPhoneDataRequest{Body: &model.BatchImportCloudPhoneDataRequestBody{
		RestoreInfos: []model.RestoreInfo{{PhoneId: id, BucketName: "backup", ObjectPath: "exports/p0.tar"}}}})
	ok(t, "BatchImportCloudPhoneData", err)
	phoneJob(t, "BatchImportCloudPhoneData", im.Jobs)
	succeeded(t, "import", waitJobs(t, c, im.RequestId))
	if got := output(t, c, id, "cat /data/local/tmp/notes.txt"); got != "remember me\n" {
		t.Errorf("imported file = %q", got)
	}
	if j := shell(t, c, id, "cat /data/local/tmp/skip.log"); num(j.Status) != -1 {
		t.Errorf("an excluded file came back: %s", jobString(j))
	}

	// Failures: a missing object fails the job; empty lists are refused.
	im, err = c.BatchImportCloudPhoneData(&model.BatchImportCloudPhoneDataRequest{Body: &model.BatchImportCloudPhoneDataRequestBody{
		RestoreInfos: []model.RestoreInfo{{PhoneId: id, BucketName: "backup", ObjectPath: "exports/missing.tar"}}}})
	ok(t, "BatchImportCloudPhoneData of a missing object", err)
	failedWith(t, "import of a missing object", waitJobs(t, c, im.RequestId), "CPS.9202")
	_, err = c.BatchExportCloudPhoneData(&model.BatchExportCloudPhoneDataRequest{Body: &model.BatchExportCloudPhoneDataRequestBody{StorageInfos: []model.StorageInfo{}}})
	wantError(t, "BatchExportCloudPhoneData without phones", err, 400, "CPS.0009")
	_, err = c.BatchImportCloudPhoneData(&model.BatchImportCloudPhoneDataRequest{Body: &model.BatchImportCloudPhoneDataRequestBody{RestoreInfos: []model.RestoreInfo{}}})
	wantError(t, "BatchImportCloudPhoneData without phones", err, 400, "CPS.0009")
}

// TestJobQueries lists the jobs of several requests at once and checks
// the ListJobs refusals.
func TestJobQueries(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	r1, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		Phones: []model.PhoneProperty{{PhoneId: *all[0].PhoneId}, {PhoneId: *all[1].PhoneId}}}})
	ok(t, "RestartCloudPhone", err)
	r2, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: []string{*all[2].PhoneId}}})
	ok(t, "StopCloudPhone", err)
	waitJobs(t, c, r1.RequestId)
	waitJobs(t, c, r2.RequestId)
	l, err := c.ListJobs(&model.ListJobsRequest{RequestIds: ptr(*r1.RequestId + "," + *r2.RequestId)})
	ok(t, "ListJobs request_ids", err)
	if l.Jobs == nil || len(*l.Jobs) != 3 || l.RequestId == nil || *l.RequestId == *r1.RequestId {
		t.Fatalf("ListJobs = %s", dump(l))
	}
	for i, want := range []string{*all[0].PhoneId, *all[1].PhoneId, *all[2].PhoneId} {
		if j := (*l.Jobs)[i]; str(j.PhoneId) != want || num(j.Status) != 2 {
			t.Errorf("job %d = %s, want phone %s", i, jobString(j), want)
		}
	}
	l, err = c.ListJobs(&model.ListJobsRequest{RequestId: r1.RequestId, Offset: ptr(int32(1)), Limit: ptr(int32(1))})
	ok(t, "ListJobs page", err)
	if l.Jobs == nil || len(*l.Jobs) != 1 || str((*l.Jobs)[0].PhoneId) != *all[1].PhoneId {
		t.Errorf("ListJobs offset 1 limit 1 = %s", dump(l))
	}
	ids := make([]string, 21)
	for i := range ids {
		ids[i] = unknown
	}
	_, err = c.ListJobs(&model.ListJobsRequest{RequestIds: ptr(strings.Join(ids, ","))})
	wantError(t, "ListJobs 21 request ids", err, 400, "CPS.9003")
	_, err = c.ListJobs(&model.ListJobsRequest{RequestId: r1.RequestId, Limit: ptr(int32(101))})
	wantError(t, "ListJobs limit 101", err, 400, "CPS.0002")
}
