package servicetest

import (
	"context"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/controlplane/cptest/cpclient"
)

// The account testImages shares an image with: its project has the name
// (so the region) of the bootstrap project, unlike OtherProject.
const (
	PeerDomain   = "initech"
	PeerPassword = cptest.Password
)

func testImages(t *testing.T, env *Env) {
	a, ro, o := env.Admin, env.ReadOnly, env.Other
	srv := env.ControlPlane
	t.Run("public images", func(t *testing.T) {
		publicPage, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Type: cph.ImageTypePublic})
		if err != nil {
			t.Fatal(err)
		}
		public := publicPage.Images
		if len(public) == 0 || publicPage.NextMarker != "" {
			t.Fatalf("public images: %d, next marker %q", len(public), publicPage.NextMarker)
		}
		for _, im := range public {
			if im.IsPublic != 1 || im.ID == "" || im.Name == "" || im.ReceiveStatus != nil {
				t.Errorf("public image = %+v", im)
			}
		}
		for _, c := range []Caller{ro, o} {
			got, err := c.S.ListPhoneImages(c.Ctx, cph.PhoneImageFilter{})
			if err != nil || len(got.Images) != len(public) {
				t.Errorf("all images of another caller: %+v, %v; want the %d public ones", got, err, len(public))
			}
		}
		none, err := a.S.ListImages(a.Ctx, cph.ImageFilter{Limit: 100})
		if err != nil || none.Total != 0 || len(none.Images) != 0 {
			t.Errorf("custom images before any was made: %+v, %v", none, err)
		}
	})
	t.Run("list refusals", func(t *testing.T) {
		_, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Type: "bogus"})
		wantCode(t, "phone images of type bogus", err, cph.CodeInvalidParameter)
		bad := cph.ImageStatus(9)
		refusals(t, a.Ctx, a.S.ListImages, []refusal[cph.ImageFilter]{
			{"limit 0", cph.ImageFilter{Limit: 0}, cph.CodeInvalidPaging},
			{"limit over the maximum", cph.ImageFilter{Limit: cph.MaxImagePage + 1}, cph.CodeInvalidPaging},
			{"negative offset", cph.ImageFilter{Offset: -1, Limit: 10}, cph.CodeInvalidPaging},
			{"type public", cph.ImageFilter{Limit: 10, Type: cph.ImageTypePublic}, cph.CodeInvalidParameter},
			{"unknown status", cph.ImageFilter{Limit: 10, Status: &bad}, cph.CodeInvalidStatus},
		})
	})

	phones, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Limit: 100})
	if err != nil || len(phones.Phones) < 2 {
		t.Fatalf("phones of the project: %+v, %v", phones, err)
	}
	phone, other := phones.Phones[0], phones.Phones[1]
	img, err := a.S.CreateImage(a.Ctx, cph.CreateImageParams{Name: "golden", PhoneID: phone.ID})
	if err != nil {
		t.Fatalf("create an image: %v", err)
	}
	t.Run("create", func(t *testing.T) {
		if img.ID == "" || img.Name != "golden" || img.Status != cph.ImageProduction {
			t.Errorf("created image = %+v", img)
		}
		pp, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Type: cph.ImageTypePrivate})
		if err != nil || len(pp.Images) != 1 || pp.Images[0].ID != img.ID || pp.Images[0].IsPublic != 2 || pp.Images[0].Name != "golden" ||
			pp.Images[0].ReceiveStatus != nil {
			t.Errorf("private images = %+v, %v", pp, err)
		}
		for _, c := range []Caller{a, ro} {
			page, err := c.S.ListImages(c.Ctx, cph.ImageFilter{Limit: 100, Type: cph.ImageTypePrivate})
			if err != nil || page.Total != 1 || len(page.Images) != 1 {
				t.Fatalf("own images = %+v, %v", page, err)
			}
			if v := page.Images[0]; v.ID != img.ID || v.Name != "golden" || v.ProjectID != env.ProjectID || v.Status != cph.ImageProduction {
				t.Errorf("own image view = %+v", v)
			}
		}
		refusals(t, a.Ctx, a.S.CreateImage, []refusal[cph.CreateImageParams]{
			{"empty name", cph.CreateImageParams{PhoneID: phone.ID}, cph.CodeInvalidParameter},
			{"name with a leading space", cph.CreateImageParams{Name: " x", PhoneID: phone.ID}, cph.CodeInvalidParameter},
			{"malformed phone id", cph.CreateImageParams{Name: "x", PhoneID: "not a phone!"}, cph.CodeInvalidPhoneID},
			{"unknown phone", cph.CreateImageParams{Name: "x", PhoneID: cph.NewID()}, cph.CodePhoneNotFound},
		})
	})

	peer, peerProject := peerCaller(t, env)
	otherProject := principal(t, srv, OtherDomain, OtherDomain, cptest.Password, OtherProject).ProjectID
	t.Run("share", func(t *testing.T) {
		// listed: ListImages?image_type=share lists it; receive: its
		// receive_status in ListCloudPhoneImages?image_type=share (-1: not
		// there); usable: a reset may boot with it.
		sharedWithPeer := func() (listed bool, receive int32, usable bool) {
			t.Helper()
			receive = -1
			page, err := peer.S.ListImages(peer.Ctx, cph.ImageFilter{Limit: 100, Type: cph.ImageTypeShare})
			if err != nil {
				t.Fatal(err)
			}
			pi, err := peer.S.ListPhoneImages(peer.Ctx, cph.PhoneImageFilter{Type: cph.ImageTypeShare})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Images {
				listed = listed || v.ID == img.ID
			}
			for _, v := range pi.Images {
				if v.ID == img.ID {
					if v.ReceiveStatus == nil || v.IsPublic != 2 {
						t.Fatalf("shared image without receive_status: %+v", v)
					}
					receive = *v.ReceiveStatus
				}
			}
			// The image is checked before the phones: an unknown phone is
			// refused in its entry only if the image is usable.
			_, err = peer.S.BatchPhones(peer.Ctx, cph.BatchPhonesParams{Kind: cph.OpResetPhone, ImageID: &img.ID,
				Phones: []cph.PhoneRef{{PhoneID: cph.NewID()}}})
			if err != nil && cph.ErrorCode(err) != cph.CodeInvalidImageID {
				t.Fatalf("reset with the shared image: %v", err)
			}
			return listed, receive, err == nil
		}
		if listed, receive, usable := sharedWithPeer(); listed || receive != -1 || usable {
			t.Fatalf("the peer sees the image before it is shared: listed %v, receive_status %d, usable %v", listed, receive, usable)
		}
		if err := a.S.AddImageMember(a.Ctx, img.ID, peerProject); err != nil {
			t.Fatalf("share: %v", err)
		}
		mp, err := a.S.ListImageMembers(a.Ctx, img.ID, cph.MarkerPage{})
		if err != nil || len(mp.Members) != 1 || mp.NextMarker != "" {
			t.Fatalf("members = %+v, %v", mp, err)
		}
		if m := mp.Members[0]; m.MemberID != peerProject || m.ImageID != img.ID || m.Status != cph.MemberPending {
			t.Fatalf("member = %+v", m)
		}
		if listed, receive, usable := sharedWithPeer(); listed || receive != cph.ReceivePending || usable {
			t.Fatalf("pending: listed %v, receive_status %d, usable %v; want false, 0, false", listed, receive, usable)
		}
		if err := peer.S.UpdateImageMember(peer.Ctx, img.ID, cph.ImageMemberUpdate{Status: cph.MemberRejected}); err != nil {
			t.Fatalf("reject: %v", err)
		}
		if listed, receive, usable := sharedWithPeer(); listed || receive != cph.ReceiveRejected || usable {
			t.Fatalf("rejected: listed %v, receive_status %d, usable %v; want false, 2, false", listed, receive, usable)
		}
		if err := peer.S.UpdateImageMember(peer.Ctx, img.ID, cph.ImageMemberUpdate{Status: cph.MemberAccepted}); err != nil {
			t.Fatalf("accept: %v", err)
		}
		if listed, receive, usable := sharedWithPeer(); !listed || receive != cph.ReceiveAccepted || !usable {
			t.Fatalf("accepted: listed %v, receive_status %d, usable %v; want true, 1, true", listed, receive, usable)
		}
		// The owner sees no receive_status on its own image.
		own, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Type: cph.ImageTypeAll})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range own.Images {
			if v.ReceiveStatus != nil {
				t.Errorf("the owner's list carries receive_status: %+v", v)
			}
		}
		page, err := peer.S.ListImages(peer.Ctx, cph.ImageFilter{Limit: 100, ImageID: &img.ID})
		if err != nil || page.Total != 1 {
			t.Fatalf("the shared image by id: %+v, %v", page, err)
		}
		if v := page.Images[0]; v.Type != cph.ImageTypeShare || v.SrcProjectID != env.ProjectID || v.ProjectID != "" {
			t.Errorf("shared image view = %+v", v)
		}
		mp, err = a.S.ListImageMembers(a.Ctx, img.ID, cph.MarkerPage{})
		if err != nil || len(mp.Members) != 1 || mp.Members[0].Status != cph.MemberAccepted {
			t.Errorf("members after accepting = %+v, %v", mp, err)
		}
	})
	t.Run("share refusals", func(t *testing.T) {
		for _, c := range []struct {
			name string
			err  error
			want string
		}{
			{"own project", a.S.AddImageMember(a.Ctx, img.ID, env.ProjectID), cph.CodeInvalidParameter},
			{"unknown project", a.S.AddImageMember(a.Ctx, img.ID, cph.NewID()), cph.CodeInvalidParameter},
			{"project of another region", a.S.AddImageMember(a.Ctx, img.ID, otherProject), cph.CodeInvalidParameter},
			{"unknown image", a.S.AddImageMember(a.Ctx, cph.NewID(), peerProject), cph.CodeInvalidImageID},
			{"bad answer", peer.S.UpdateImageMember(peer.Ctx, img.ID, cph.ImageMemberUpdate{Status: "maybe"}), cph.CodeInvalidParameter},
			{"answer for an image not shared", a.S.UpdateImageMember(a.Ctx, img.ID, cph.ImageMemberUpdate{Status: cph.MemberAccepted}), cph.CodeInvalidImageID},
			{"remove a project that is no member", a.S.DeleteImageMember(a.Ctx, img.ID, otherProject), cph.CodeInvalidParameter},
			{"the member shares it on", peer.S.AddImageMember(peer.Ctx, img.ID, otherProject), cph.CodeInvalidImageID},
			{"the member lists its members", listMembersErr(peer, img.ID), cph.CodeInvalidImageID},
			{"the member deletes it", peer.S.DeleteImage(peer.Ctx, img.ID), cph.CodeInvalidImageID},
		} {
			wantCode(t, c.name, c.err, c.want)
		}
	})
	t.Run("read-only users change nothing", func(t *testing.T) {
		wantCodes(t, cph.CodeForbidden, []failure{
			{"create", createErr(ro, cph.CreateImageParams{Name: "ro", PhoneID: phone.ID})},
			{"delete", ro.S.DeleteImage(ro.Ctx, img.ID)},
			{"share", ro.S.AddImageMember(ro.Ctx, img.ID, otherProject)},
			{"answer", ro.S.UpdateImageMember(ro.Ctx, img.ID, cph.ImageMemberUpdate{Status: cph.MemberRejected})},
			{"stop sharing", ro.S.DeleteImageMember(ro.Ctx, img.ID, peerProject)},
		})
		if members, err := ro.S.ListImageMembers(ro.Ctx, img.ID, cph.MarkerPage{}); err != nil || len(members.Members) != 1 {
			t.Errorf("members as the read-only user sees them: %+v, %v", members, err)
		}
		if page, err := a.S.ListImages(a.Ctx, cph.ImageFilter{Limit: 100}); err != nil || page.Total != 1 {
			t.Errorf("images after the refused calls: %+v, %v", page, err)
		}
	})
	t.Run("other accounts neither see nor touch it", func(t *testing.T) {
		page, err := o.S.ListImages(o.Ctx, cph.ImageFilter{Limit: 100})
		if err != nil || page.Total != 0 {
			t.Errorf("another account lists %+v, %v", page, err)
		}
		all, err := o.S.ListPhoneImages(o.Ctx, cph.PhoneImageFilter{Type: cph.ImageTypeAll})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range all.Images {
			if v.ID == img.ID {
				t.Errorf("another account may boot with the image: %+v", v)
			}
		}
		wantCodes(t, cph.CodeInvalidImageID, []failure{
			{"delete", o.S.DeleteImage(o.Ctx, img.ID)},
			{"share", o.S.AddImageMember(o.Ctx, img.ID, otherProject)},
			{"list members", listMembersErr(o, img.ID)},
			{"accept", o.S.UpdateImageMember(o.Ctx, img.ID, cph.ImageMemberUpdate{Status: cph.MemberAccepted})},
			{"stop sharing", o.S.DeleteImageMember(o.Ctx, img.ID, peerProject)},
		})
		if page, err := a.S.ListImages(a.Ctx, cph.ImageFilter{Limit: 100, ImageID: &img.ID}); err != nil || page.Total != 1 {
			t.Errorf("the image after another account's calls: %+v, %v", page, err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		used, err := a.S.CreateImage(a.Ctx, cph.CreateImageParams{Name: "in use", PhoneID: other.ID})
		if err != nil {
			t.Fatal(err)
		}
		bootWith(t, env, other.ID, used.ID)
		wantCode(t, "delete an image a phone runs", a.S.DeleteImage(a.Ctx, used.ID), cph.CodeNotAllowed)
		if page, err := a.S.ListImages(a.Ctx, cph.ImageFilter{Limit: 100, ImageID: &used.ID}); err != nil || page.Total != 1 {
			t.Errorf("the image in use after the refused delete: %+v, %v", page, err)
		}

		if err := a.S.DeleteImageMember(a.Ctx, img.ID, peerProject); err != nil {
			t.Fatalf("stop sharing: %v", err)
		}
		if members, err := a.S.ListImageMembers(a.Ctx, img.ID, cph.MarkerPage{}); err != nil || len(members.Members) != 0 {
			t.Errorf("members after stopping sharing: %+v, %v", members, err)
		}
		if page, err := peer.S.ListImages(peer.Ctx, cph.ImageFilter{Limit: 100}); err != nil || page.Total != 0 {
			t.Errorf("the peer still lists the image: %+v, %v", page, err)
		}
		if err := a.S.AddImageMember(a.Ctx, img.ID, peerProject); err != nil {
			t.Fatalf("share again: %v", err)
		}
		if err := a.S.DeleteImage(a.Ctx, img.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		wantCode(t, "delete again", a.S.DeleteImage(a.Ctx, img.ID), cph.CodeInvalidImageID)
		wantCode(t, "members of a deleted image", listMembersErr(a, img.ID), cph.CodeInvalidImageID)
		wantCode(t, "accept a deleted image", peer.S.UpdateImageMember(peer.Ctx, img.ID, cph.ImageMemberUpdate{Status: cph.MemberAccepted}),
			cph.CodeInvalidImageID)
		wantCode(t, "delete a malformed id", a.S.DeleteImage(a.Ctx, "bad*id"), cph.CodeInvalidImageID)
		public, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Type: cph.ImageTypePublic})
		if err != nil || len(public.Images) == 0 {
			t.Fatalf("public images: %+v, %v", public, err)
		}
		wantCode(t, "delete a public image", a.S.DeleteImage(a.Ctx, public.Images[0].ID), cph.CodeInvalidImageID)
		page, err := a.S.ListImages(a.Ctx, cph.ImageFilter{Limit: 100})
		if err != nil || page.Total != 1 || page.Images[0].ID != used.ID {
			t.Errorf("images after the delete: %+v, %v", page, err)
		}
	})
}

// createErr returns the error of c creating an image.
func createErr(c Caller, p cph.CreateImageParams) error {
	_, err := c.S.CreateImage(c.Ctx, p)
	return err
}

// listMembersErr returns the error of c listing the members of an image.
func listMembersErr(c Caller, imageID string) error {
	_, err := c.S.ListImageMembers(c.Ctx, imageID, cph.MarkerPage{})
	return err
}

// peerCaller creates a further account whose project is in the region of
// env's project, and returns its admin, using the front end of env.Admin,
// and its project's id.
func peerCaller(t *testing.T, env *Env) (Caller, string) {
	t.Helper()
	srv := env.ControlPlane
	project := cptest.CreateAccount(t, srv, PeerDomain, PeerDomain, PeerPassword, cptest.Project)
	if _, overHTTP := env.Admin.S.(*client.Services); overHTTP {
		return Caller{Ctx: context.Background(), S: cpclient.For(t, srv, PeerDomain, PeerDomain, PeerPassword, cptest.Project).Services()}, project
	}
	p := principal(t, srv, PeerDomain, PeerDomain, PeerPassword, cptest.Project)
	return Caller{Ctx: cph.NewCallerContext(context.Background(), p), S: srv.Services()}, project
}

// bootWith restarts the phone of env's project with the image and waits
// until the phone runs it.
func bootWith(t *testing.T, env *Env, phoneID, imageID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := cpclient.New(t, env.ControlPlane)
	res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{ImageID: imageID, Phones: []cph.PhoneRef{{PhoneID: phoneID}}})
	if err != nil || len(res.Jobs) != 1 || res.Jobs[0].ErrorCode != "" {
		t.Fatalf("restart %s with %s: %+v, %v", phoneID, imageID, res, err)
	}
	jobs, err := c.WaitJobs(ctx, res.RequestID, client.WaitOptions{Interval: 20 * time.Millisecond})
	if err != nil || len(jobs) != 1 || jobs[0].Status != cph.JobSucceeded {
		t.Fatalf("restart %s with %s: jobs %+v, %v", phoneID, imageID, jobs, err)
	}
	ph, err := c.ShowPhone(ctx, phoneID)
	if err != nil || ph.ImageID != imageID {
		t.Fatalf("phone %s after the restart: %+v, %v", phoneID, ph, err)
	}
}
