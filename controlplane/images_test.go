package controlplane_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/controlplane/cptest/cpclient"
)

// wantAPIError fails the test unless err is an API error with that status and code.
func wantImageError(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("%s: err = %v, want %d %s", what, err, status, code)
		return
	}
	if apiErr.StatusCode != status || apiErr.Code != code {
		t.Errorf("%s: got %d %s (%s), want %d %s", what, apiErr.StatusCode, apiErr.Code, apiErr.Message, status, code)
	}
}

func imageIDs[T any](list []T, id func(T) string) map[string]bool {
	out := map[string]bool{}
	for _, v := range list {
		out[id(v)] = true
	}
	return out
}

func phoneImageIDs(list []cph.PhoneImage) map[string]bool {
	return imageIDs(list, func(im cph.PhoneImage) string { return im.ID })
}

// twoAccounts starts a control plane, and gives the second simulated server
// to a second account. It returns clients of both accounts, their project
// ids and one phone of each.
type twoAccounts struct {
	srv              *controlplane.Server
	a, b             *client.Client
	aProject, bProj  string
	aPhone, bPhone   string
	bServer, aServer string
}

func startTwoAccounts(t *testing.T, mutate func(*controlplane.Config)) *twoAccounts {
	t.Helper()
	ctx := context.Background()
	srv := cptest.Start(t, mutate)
	x := &twoAccounts{srv: srv, a: cpclient.New(t, srv)}
	servers, err := x.a.ListServers(ctx, client.ListServersOptions{})
	if err != nil || len(servers.Servers) != 2 {
		t.Fatalf("list servers: %v %v", servers, err)
	}
	x.aServer, x.bServer = servers.Servers[0].ID, servers.Servers[1].ID
	x.bProj = cptest.CreateAccount(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	cptest.GiveServer(t, srv, x.bServer, x.bProj)
	x.b = cpclient.For(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	if x.aProject, err = x.a.ProjectID(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := x.b.ProjectID(ctx); err != nil || got != x.bProj {
		t.Fatalf("project of b = %q, %v; want %q", got, err, x.bProj)
	}
	aPhones, err := x.a.ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil || len(aPhones.Phones) != 3 {
		t.Fatalf("phones of a: %v %v", aPhones, err)
	}
	bPhones, err := x.b.ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil || len(bPhones.Phones) != 3 {
		t.Fatalf("phones of b: %v %v", bPhones, err)
	}
	x.aPhone, x.bPhone = aPhones.Phones[0].ID, bPhones.Phones[0].ID
	return x
}

// restartWith restarts phoneID with imageID and waits for the job.
func restartWith(t *testing.T, c *client.Client, phoneID, imageID string) cph.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{ImageID: imageID, Phones: []cph.PhoneRef{{PhoneID: phoneID}}})
	if err != nil {
		t.Fatalf("restart %s with %s: %v", phoneID, imageID, err)
	}
	if res.Jobs[0].ErrorCode != "" {
		t.Fatalf("restart %s refused: %+v", phoneID, res.Jobs[0])
	}
	jobs, err := c.WaitJobs(ctx, res.RequestID, client.WaitOptions{Interval: 20 * time.Millisecond})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("wait for restart: %v %v", jobs, err)
	}
	return jobs[0]
}

func TestListCloudPhoneImages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := cptest.Start(t, nil)
	c := cpclient.New(t, srv)
	public, err := c.ListPhoneImages(ctx, "public")
	if err != nil {
		t.Fatal(err)
	}
	if len(public) != 2 {
		t.Fatalf("public images = %+v, want the 2 seeded ones", public)
	}
	for _, im := range public {
		if im.IsPublic != 1 || im.ID == "" || im.Name == "" || im.OSType != "Android" || im.Label != "cloud_phone" {
			t.Errorf("public image = %+v", im)
		}
	}
	for _, typ := range []string{"", "all"} {
		all, err := c.ListPhoneImages(ctx, typ)
		if err != nil || len(all) != 2 {
			t.Errorf("image_type=%q: %+v %v, want the 2 public images", typ, all, err)
		}
	}
	for _, typ := range []string{"private", "share"} {
		if got, err := c.ListPhoneImages(ctx, typ); err != nil || len(got) != 0 {
			t.Errorf("image_type=%s: %+v %v, want none", typ, got, err)
		}
	}
	_, err = c.ListPhoneImages(ctx, "bogus")
	wantImageError(t, "image_type=bogus", err, 400, "CPS.9011")

	phones, err := c.ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateImage(ctx, "golden-image", phones.Phones[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	private, err := c.ListPhoneImages(ctx, "private")
	if err != nil || len(private) != 1 || private[0].ID != id || private[0].IsPublic != 2 || private[0].Name != "golden-image" {
		t.Errorf("private images = %+v %v", private, err)
	}
	all, err := c.ListPhoneImages(ctx, "all")
	if ids := phoneImageIDs(all); err != nil || len(all) != 3 || !ids[id] {
		t.Errorf("all images = %+v %v", all, err)
	}
	if public, err := c.ListPhoneImages(ctx, "public"); err != nil || phoneImageIDs(public)[id] {
		t.Errorf("public images include the private one: %+v %v", public, err)
	}
}

func TestCreateAndListImages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := cptest.Start(t, nil)
	c := cpclient.New(t, srv)
	pid, err := c.ProjectID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	phones, err := c.ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second).UnixMilli()
	first, err := c.CreateImage(ctx, "alpha", phones.Phones[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.CreateImage(ctx, "beta", phones.Phones[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListImages(ctx, client.ListImagesOptions{Type: "private"})
	if err != nil {
		t.Fatal(err)
	}
	if list.Total != 2 || len(list.Images) != 2 {
		t.Fatalf("private images = %+v", list)
	}
	for _, im := range list.Images {
		if im.Type != "private" || im.ProjectID != pid || im.SrcProjectID != "" || im.Status != cph.ImageProduction ||
			im.Version != "AOSP 11.0" || im.Size <= 0 || im.DomainID == "" || im.CreateTime.IsZero() {
			t.Errorf("image = %+v", im)
		}
	}
	one := 1
	page, err := c.ListImages(ctx, client.ListImagesOptions{Limit: &one, Offset: &one})
	if err != nil || page.Total != 2 || len(page.Images) != 1 {
		t.Errorf("page 2 of 1: %+v %v", page, err)
	}
	byName, err := c.ListImages(ctx, client.ListImagesOptions{Name: "ALP"})
	if err != nil || byName.Total != 1 || byName.Images[0].ID != first {
		t.Errorf("image_name=ALP: %+v %v", byName, err)
	}
	byID, err := c.ListImages(ctx, client.ListImagesOptions{ImageID: second})
	if err != nil || byID.Total != 1 || byID.Images[0].Name != "beta" {
		t.Errorf("image_id filter: %+v %v", byID, err)
	}
	failed := cph.ImageCreateFailed
	if none, err := c.ListImages(ctx, client.ListImagesOptions{Status: &failed}); err != nil || none.Total != 0 {
		t.Errorf("status=2: %+v %v", none, err)
	}
	if got, err := c.ListImages(ctx, client.ListImagesOptions{CreateSince: &before}); err != nil || got.Total != 2 {
		t.Errorf("create_since: %+v %v", got, err)
	}
	if got, err := c.ListImages(ctx, client.ListImagesOptions{CreateUntil: &before}); err != nil || got.Total != 0 {
		t.Errorf("create_until: %+v %v", got, err)
	}
	if got, err := c.ListImages(ctx, client.ListImagesOptions{Type: "share"}); err != nil || got.Total != 0 {
		t.Errorf("share images = %+v %v", got, err)
	}
	// The new image boots phones.
	if job := restartWith(t, c, phones.Phones[2].ID, second); job.Status != cph.JobSucceeded {
		t.Fatalf("restart with private image: %+v", job)
	}
	if d, err := c.ShowPhone(ctx, phones.Phones[2].ID); err != nil || d.ImageID != second {
		t.Errorf("phone image after restart = %v %v, want %s", d, err, second)
	}

	// Errors.
	zero, big := 0, 101
	_, err = c.ListImages(ctx, client.ListImagesOptions{Limit: &zero})
	wantImageError(t, "limit=0", err, 400, "CPS.0002")
	_, err = c.ListImages(ctx, client.ListImagesOptions{Limit: &big})
	wantImageError(t, "limit=101", err, 400, "CPS.0002")
	bad := cph.ImageStatus(7)
	_, err = c.ListImages(ctx, client.ListImagesOptions{Status: &bad})
	wantImageError(t, "status=7", err, 400, "CPS.0010")
	_, err = c.ListImages(ctx, client.ListImagesOptions{Type: "public"})
	wantImageError(t, "image_type=public", err, 400, "CPS.9011")
	neg := int64(-1)
	_, err = c.ListImages(ctx, client.ListImagesOptions{CreateSince: &neg})
	wantImageError(t, "create_since=-1", err, 400, "CPS.9011")
	_, err = c.CreateImage(ctx, "x", "ffffffffffffffffffffffffffffffff")
	wantImageError(t, "create from unknown phone", err, 404, "CPS.0005")
	_, err = c.CreateImage(ctx, "x", "not a phone id!")
	wantImageError(t, "create from malformed phone id", err, 400, "CPS.0004")
	_, err = c.CreateImage(ctx, "", phones.Phones[0].ID)
	wantImageError(t, "create with empty name", err, 400, "CPS.9011")
	if got, err := c.ListImages(ctx, client.ListImagesOptions{}); err != nil || got.Total != 2 {
		t.Errorf("refused creations changed the images: %+v %v", got, err)
	}
}

func TestImageSharing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	x := startTwoAccounts(t, nil)
	a, b := x.a, x.b
	img, err := a.CreateImage(ctx, "shared-golden", x.aPhone)
	if err != nil {
		t.Fatal(err)
	}
	shared := func() (list *client.ImageList, phoneImages map[string]bool) {
		t.Helper()
		list, err := b.ListImages(ctx, client.ListImagesOptions{Type: "share"})
		if err != nil {
			t.Fatal(err)
		}
		pi, err := b.ListPhoneImages(ctx, "share")
		if err != nil {
			t.Fatal(err)
		}
		// ListCloudPhoneImages lists shared images whatever B answered;
		// phoneImages holds the accepted ones.
		var accepted []cph.PhoneImage
		for _, im := range pi {
			if im.ReceiveStatus != nil && *im.ReceiveStatus == cph.ReceiveAccepted {
				accepted = append(accepted, im)
			}
		}
		return list, phoneImageIDs(accepted)
	}
	// receive returns B's receive_status of the image, -1 when it is not
	// listed.
	receive := func() int32 {
		t.Helper()
		pi, err := b.ListPhoneImages(ctx, "share")
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range pi {
			if im.ID == img && im.ReceiveStatus != nil {
				return *im.ReceiveStatus
			}
		}
		return -1
	}

	// Before sharing, B neither sees nor can use the image.
	if list, pi := shared(); list.Total != 0 || pi[img] {
		t.Fatalf("B sees the image before sharing: %+v %v", list, pi)
	}
	_, err = b.RestartPhones(ctx, client.RestartPhonesRequest{ImageID: img, Phones: []cph.PhoneRef{{PhoneID: x.bPhone}}})
	wantImageError(t, "B restarts with an unshared image", err, 400, "CPS.0030")

	// A shares: the member is pending, B still does not see it.
	if err := a.AddImageMember(ctx, img, x.bProj); err != nil {
		t.Fatal(err)
	}
	members, err := a.ListImageMembers(ctx, img)
	if err != nil || len(members) != 1 || members[0].MemberID != x.bProj || members[0].ImageID != img ||
		members[0].Status != "pending" || members[0].CreateTime < time.Now().Add(-time.Minute).UnixMilli() {
		t.Fatalf("members = %+v %v", members, err)
	}
	if list, pi := shared(); list.Total != 0 || pi[img] || receive() != cph.ReceivePending {
		t.Fatalf("B sees the image before accepting: %+v %v (receive_status %d)", list, pi, receive())
	}
	_, err = b.RestartPhones(ctx, client.RestartPhonesRequest{ImageID: img, Phones: []cph.PhoneRef{{PhoneID: x.bPhone}}})
	wantImageError(t, "B restarts with a pending image", err, 400, "CPS.0030")

	// B accepts: the image is listed as shared and boots B's phone.
	if err := b.UpdateImageMember(ctx, img, "accepted"); err != nil {
		t.Fatal(err)
	}
	list, pi := shared()
	if list.Total != 1 || !pi[img] {
		t.Fatalf("B does not see the accepted image: %+v %v", list, pi)
	}
	if v := list.Images[0]; v.ID != img || v.Type != "share" || v.SrcProjectID != x.aProject || v.ProjectID != "" || v.Name != "shared-golden" {
		t.Errorf("shared image view = %+v", v)
	}
	if bySrc, err := b.ListImages(ctx, client.ListImagesOptions{SrcProjectID: x.aProject}); err != nil || bySrc.Total != 1 {
		t.Errorf("src_project_id filter: %+v %v", bySrc, err)
	}
	if own, err := b.ListImages(ctx, client.ListImagesOptions{Type: "private"}); err != nil || own.Total != 0 {
		t.Errorf("B's private images = %+v %v", own, err)
	}
	if members, _ := a.ListImageMembers(ctx, img); len(members) != 1 || members[0].Status != "accepted" {
		t.Errorf("members after accept = %+v", members)
	}
	if job := restartWith(t, b, x.bPhone, img); job.Status != cph.JobSucceeded {
		t.Fatalf("B restart with shared image: %+v", job)
	}
	if d, err := b.ShowPhone(ctx, x.bPhone); err != nil || d.ImageID != img || d.Status != cph.PhoneRunning {
		t.Fatalf("B's phone after restart: %+v %v", d, err)
	}

	// The image is in use by B's phone: A cannot delete it.
	err = a.DeleteImage(ctx, img)
	wantImageError(t, "delete an image in use", err, 400, "CPS.9008")
	if got, err := a.ListImages(ctx, client.ListImagesOptions{ImageID: img}); err != nil || got.Total != 1 {
		t.Errorf("refused delete removed the image: %+v %v", got, err)
	}

	// B rejects: the image disappears from B's lists and cannot be used.
	if err := b.UpdateImageMember(ctx, img, "rejected"); err != nil {
		t.Fatal(err)
	}
	if list, pi := shared(); list.Total != 0 || pi[img] || receive() != cph.ReceiveRejected {
		t.Errorf("B still sees the rejected image: %+v %v (receive_status %d)", list, pi, receive())
	}
	_, err = b.ResetPhones(ctx, client.ResetPhonesRequest{ImageID: img, Phones: []cph.PhoneRef{{PhoneID: x.bPhone}}})
	wantImageError(t, "B resets with a rejected image", err, 400, "CPS.0030")

	// Accept again, then A revokes the membership.
	if err := b.UpdateImageMember(ctx, img, "accepted"); err != nil {
		t.Fatal(err)
	}
	if list, _ := shared(); list.Total != 1 {
		t.Fatalf("B does not see the re-accepted image: %+v", list)
	}
	if err := a.DeleteImageMember(ctx, img, x.bProj); err != nil {
		t.Fatal(err)
	}
	if members, err := a.ListImageMembers(ctx, img); err != nil || len(members) != 0 {
		t.Errorf("members after unshare = %+v %v", members, err)
	}
	if list, pi := shared(); list.Total != 0 || pi[img] {
		t.Errorf("B still sees the unshared image: %+v %v", list, pi)
	}
	err = b.UpdateImageMember(ctx, img, "accepted")
	wantImageError(t, "B accepts an unshared image", err, 404, "CPS.0030")
	err = a.DeleteImageMember(ctx, img, x.bProj)
	wantImageError(t, "unshare twice", err, 400, "CPS.9011")

	// B's phone leaves the image; then A can delete it, with its members.
	if job := restartWith(t, b, x.bPhone, "a1b2c3d4e5f60718293a4b5c6d7e8f12"); job.Status != cph.JobSucceeded {
		t.Fatalf("B restart with public image: %+v", job)
	}
	if err := a.AddImageMember(ctx, img, x.bProj); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	if got, err := a.ListImages(ctx, client.ListImagesOptions{}); err != nil || got.Total != 0 {
		t.Errorf("A's images after delete: %+v %v", got, err)
	}
	_, err = a.ListImageMembers(ctx, img)
	wantImageError(t, "members of a deleted image", err, 404, "CPS.0030")
	err = b.UpdateImageMember(ctx, img, "accepted")
	wantImageError(t, "accept a deleted image", err, 404, "CPS.0030")
	err = a.DeleteImage(ctx, img)
	wantImageError(t, "delete twice", err, 404, "CPS.0030")
}

func TestImageMemberLimitAndErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	x := startTwoAccounts(t, nil)
	a, b := x.a, x.b
	img, err := a.CreateImage(ctx, "popular", x.aPhone)
	if err != nil {
		t.Fatal(err)
	}
	members := []string{x.bProj}
	for i := 2; i <= cph.MaxImageMembers+1; i++ {
		name := fmt.Sprintf("tenant%02d", i)
		members = append(members, cptest.CreateAccount(t, x.srv, name, name, "tenant-Passw0rd", cptest.Project))
	}
	for _, m := range members[:cph.MaxImageMembers] {
		if err := a.AddImageMember(ctx, img, m); err != nil {
			t.Fatalf("add member %s: %v", m, err)
		}
	}
	err = a.AddImageMember(ctx, img, members[cph.MaxImageMembers])
	wantImageError(t, "11th member", err, 400, "CPS.9008")
	// Re-adding a member is not an 11th member.
	if err := a.AddImageMember(ctx, img, x.bProj); err != nil {
		t.Errorf("re-add member: %v", err)
	}
	got, err := a.ListImageMembers(ctx, img)
	if err != nil || len(got) != cph.MaxImageMembers {
		t.Fatalf("members = %d %v, want %d", len(got), err, cph.MaxImageMembers)
	}
	// After one member goes, another can come.
	if err := a.DeleteImageMember(ctx, img, members[1]); err != nil {
		t.Fatal(err)
	}
	if err := a.AddImageMember(ctx, img, members[cph.MaxImageMembers]); err != nil {
		t.Errorf("add member after a removal: %v", err)
	}

	// A rejected member that is asked again is pending again.
	if err := b.UpdateImageMember(ctx, img, "rejected"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddImageMember(ctx, img, x.bProj); err != nil {
		t.Fatal(err)
	}
	got, _ = a.ListImageMembers(ctx, img)
	if i := slices.IndexFunc(got, func(m cph.ImageMember) bool { return m.MemberID == x.bProj }); i < 0 || got[i].Status != "pending" {
		t.Errorf("re-invited member in %+v", got)
	}

	public := "a1b2c3d4e5f60718293a4b5c6d7e8f11"
	unknown := "ffffffffffffffffffffffffffffffff"
	otherRegion := cptest.CreateAccount(t, x.srv, "initech", "initech", "initech-Passw0rd", "cn-east-3")
	cases := []struct {
		what   string
		err    error
		status int
		code   string
	}{
		{"add member to unknown image", a.AddImageMember(ctx, unknown, x.bProj), 404, "CPS.0030"},
		{"add member to public image", a.AddImageMember(ctx, public, x.bProj), 404, "CPS.0030"},
		{"add member to another project's image", b.AddImageMember(ctx, img, x.aProject), 404, "CPS.0030"},
		{"add unknown project", a.AddImageMember(ctx, img, unknown), 400, "CPS.9011"},
		{"add own project", a.AddImageMember(ctx, img, x.aProject), 400, "CPS.9011"},
		{"add empty member", a.AddImageMember(ctx, img, ""), 400, "CPS.9011"},
		{"add project of another region", a.AddImageMember(ctx, img, otherRegion), 400, "CPS.9011"},
		{"delete unknown image", a.DeleteImage(ctx, unknown), 404, "CPS.0030"},
		{"delete public image", a.DeleteImage(ctx, public), 404, "CPS.0030"},
		{"delete another project's image", b.DeleteImage(ctx, img), 404, "CPS.0030"},
		{"delete malformed image id", a.DeleteImage(ctx, "bad*id"), 404, "CPS.0030"},
		{"bad member status", b.UpdateImageMember(ctx, img, "maybe"), 400, "CPS.9011"},
		{"answer for an image not shared", a.UpdateImageMember(ctx, img, "accepted"), 404, "CPS.0030"},
		{"delete unknown member", a.DeleteImageMember(ctx, img, unknown), 400, "CPS.9011"},
		{"delete member of another project's image", b.DeleteImageMember(ctx, img, x.bProj), 404, "CPS.0030"},
	}
	for _, c := range cases {
		wantImageError(t, c.what, c.err, c.status, c.code)
	}
	_, err = b.ListImageMembers(ctx, img)
	wantImageError(t, "members of another project's image", err, 404, "CPS.0030")
	if got, _ := a.ListImageMembers(ctx, img); len(got) != cph.MaxImageMembers {
		t.Errorf("refused calls changed the members: %d", len(got))
	}

	// Raw HTTP: malformed bodies and missing fields.
	token, _ := mustLogin(t, x.srv)
	api := x.srv.URL() + "/v1/" + x.aProject + "/cloud-phone/images/" + img + "/members"
	for _, tc := range []struct {
		method, url, body string
		status            int
		code              string
	}{
		{"POST", api, `{"member":`, 400, "APIGW.0201"},
		{"POST", api, `{}`, 400, "CPS.9011"},
		{"PUT", api, `[]`, 400, "APIGW.0201"},
		{"PUT", api, `{}`, 400, "CPS.9011"},
		{"POST", x.srv.URL() + "/opencph/v1/" + x.aProject + "/images", `{"image_name":"x"}`, 400, "CPS.0004"},
	} {
		r := do(t, tc.method, tc.url, token, tc.body)
		if r.status != tc.status || r.body["error_code"] != tc.code {
			t.Errorf("%s %s %s: %d %s, want %d %s", tc.method, tc.url, tc.body, r.status, r.raw, tc.status, tc.code)
		}
	}
	if r := do(t, "GET", x.srv.URL()+"/v1/"+x.bProj+"/cloud-phone/images", token, nil); r.status != http.StatusForbidden {
		t.Errorf("A lists B's images: %d %s", r.status, r.raw)
	}
	for _, path := range []string{"/cloud-phone/images", "/cloud-phone/phone-images", "/cloud-phone/images/" + img + "/members"} {
		if r := do(t, "GET", x.srv.URL()+"/v1/"+x.aProject+path, "", nil); r.status != http.StatusUnauthorized || r.body["error_code"] != "APIGW.0301" {
			t.Errorf("GET %s without a token: %d %s", path, r.status, r.raw)
		}
	}
	if r := do(t, "DELETE", x.srv.URL()+"/v1/"+x.aProject+"/cloud-phone/images/"+img, "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("DELETE without a token: %d %s", r.status, r.raw)
	}
	if got, _ := a.ListImages(ctx, client.ListImagesOptions{ImageID: img}); got == nil || got.Total != 1 {
		t.Errorf("the image is gone after refused calls: %+v", got)
	}
}

func TestImageKeptWhilePhonesBootWithIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	x := startTwoAccounts(t, func(c *controlplane.Config) { c.SimBootTime = time.Hour })
	a, b := x.a, x.b
	img, err := a.CreateImage(ctx, "booting", x.aPhone)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AddImageMember(ctx, img, x.bProj); err != nil {
		t.Fatal(err)
	}
	if err := b.UpdateImageMember(ctx, img, "accepted"); err != nil {
		t.Fatal(err)
	}
	res, err := b.RestartPhones(ctx, client.RestartPhonesRequest{ImageID: img, Phones: []cph.PhoneRef{{PhoneID: x.bPhone}}})
	if err != nil || res.Jobs[0].ErrorCode != "" {
		t.Fatalf("restart: %+v %v", res, err)
	}
	// The phone boots for an hour: the image must stay usable until then.
	wantImageError(t, "delete while booting", a.DeleteImage(ctx, img), 400, "CPS.9008")
	wantImageError(t, "unshare while booting", a.DeleteImageMember(ctx, img, x.bProj), 400, "CPS.9008")
	wantImageError(t, "reject while booting", b.UpdateImageMember(ctx, img, "rejected"), 400, "CPS.9008")
	if members, err := a.ListImageMembers(ctx, img); err != nil || len(members) != 1 || members[0].Status != "accepted" {
		t.Errorf("members after refused calls = %+v %v", members, err)
	}
	// A's own phones are not booting with it: A may still share it elsewhere,
	// and B may still accept again.
	if err := b.UpdateImageMember(ctx, img, "accepted"); err != nil {
		t.Errorf("accept again: %v", err)
	}
}
