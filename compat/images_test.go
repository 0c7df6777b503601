package compat_test

import (
	"testing"
	"time"

	cphsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"

	"github.com/opencph/opencph/controlplane/cptest"
)

// phoneImages lists ListCloudPhoneImages of one type by image id.
func phoneImages(t *testing.T, c *cphsdk.CphClient, typ string) map[string]model.PhoneImage {
	t.Helper()
	r, err := c.ListCloudPhoneImages(&model.ListCloudPhoneImagesRequest{ImageType: &typ})
	ok(t, "ListCloudPhoneImages "+typ, err)
	if r.RequestId == nil || r.PhoneImages == nil {
		t.Fatalf("ListCloudPhoneImages %s = %s", typ, dump(r))
	}
	out := map[string]model.PhoneImage{}
	for _, im := range *r.PhoneImages {
		out[str(im.ImageId)] = im
	}
	return out
}

// restartWith restarts a phone with an image and returns the final job.
func restartWith(t *testing.T, c *cphsdk.CphClient, phoneID, imageID string) model.Job {
	t.Helper()
	r, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		ImageId: &imageID, Phones: []model.PhoneProperty{{PhoneId: phoneID}}}})
	ok(t, "RestartCloudPhone with "+imageID, err)
	phoneJob(t, "RestartCloudPhone with "+imageID, r.Jobs)
	return waitJobs(t, c, r.RequestId)[0]
}

// TestImages lists public and custom images.
func TestImages(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	public := phoneImages(t, c, "public")
	if len(public) != 2 {
		t.Fatalf("public images = %s", dump(public))
	}
	for _, id := range []string{image11, image12} {
		if im := public[id]; num(im.IsPublic) != 1 || str(im.ImageName) == "" || str(im.OsType) != "Android" || str(im.ImageLabel) != "cloud_phone" {
			t.Errorf("public image %s = %s", id, dump(im))
		}
	}
	all := phones(t, c, "")
	before := time.Now().Add(-time.Second).UnixMilli()
	alpha := e.createImage(t, "alpha", *all[0].PhoneId)
	beta := e.createImage(t, "beta", *all[1].PhoneId)
	if p := phoneImages(t, c, "private"); len(p) != 2 || num(p[alpha].IsPublic) != 2 || str(p[alpha].ImageName) != "alpha" {
		t.Errorf("private phone images = %s", dump(p))
	}
	if a := phoneImages(t, c, "all"); len(a) != 4 {
		t.Errorf("all phone images = %s", dump(a))
	}

	l, err := c.ListImages(&model.ListImagesRequest{ImageType: ptr("private")})
	ok(t, "ListImages", err)
	if l.RequestId == nil || num(l.Total) != 2 || l.ImageInfos == nil || len(*l.ImageInfos) != 2 {
		t.Fatalf("ListImages = %s", dump(l))
	}
	for _, im := range *l.ImageInfos {
		if str(im.ImageType) != "private" || str(im.ProjectId) != e.projectID || num(im.Status) != 1 || str(im.ImageVersion) != "AOSP 11.0" ||
			im.ImageSize == nil || *im.ImageSize <= 0 || str(im.DomainId) == "" || str(im.CreateTime) == "" || im.SrcProjectId != nil {
			t.Errorf("image = %s", dump(im))
		}
	}
	for _, f := range []struct {
		name string
		req  model.ListImagesRequest
		want int32
	}{
		{"image_name ALP", model.ListImagesRequest{ImageName: ptr("ALP")}, 1},
		{"image_id", model.ListImagesRequest{ImageId: &beta}, 1},
		{"status 2", model.ListImagesRequest{Status: ptr(int32(2))}, 0},
		{"create_since", model.ListImagesRequest{CreateSince: &before}, 2},
		{"create_until", model.ListImagesRequest{CreateUntil: &before}, 0},
		{"share", model.ListImagesRequest{ImageType: ptr("share")}, 0},
		{"page", model.ListImagesRequest{Offset: ptr(int32(1)), Limit: ptr(int32(1))}, 2},
	} {
		r, err := c.ListImages(&f.req)
		ok(t, "ListImages "+f.name, err)
		if num(r.Total) != f.want {
			t.Errorf("ListImages %s: total %d, want %d", f.name, num(r.Total), f.want)
		}
	}
	// A custom image boots phones.
	if j := restartWith(t, c, *all[2].PhoneId, beta); num(j.Status) != 2 {
		t.Fatalf("restart with a private image: %s", jobString(j))
	}
	if d := phone(t, c, *all[2].PhoneId); str(d.ImageId) != beta {
		t.Errorf("phone image = %s, want %s", str(d.ImageId), beta)
	}

	_, err = c.ListCloudPhoneImages(&model.ListCloudPhoneImagesRequest{ImageType: ptr("bogus")})
	wantError(t, "ListCloudPhoneImages image_type bogus", err, 400, "CPS.9011")
	_, err = c.ListImages(&model.ListImagesRequest{Status: ptr(int32(7))})
	wantError(t, "ListImages status 7", err, 400, "CPS.0010")
	_, err = c.ListImages(&model.ListImagesRequest{Limit: ptr(int32(0))})
	wantError(t, "ListImages limit 0", err, 400, "CPS.0002")
	_, err = c.ListImages(&model.ListImagesRequest{ImageType: ptr("public")})
	wantError(t, "ListImages image_type public", err, 400, "CPS.9011")
}

// TestImageSharing shares a custom image with another account's project:
// the member accepts it, boots a phone with it, and the owner stops
// sharing and deletes it.
func TestImageSharing(t *testing.T) {
	a := setup(t)
	ca := a.endpointClient(t, a.sk)
	all := servers(t, ca)
	bProject := cptest.CreateAccount(t, a.srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	cptest.GiveServer(t, a.srv, *all["sim-server-02"].ServerId, bProject)
	b := login(t, a.srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	cb := b.regionClient(t) // the SDK looks B's project id up through IAM
	if b.projectID != bProject {
		t.Fatalf("project of B = %s, want %s", b.projectID, bProject)
	}
	aPhones, bPhones := phones(t, ca, ""), phones(t, cb, "")
	if len(aPhones) != 3 || len(bPhones) != 3 {
		t.Fatalf("A has %d phones, B %d; want 3 each", len(aPhones), len(bPhones))
	}
	bPhone := *bPhones[0].PhoneId
	img := a.createImage(t, "shared-golden", *aPhones[0].PhoneId)

	// Before sharing B cannot boot the image.
	_, err := cb.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		ImageId: &img, Phones: []model.PhoneProperty{{PhoneId: bPhone}}}})
	wantError(t, "B restarts with an unshared image", err, 400, "CPS.0030")

	add, err := ca.AddImageMember(&model.AddImageMemberRequest{ImageId: img, Body: &model.AddImageMemberRequestBody{Member: &bProject}})
	ok(t, "AddImageMember", err)
	if add.RequestId == nil || add.ErrorCode != nil {
		t.Errorf("AddImageMember = %s", dump(add))
	}
	m, err := ca.ListImageMembers(&model.ListImageMembersRequest{ImageId: img})
	ok(t, "ListImageMembers", err)
	if m.Members == nil || len(*m.Members) != 1 {
		t.Fatalf("ListImageMembers = %s", dump(m))
	}
	mem := (*m.Members)[0]
	if str(mem.MemberId) != bProject || str(mem.ImageId) != img || mem.CreateTime == nil || *mem.CreateTime < time.Now().Add(-time.Minute).UnixMilli() || mem.UpdateTime == nil {
		t.Errorf("member = %s", dump(mem))
	}
	// Pending: B does not list it yet.
	if l, err := cb.ListImages(&model.ListImagesRequest{ImageType: ptr("share")}); err != nil || num(l.Total) != 0 {
		t.Errorf("B lists a pending image: %s %v", dump(l), err)
	}

	// B rejects, then changes its mind.
	_, err = cb.UpdateImageMember(&model.UpdateImageMemberRequest{ImageId: img,
		Body: &model.UpdateImageMemberRequestBody{Status: model.GetUpdateImageMemberRequestBodyStatusEnum().REJECTED}})
	ok(t, "UpdateImageMember rejected", err)
	// ListCloudPhoneImages lists images shared with the project whatever
	// its answer (newer SDKs read receive_status); a rejected one does
	// not boot phones.
	if pi := phoneImages(t, cb, "all"); len(pi) != 3 {
		t.Errorf("B's images after rejecting = %s", dump(pi))
	}
	_, err = cb.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		ImageId: &img, Phones: []model.PhoneProperty{{PhoneId: bPhone}}}})
	wantError(t, "B restarts with a rejected image", err, 400, "CPS.0030")
	up, err := cb.UpdateImageMember(&model.UpdateImageMemberRequest{ImageId: img,
		Body: &model.UpdateImageMemberRequestBody{Status: model.GetUpdateImageMemberRequestBodyStatusEnum().ACCEPTED}})
	ok(t, "UpdateImageMember accepted", err)
	if up.RequestId == nil {
		t.Errorf("UpdateImageMember = %s", dump(up))
	}
	l, err := cb.ListImages(&model.ListImagesRequest{ImageType: ptr("share")})
	ok(t, "ListImages share as B", err)
	if num(l.Total) != 1 || len(*l.ImageInfos) != 1 {
		t.Fatalf("B's shared images = %s", dump(l))
	}
	if v := (*l.ImageInfos)[0]; str(v.ImageId) != img || str(v.ImageType) != "share" || str(v.SrcProjectId) != a.projectID || v.ProjectId != nil || str(v.ImageName) != "shared-golden" {
		t.Errorf("shared image as B = %s", dump(v))
	}
	if pi := phoneImages(t, cb, "share"); num(pi[img].IsPublic) != 2 {
		t.Errorf("B's share phone images = %s", dump(pi))
	}
	if j := restartWith(t, cb, bPhone, img); num(j.Status) != 2 {
		t.Fatalf("B restarts with the shared image: %s", jobString(j))
	}
	if d := phone(t, cb, bPhone); str(d.ImageId) != img {
		t.Errorf("B's phone runs %s, want %s", str(d.ImageId), img)
	}

	// The image is in use by B's phone: the owner cannot delete it.
	_, err = ca.DeleteImage(&model.DeleteImageRequest{ImageId: img})
	wantError(t, "DeleteImage in use", err, 400, "CPS.9008")

	dm, err := ca.DeleteImageMember(&model.DeleteImageMemberRequest{ImageId: img, MemberId: bProject})
	ok(t, "DeleteImageMember", err)
	if dm.RequestId == nil || dm.ErrorCode != nil {
		t.Errorf("DeleteImageMember = %s", dump(dm))
	}
	if l, err := cb.ListImages(&model.ListImagesRequest{ImageType: ptr("share")}); err != nil || num(l.Total) != 0 {
		t.Errorf("B still lists the image after the revocation: %s %v", dump(l), err)
	}
	if m, err := ca.ListImageMembers(&model.ListImageMembersRequest{ImageId: img}); err != nil || m.Members == nil || len(*m.Members) != 0 {
		t.Errorf("members after the revocation = %s %v", dump(m), err)
	}
	_, err = cb.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		ImageId: &img, Phones: []model.PhoneProperty{{PhoneId: bPhone}}}})
	wantError(t, "B restarts with a revoked image", err, 400, "CPS.0030")

	// B's phone back on a public image: the image can go.
	if j := restartWith(t, cb, bPhone, image11); num(j.Status) != 2 {
		t.Fatalf("B restarts with a public image: %s", jobString(j))
	}
	di, err := ca.DeleteImage(&model.DeleteImageRequest{ImageId: img})
	ok(t, "DeleteImage", err)
	if di.RequestId == nil || di.ErrorCode != nil {
		t.Errorf("DeleteImage = %s", dump(di))
	}
	if l, err := ca.ListImages(&model.ListImagesRequest{}); err != nil || num(l.Total) != 0 {
		t.Errorf("images after the delete = %s %v", dump(l), err)
	}

	// Refusals.
	other := a.createImage(t, "other", *aPhones[1].PhoneId)
	_, err = ca.AddImageMember(&model.AddImageMemberRequest{ImageId: other, Body: &model.AddImageMemberRequestBody{Member: &a.projectID}})
	wantError(t, "AddImageMember own project", err, 400, "CPS.9011")
	_, err = ca.AddImageMember(&model.AddImageMemberRequest{ImageId: unknown, Body: &model.AddImageMemberRequestBody{Member: &bProject}})
	wantError(t, "AddImageMember unknown image", err, 404, "CPS.0030")
	_, err = cb.AddImageMember(&model.AddImageMemberRequest{ImageId: other, Body: &model.AddImageMemberRequestBody{Member: &a.projectID}})
	wantError(t, "AddImageMember on another project's image", err, 404, "CPS.0030")
	_, err = cb.ListImageMembers(&model.ListImageMembersRequest{ImageId: other})
	wantError(t, "ListImageMembers of another project's image", err, 404, "CPS.0030")
	_, err = cb.UpdateImageMember(&model.UpdateImageMemberRequest{ImageId: other,
		Body: &model.UpdateImageMemberRequestBody{Status: model.GetUpdateImageMemberRequestBodyStatusEnum().ACCEPTED}})
	wantError(t, "UpdateImageMember of an image not shared with B", err, 404, "CPS.0030")
	_, err = ca.DeleteImageMember(&model.DeleteImageMemberRequest{ImageId: other, MemberId: bProject})
	wantError(t, "DeleteImageMember of a non-member", err, 400, "CPS.9011")
	_, err = ca.DeleteImage(&model.DeleteImageRequest{ImageId: img})
	wantError(t, "DeleteImage of a deleted image", err, 404, "CPS.0030")
	_, err = ca.DeleteImage(&model.DeleteImageRequest{ImageId: image11})
	wantError(t, "DeleteImage of a public image", err, 404, "CPS.0030")
}
