package servicetest

import (
	"context"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
)

func testPhones(t *testing.T, env *Env) {
	a := env.Admin
	t.Run("list", func(t *testing.T) {
		page, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total == 0 || len(page.Phones) != page.Total {
			t.Fatalf("total %d, %d phones on the page", page.Total, len(page.Phones))
		}
		for _, p := range page.Phones {
			if p.ID == "" || p.ServerID == "" {
				t.Errorf("phone without id or server: %+v", p)
			}
		}
		two, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Offset: 1, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if two.Total != page.Total || len(two.Phones) != 2 || two.Phones[0].ID != page.Phones[1].ID {
			t.Errorf("offset 1 limit 2: total %d, %d phones", two.Total, len(two.Phones))
		}
		srv := page.Phones[0].ServerID
		byServer, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Limit: 100, ServerID: &srv})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range byServer.Phones {
			if p.ServerID != srv {
				t.Errorf("server filter %s gave a phone of %s", srv, p.ServerID)
			}
		}
		if byServer.Total == 0 || byServer.Total >= page.Total {
			t.Errorf("server filter: %d of %d phones", byServer.Total, page.Total)
		}
		zero := cph.PhoneStatus(0)
		if none, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Limit: 10, Status: &zero}); err != nil || none.Total != 0 {
			t.Errorf("status 0: %v, %+v", err, none)
		}
	})
	t.Run("list refusals", func(t *testing.T) {
		bad := cph.PhoneStatus(42)
		typ := int32(7)
		refusals(t, a.Ctx, a.S.ListPhones, []refusal[cph.PhoneFilter]{
			{"limit 0", cph.PhoneFilter{Limit: 0}, cph.CodeInvalidPaging},
			{"limit over the maximum", cph.PhoneFilter{Limit: cph.MaxPhonePage + 1}, cph.CodeInvalidPaging},
			{"negative offset", cph.PhoneFilter{Offset: -1, Limit: 10}, cph.CodeInvalidPaging},
			{"unknown status", cph.PhoneFilter{Limit: 10, Status: &bad}, cph.CodeInvalidStatus},
			{"unknown type", cph.PhoneFilter{Limit: 10, Type: &typ}, cph.CodeInvalidParameter},
		})
	})
	t.Run("read-only users read", func(t *testing.T) {
		ro, err := env.ReadOnly.S.ListPhones(env.ReadOnly.Ctx, cph.PhoneFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if ro.Total == 0 {
			t.Error("a read-only user sees no phones")
		}
	})
	t.Run("other accounts see none of them", func(t *testing.T) {
		o, err := env.Other.S.ListPhones(env.Other.Ctx, cph.PhoneFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if o.Total != 0 {
			t.Errorf("another account sees %d phones", o.Total)
		}
	})
	t.Run("show", func(t *testing.T) {
		ph := runningPhone(t, a)
		d, err := a.S.ShowPhone(a.Ctx, ph.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != ph.ID || d.ServerID != ph.ServerID || d.Name != ph.Name || d.Status != ph.Status {
			t.Errorf("detail %+v of phone %+v", d, ph)
		}
		if len(d.AccessInfos) != 1 || d.AccessInfos[0].Type != "adb" || d.AccessInfos[0].AccessPort == 0 {
			t.Errorf("access infos %+v", d.AccessInfos)
		}
		if d.Property == "" {
			t.Error("no property object")
		}
		if ro, err := env.ReadOnly.S.ShowPhone(env.ReadOnly.Ctx, ph.ID); err != nil || ro.ID != ph.ID {
			t.Errorf("read-only user: %v, %+v", err, ro)
		}
	})
	t.Run("show refusals", func(t *testing.T) {
		ph := runningPhone(t, a)
		_, err := a.S.ShowPhone(a.Ctx, "not an id!")
		wantCode(t, "malformed id", err, cph.CodeInvalidPhoneID)
		_, err = a.S.ShowPhone(a.Ctx, cph.NewID())
		wantCode(t, "unknown phone", err, cph.CodePhoneNotFound)
		_, err = env.Other.S.ShowPhone(env.Other.Ctx, ph.ID)
		wantCode(t, "another account's phone", err, cph.CodePhoneNotFound)
	})
	t.Run("rename", func(t *testing.T) {
		ph := runningPhone(t, a)
		name := "renamed-" + ph.ID[:6]
		if err := a.S.UpdatePhone(a.Ctx, ph.ID, cph.PhoneUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		if d, err := a.S.ShowPhone(a.Ctx, ph.ID); err != nil || d.Name != name {
			t.Errorf("after the rename: %v, name %q", err, d.Name)
		}
		bad := "no spaces allowed"
		wantCode(t, "invalid name", a.S.UpdatePhone(a.Ctx, ph.ID, cph.PhoneUpdate{Name: &bad}), cph.CodePhoneNameInvalid)
		wantCode(t, "no name", a.S.UpdatePhone(a.Ctx, ph.ID, cph.PhoneUpdate{}), cph.CodePhoneNameInvalid)
		other := "other-name"
		wantCode(t, "another account's phone", env.Other.S.UpdatePhone(env.Other.Ctx, ph.ID, cph.PhoneUpdate{Name: &other}), cph.CodePhoneNotFound)
		if d, err := a.S.ShowPhone(a.Ctx, ph.ID); err != nil || d.Name != name {
			t.Errorf("after the refusals: %v, name %q", err, d.Name)
		}
	})
	t.Run("read-only users change nothing", func(t *testing.T) {
		ph := runningPhone(t, a)
		ro := env.ReadOnly
		refs := []cph.PhoneRef{{PhoneID: ph.ID}}
		for _, kind := range []cph.OpKind{cph.OpRestartPhone, cph.OpResetPhone, cph.OpStopPhone} {
			_, err := ro.S.BatchPhones(ro.Ctx, cph.BatchPhonesParams{Kind: kind, Phones: refs})
			wantCode(t, string(kind), err, cph.CodeForbidden)
		}
		name := "read-only-name"
		wantCode(t, "rename", ro.S.UpdatePhone(ro.Ctx, ph.ID, cph.PhoneUpdate{Name: &name}), cph.CodeForbidden)
		_, err := ro.S.UpdatePhoneProperties(ro.Ctx, []cph.PhoneRef{{PhoneID: ph.ID, Property: `{"com.cph.mainkeys":1}`}})
		wantCode(t, "properties", err, cph.CodeForbidden)
		cmd := cph.CommandParams{Command: cph.CommandShell, Content: "getprop ro.product.model", PhoneIDs: []string{ph.ID}}
		_, err = ro.S.RunCommand(ro.Ctx, cmd)
		wantCode(t, "command", err, cph.CodeForbidden)
		_, err = ro.S.RunSyncCommand(ro.Ctx, cmd)
		wantCode(t, "sync command", err, cph.CodeForbidden)
		_, err = ro.S.ShowConnectInfos(ro.Ctx, "ANDROID", []string{ph.ID})
		wantCode(t, "connection tickets", err, cph.CodeForbidden)
		if d, err := a.S.ShowPhone(a.Ctx, ph.ID); err != nil || d.Status != cph.PhoneRunning || d.Name == name {
			t.Errorf("after the refusals: %v, %+v", err, d)
		}
	})
	t.Run("other accounts cannot restart them", func(t *testing.T) {
		ph := runningPhone(t, a)
		o := env.Other
		res, err := o.S.BatchPhones(o.Ctx, cph.BatchPhonesParams{Kind: cph.OpRestartPhone, Phones: []cph.PhoneRef{{PhoneID: ph.ID}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) != 1 || res.Jobs[0].PhoneID != ph.ID || res.Jobs[0].JobID != "" || res.Jobs[0].ErrorCode != cph.CodePhoneNotFound {
			t.Errorf("answer %+v", res.Jobs)
		}
		if d, err := a.S.ShowPhone(a.Ctx, ph.ID); err != nil || d.Status != cph.PhoneRunning {
			t.Errorf("the phone after another account's restart: %v, %+v", err, d)
		}
		cmd, err := o.S.RunCommand(o.Ctx, cph.CommandParams{Command: cph.CommandShell, Content: "id", ServerIDs: []string{ph.ServerID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(cmd.Jobs) != 1 || cmd.Jobs[0].JobID != "" || cmd.Jobs[0].ErrorCode != cph.CodeCommandServerInvalid {
			t.Errorf("a command on another account's server: %+v", cmd.Jobs)
		}
	})
	t.Run("batch refusals", func(t *testing.T) {
		many := make([]cph.PhoneRef, 1000)
		for i := range many {
			many[i] = cph.PhoneRef{PhoneID: cph.NewID()}
		}
		manyIDs := make([]string, len(many))
		for i, ref := range many {
			manyIDs[i] = ref.PhoneID
		}
		for _, kind := range []cph.OpKind{cph.OpRestartPhone, cph.OpResetPhone, cph.OpStopPhone} {
			_, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: kind})
			wantCode(t, string(kind)+" of no phones", err, cph.CodeEmptyPhoneList)
			_, err = a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: kind, Phones: many})
			wantCode(t, string(kind)+" of too many phones", err, cph.CodeTooManyItems)
		}
		empty := ""
		_, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpRestartPhone, Phones: many[:1], ImageID: &empty})
		wantCode(t, "empty image", err, cph.CodeInvalidImageID)
		_, err = a.S.UpdatePhoneProperties(a.Ctx, nil)
		wantCode(t, "properties of no phones", err, cph.CodeEmptyPhoneList)
		_, err = a.S.UpdatePhoneProperties(a.Ctx, many)
		wantCode(t, "properties of too many phones", err, cph.CodeTooManyItems)
		_, err = a.S.ImportTraffic(a.Ctx, cph.TrafficDirect, nil)
		wantCode(t, "traffic of no phones", err, cph.CodeEmptyPhoneList)
		_, err = a.S.ImportTraffic(a.Ctx, cph.TrafficDirect, manyIDs)
		wantCode(t, "traffic of too many phones", err, cph.CodeTooManyItems)
		_, err = a.S.ShowConnectInfos(a.Ctx, "ANDROID", nil)
		wantCode(t, "tickets of no phones", err, cph.CodeEmptyPhoneList)
		_, err = a.S.ShowConnectInfos(a.Ctx, "ANDROID", manyIDs[:cph.MaxConnectPhones+1])
		wantCode(t, "tickets of too many phones", err, cph.CodeTooManyItems)
		_, err = a.S.RunCommand(a.Ctx, cph.CommandParams{Command: cph.CommandShell, Content: "id"})
		wantCode(t, "command without targets", err, cph.CodeEmptyPhoneList)
		_, err = a.S.RunCommand(a.Ctx, cph.CommandParams{Command: "reboot", Content: "now", PhoneIDs: manyIDs[:1]})
		wantCode(t, "unknown command", err, cph.CodeInvalidCommand)
		_, err = a.S.RunCommand(a.Ctx, cph.CommandParams{Command: cph.CommandShell, Content: "rm -rf /; reboot", PhoneIDs: manyIDs[:1]})
		wantCode(t, "shell metacharacters", err, cph.CodeInvalidContent)
		_, err = a.S.RunSyncCommand(a.Ctx, cph.CommandParams{Command: cph.CommandShell, Content: "id", PhoneIDs: manyIDs[:cph.MaxSyncCommandPhones+1]})
		wantCode(t, "sync command on too many phones", err, cph.CodeTooManyItems)
		_, err = a.S.RunSyncCommand(a.Ctx, cph.CommandParams{Command: cph.CommandInstall, Content: "obs://apps/a.apk", PhoneIDs: manyIDs[:1]})
		wantCode(t, "sync install", err, cph.CodeInvalidCommand)
	})
	t.Run("per-item refusals", func(t *testing.T) {
		ph := runningPhone(t, a)
		unknown := cph.NewID()
		res, err := a.S.UpdatePhoneProperties(a.Ctx, []cph.PhoneRef{{PhoneID: unknown, Property: `{"com.cph.mainkeys":1}`}, {PhoneID: ph.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) != 2 || res.Jobs[0].ErrorCode != cph.CodePhoneNotFound || res.Jobs[1].ErrorCode != cph.CodeInvalidParameter {
			t.Errorf("properties of an unknown phone and one without property: %+v", res.Jobs)
		}
		info, err := a.S.ShowConnectInfos(a.Ctx, "ANDROID", []string{ph.ID, unknown, "bad id!"})
		if err != nil {
			t.Fatal(err)
		}
		if len(info.ConnectInfos) != 1 || info.ConnectInfos[0].PhoneID != ph.ID || info.ConnectInfos[0].AccessInfo.Ticket == "" {
			t.Errorf("tickets: %+v", info.ConnectInfos)
		}
		if len(info.Errors) != 2 || info.Errors[0].ErrorCode != cph.CodePhoneNotFound || info.Errors[1].ErrorCode != cph.CodeInvalidPhoneID {
			t.Errorf("ticket refusals: %+v", info.Errors)
		}
		o, err := env.Other.S.ShowConnectInfos(env.Other.Ctx, "ANDROID", []string{ph.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(o.ConnectInfos) != 0 || len(o.Errors) != 1 || o.Errors[0].ErrorCode != cph.CodePhoneNotFound {
			t.Errorf("another account's tickets: %+v", o)
		}
	})
	t.Run("screenshots", func(t *testing.T) { testPhoneScreenshots(t, env) })
	t.Run("sync commands are rate limited", func(t *testing.T) {
		// A phone that does not exist gives the calls no job to wait for.
		cmd := cph.CommandParams{Command: cph.CommandShell, Content: "id", PhoneIDs: []string{cph.NewID()}}
		var refused error
		for i := 0; i < 10 && refused == nil; i++ {
			res, err := a.S.RunSyncCommand(a.Ctx, cmd)
			if err != nil {
				refused = err
				if i < 6 {
					t.Errorf("call %d refused: %v", i+1, err)
				}
				break
			}
			if len(res.Jobs) != 1 || res.Jobs[0].Status != cph.JobFailed || res.Jobs[0].ErrorCode == nil || *res.Jobs[0].ErrorCode != cph.CodePhoneNotFound {
				t.Errorf("call %d: %+v", i+1, res.Jobs)
			}
		}
		wantCode(t, "seventh call in a minute", refused, cph.CodeTooManyRequests)
		if e := cph.AsError(refused); refused != nil && (e.RetryAfter <= 0 || e.RetryAfter > time.Minute) {
			t.Errorf("the refusal says to retry after %v, want within the minute", e.RetryAfter)
		}
	})
}

// runningPhone returns a running phone of c's project, waiting for one
// while the project's phones are busy.
func runningPhone(t *testing.T, c Caller) *cph.Phone {
	t.Helper()
	var found *cph.Phone
	untilTrue(t, "a running phone", func() (bool, error) {
		running := cph.PhoneRunning
		page, err := c.S.ListPhones(c.Ctx, cph.PhoneFilter{Limit: 100, Status: &running})
		if err != nil || len(page.Phones) == 0 {
			return false, err
		}
		found = page.Phones[0]
		return true, nil
	})
	return found
}

// untilTrue calls cond until it reports true, failing the test on an
// error or when 30 s have passed.
func untilTrue(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}
