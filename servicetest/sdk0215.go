package servicetest

import (
	"maps"
	"slices"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane/cptest"
)

// testChangedOperations checks what Huawei SDK release 0.1.215 changed in
// operations that existed before: marker paging of three lists, custom
// properties, factory resets, the elastic-cloud-phone tag type, the
// longer shell content and the rules of data export.
func testChangedOperations(t *testing.T, env *Env) {
	a, ro, o := env.Admin, env.ReadOnly, env.Other
	t.Run("server models by marker", func(t *testing.T) {
		all, err := a.S.ListServerModels(a.Ctx, cph.ServerModelFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Models) < 2 || all.NextMarker != "" {
			t.Fatalf("all server models: %d, next marker %q", len(all.Models), all.NextMarker)
		}
		names := func(ms []cph.ServerModel) []string {
			var out []string
			for _, m := range ms {
				out = append(out, m.ServerModelName)
			}
			return out
		}
		if !slices.IsSorted(names(all.Models)) {
			t.Errorf("server models not by name: %v", names(all.Models))
		}
		walked := walk(t, "server models", func(p cph.MarkerPage) ([]string, string, error) {
			page, err := a.S.ListServerModels(a.Ctx, cph.ServerModelFilter{Page: p})
			if err != nil {
				return nil, "", err
			}
			return names(page.Models), page.NextMarker, nil
		})
		if !slices.Equal(walked, names(all.Models)) {
			t.Errorf("server models page by page %v, all at once %v", walked, names(all.Models))
		}
		wantCode(t, "unknown marker", second2(a.S.ListServerModels(a.Ctx, cph.ServerModelFilter{Page: cph.MarkerPage{Marker: "physical.none"}})), cph.CodeInvalidParameter)
		wantCode(t, "limit over 100", second2(a.S.ListServerModels(a.Ctx, cph.ServerModelFilter{Page: cph.MarkerPage{Limit: 101}})), cph.CodeInvalidPaging)
		wantCode(t, "negative limit", second2(a.S.ListServerModels(a.Ctx, cph.ServerModelFilter{Page: cph.MarkerPage{Limit: -1}})), cph.CodeInvalidPaging)
	})

	phones, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Limit: 100})
	if err != nil || len(phones.Phones) < 3 {
		t.Fatalf("phones of the project: %+v, %v", phones, err)
	}
	t.Run("phone images by marker", func(t *testing.T) {
		for i, name := range []string{"zeta", "alpha", "mid"} {
			if _, err := a.S.CreateImage(a.Ctx, cph.CreateImageParams{Name: name, PhoneID: phones.Phones[i].ID}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Type: cph.ImageTypeAll})
		if err != nil || all.NextMarker != "" {
			t.Fatalf("all images: %+v, %v", all, err)
		}
		// Public images first, then the project's own, by name.
		var kinds []int32
		var own []string
		for _, im := range all.Images {
			kinds = append(kinds, im.IsPublic)
			if im.IsPublic == 2 {
				own = append(own, im.Name)
			}
		}
		if !slices.IsSorted(kinds) || !slices.Equal(own, []string{"alpha", "mid", "zeta"}) {
			t.Errorf("order of the images: kinds %v, own %v", kinds, own)
		}
		ids := func(ims []*cph.PhoneImage) []string {
			var out []string
			for _, im := range ims {
				out = append(out, im.ID)
			}
			return out
		}
		for _, typ := range []string{cph.ImageTypeAll, cph.ImageTypePrivate} {
			whole, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Type: typ})
			if err != nil {
				t.Fatal(err)
			}
			walked := walk(t, "images of type "+typ, func(p cph.MarkerPage) ([]string, string, error) {
				page, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Type: typ, Page: p})
				if err != nil {
					return nil, "", err
				}
				return ids(page.Images), page.NextMarker, nil
			})
			if !slices.Equal(walked, ids(whole.Images)) {
				t.Errorf("images of type %s page by page %v, all at once %v", typ, walked, ids(whole.Images))
			}
		}
		// A marker of another type's list names no image of this one.
		wantCode(t, "a public image as the marker of the private list", second2(a.S.ListPhoneImages(a.Ctx,
			cph.PhoneImageFilter{Type: cph.ImageTypePrivate, Page: cph.MarkerPage{Marker: all.Images[0].ID}})), cph.CodeInvalidParameter)
		wantCode(t, "unknown marker", second2(a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Page: cph.MarkerPage{Marker: cph.NewID()}})), cph.CodeInvalidParameter)
		wantCode(t, "limit over 500", second2(a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Page: cph.MarkerPage{Limit: 501}})), cph.CodeInvalidPaging)
		if p, err := a.S.ListPhoneImages(a.Ctx, cph.PhoneImageFilter{Page: cph.MarkerPage{Limit: cph.MaxPhoneImagePage}}); err != nil || len(p.Images) != len(all.Images) {
			t.Errorf("a page of 500: %+v, %v", p, err)
		}
	})
	t.Run("image members by marker", func(t *testing.T) {
		img, err := a.S.CreateImage(a.Ctx, cph.CreateImageParams{Name: "shared", PhoneID: phones.Phones[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		var added []string
		for _, d := range []string{"members-a", "members-b", "members-c"} {
			project := cptest.CreateAccount(t, env.ControlPlane, d, d, cptest.Password, cptest.Project)
			if err := a.S.AddImageMember(a.Ctx, img.ID, project); err != nil {
				t.Fatal(err)
			}
			added = append(added, project)
		}
		all, err := a.S.ListImageMembers(a.Ctx, img.ID, cph.MarkerPage{})
		if err != nil || len(all.Members) != 3 || all.NextMarker != "" {
			t.Fatalf("members: %+v, %v", all, err)
		}
		var listed []string
		for i, m := range all.Members {
			listed = append(listed, m.MemberID)
			if i > 0 && m.CreateTime > all.Members[i-1].CreateTime {
				t.Errorf("members not newest first: %+v", all.Members)
			}
		}
		if first, last := all.Members[0], all.Members[2]; first.CreateTime > last.CreateTime && (first.MemberID != added[2] || last.MemberID != added[0]) {
			t.Errorf("members %v, added %v: the newest is not first", listed, added)
		}
		walked := walk(t, "members", func(p cph.MarkerPage) ([]string, string, error) {
			page, err := a.S.ListImageMembers(a.Ctx, img.ID, p)
			if err != nil {
				return nil, "", err
			}
			var out []string
			for _, m := range page.Members {
				out = append(out, m.MemberID)
			}
			return out, page.NextMarker, nil
		})
		if !slices.Equal(walked, listed) {
			t.Errorf("members page by page %v, all at once %v", walked, listed)
		}
		wantCode(t, "unknown marker", second2(a.S.ListImageMembers(a.Ctx, img.ID, cph.MarkerPage{Marker: cph.NewID()})), cph.CodeInvalidParameter)
		wantCode(t, "limit over 100", second2(a.S.ListImageMembers(a.Ctx, img.ID, cph.MarkerPage{Limit: 101})), cph.CodeInvalidPaging)
		wantCode(t, "members of another project's image", second2(o.S.ListImageMembers(o.Ctx, img.ID, cph.MarkerPage{})), cph.CodeInvalidImageID)
	})

	t.Run("custom properties", func(t *testing.T) {
		ph := runningPhone(t, a)
		update := func(ref cph.PhoneRef) cph.PhoneJob {
			t.Helper()
			res, err := a.S.UpdatePhoneProperties(a.Ctx, []cph.PhoneRef{ref})
			if err != nil || len(res.Jobs) != 1 {
				t.Fatalf("update %+v: %+v, %v", ref, res, err)
			}
			return res.Jobs[0]
		}
		custom := func() map[string]string {
			t.Helper()
			d, err := a.S.ShowPhone(a.Ctx, ph.ID)
			if err != nil {
				t.Fatal(err)
			}
			return d.CustomProperty
		}
		if c := custom(); c != nil {
			t.Fatalf("custom properties of a new phone: %v", c)
		}
		j := update(cph.PhoneRef{PhoneID: ph.ID, Property: `{"sys.prop.writewifissid":"lab"}`,
			CustomProperty: map[string]string{"app.channel": "beta", "x.y": "1"}})
		if j.ErrorCode != "" {
			t.Fatalf("update refused: %+v", j)
		}
		// Recorded when the update is accepted.
		if c := custom(); !maps.Equal(c, map[string]string{"app.channel": "beta", "x.y": "1"}) {
			t.Errorf("custom properties = %v", c)
		}
		if got := waitJob(t, a, j.JobID); got.Status != cph.JobSucceeded {
			t.Fatalf("property job: %+v", got)
		}
		// "" as property changes no system property; "" as a value removes
		// the key.
		j = update(cph.PhoneRef{PhoneID: ph.ID, Property: "", CustomProperty: map[string]string{"x.y": "", "app.tier": "gold"}})
		if j.ErrorCode != "" {
			t.Fatalf("custom-only update refused: %+v", j)
		}
		waitJob(t, a, j.JobID)
		want := map[string]string{"app.channel": "beta", "app.tier": "gold"}
		if c := custom(); !maps.Equal(c, want) {
			t.Errorf("custom properties after the merge = %v, want %v", c, want)
		}
		if d, _ := a.S.ShowPhone(a.Ctx, ph.ID); d == nil || !strings.Contains(d.Property, `"sys.prop.writewifissid":"lab"`) {
			t.Errorf("system properties after a custom-only update: %+v", d)
		}

		long := strings.Repeat("v", cph.MaxCustomPropertyValue)
		big := map[string]string{}
		for i := range 40 {
			big["big.key."+strings.Repeat("k", 10)+string(rune('a'+i%26))+string(rune('a'+i/26))] = long
		}
		tooBig := map[string]string{}
		for k, v := range big {
			tooBig[k+".more"] = v
		}
		for _, c := range []struct {
			name string
			ref  cph.PhoneRef
		}{
			{"nothing to change", cph.PhoneRef{PhoneID: ph.ID, Property: ""}},
			{"a key with a space", cph.PhoneRef{PhoneID: ph.ID, CustomProperty: map[string]string{"bad key": "1"}}},
			{"an empty key", cph.PhoneRef{PhoneID: ph.ID, CustomProperty: map[string]string{"": "1"}}},
			{"a key of 129 characters", cph.PhoneRef{PhoneID: ph.ID, CustomProperty: map[string]string{strings.Repeat("k", 129): "1"}}},
			{"a value of 92 bytes", cph.PhoneRef{PhoneID: ph.ID, CustomProperty: map[string]string{"k": long + "v"}}},
			{"a control character", cph.PhoneRef{PhoneID: ph.ID, CustomProperty: map[string]string{"k": "a\nb"}}},
			{"over 7800 bytes with property", cph.PhoneRef{PhoneID: ph.ID, Property: `{"ro.install.auto":1}`,
				CustomProperty: func() map[string]string { m := maps.Clone(big); maps.Copy(m, tooBig); return m }()}},
		} {
			if j := update(c.ref); j.ErrorCode != cph.CodeInvalidParameter || j.JobID != "" {
				t.Errorf("%s: %+v, want a CPS.9011 refusal", c.name, j)
			}
		}
		if c := custom(); !maps.Equal(c, want) {
			t.Errorf("custom properties after refused updates = %v, want %v", c, want)
		}
		// One phone keeps at most 7800 bytes: each update fits, the
		// second would make too many.
		j = update(cph.PhoneRef{PhoneID: ph.ID, CustomProperty: big})
		if j.ErrorCode != "" {
			t.Fatalf("an update of %d bytes refused: %+v", len(cph.CustomPropertyJSON(big)), j)
		}
		waitJob(t, a, j.JobID)
		if j := update(cph.PhoneRef{PhoneID: ph.ID, CustomProperty: tooBig}); j.ErrorCode != cph.CodeInvalidParameter ||
			!strings.Contains(j.ErrorMsg, "custom_property") {
			t.Errorf("an update past the phone's bound: %+v", j)
		}
		if c := custom(); len(c) != len(big)+len(want) {
			t.Errorf("custom properties after the refused update: %d keys, want %d", len(c), len(big)+len(want))
		}
		// Deleting the big keys makes room again.
		clear := map[string]string{}
		for k := range big {
			clear[k] = ""
		}
		j = update(cph.PhoneRef{PhoneID: ph.ID, CustomProperty: clear})
		waitJob(t, a, j.JobID)
		if c := custom(); !maps.Equal(c, want) {
			t.Errorf("custom properties after deleting keys = %v, want %v", c, want)
		}
		// Others cannot set them.
		res, err := o.S.UpdatePhoneProperties(o.Ctx, []cph.PhoneRef{{PhoneID: ph.ID, CustomProperty: map[string]string{"x": "1"}}})
		if err != nil || len(res.Jobs) != 1 || res.Jobs[0].ErrorCode != cph.CodePhoneNotFound {
			t.Errorf("another project's update: %+v, %v", res, err)
		}
		_, err = ro.S.UpdatePhoneProperties(ro.Ctx, []cph.PhoneRef{{PhoneID: ph.ID, CustomProperty: map[string]string{"x": "1"}}})
		wantCode(t, "a read-only user's update", err, cph.CodeForbidden)
		if c := custom(); !maps.Equal(c, want) {
			t.Errorf("custom properties after others' updates = %v, want %v", c, want)
		}

		// A reset keeps the recorded properties and adds the request's.
		reset := func(ref cph.PhoneRef) {
			t.Helper()
			res, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpResetPhone, Phones: []cph.PhoneRef{ref}})
			if err != nil || len(res.Jobs) != 1 || res.Jobs[0].ErrorCode != "" {
				t.Fatalf("reset %+v: %+v, %v", ref, res, err)
			}
			if j := waitJob(t, a, res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
				t.Fatalf("reset job: %+v", j)
			}
		}
		reset(cph.PhoneRef{PhoneID: ph.ID, Property: `{"persist.sys.locale":"fr-FR"}`})
		d, err := a.S.ShowPhone(a.Ctx, ph.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Property != `{"persist.sys.locale":"fr-FR","sys.prop.writewifissid":"lab"}` || !maps.Equal(d.CustomProperty, want) {
			t.Errorf("after a reset without factory_reset_enabled: property %s, custom %v", d.Property, d.CustomProperty)
		}
		// A factory reset forgets both.
		reset(cph.PhoneRef{PhoneID: ph.ID, Property: `{"com.cph.mainkeys":1}`, FactoryReset: true})
		if d, err = a.S.ShowPhone(a.Ctx, ph.ID); err != nil {
			t.Fatal(err)
		}
		if d.Property != `{"com.cph.mainkeys":1}` || d.CustomProperty != nil {
			t.Errorf("after a factory reset: property %s, custom %v", d.Property, d.CustomProperty)
		}
	})

	t.Run("elastic cloud phone tags", func(t *testing.T) {
		tags, err := a.S.ListProjectTags(a.Ctx, cph.TagFilter{ResourceType: cph.ResourceTypeElasticPhone, Limit: 10})
		if err != nil || tags.Total != 0 || tags.Tags == nil || len(tags.Tags) != 0 {
			t.Errorf("ListProjectTags: %+v, %v", tags, err)
		}
		res, err := a.S.ListTaggedServers(a.Ctx, cph.ResourceFilter{ResourceType: cph.ResourceTypeElasticPhone, Limit: 10})
		if err != nil || res.Total != 0 || res.Resources == nil || len(res.Resources) != 0 {
			t.Errorf("ListResourceInstances: %+v, %v", res, err)
		}
		id := phones.Phones[0].ID
		wantCode(t, "ListResourceTags", a.S.ElasticPhoneTags(a.Ctx, id, false), cph.CodePhoneNotFound)
		wantCode(t, "BatchCreateTags", a.S.ElasticPhoneTags(a.Ctx, id, true), cph.CodePhoneNotFound)
		wantCode(t, "ListResourceTags, read-only", ro.S.ElasticPhoneTags(ro.Ctx, id, false), cph.CodePhoneNotFound)
		wantCode(t, "BatchCreateTags, read-only", ro.S.ElasticPhoneTags(ro.Ctx, id, true), cph.CodeForbidden)
		wantCode(t, "bad paging", second2(a.S.ListProjectTags(a.Ctx, cph.TagFilter{ResourceType: cph.ResourceTypeElasticPhone, Limit: 0})), cph.CodeInvalidPaging)
		wantCode(t, "another type", second2(a.S.ListProjectTags(a.Ctx, cph.TagFilter{ResourceType: "cph-phone", Limit: 10})), cph.CodeInvalidParameter)
		wantCode(t, "another type", second2(a.S.ListTaggedServers(a.Ctx, cph.ResourceFilter{ResourceType: "cph-phone", Limit: 10})), cph.CodeInvalidParameter)
		// The servers' tags are still there.
		if _, err := a.S.ListProjectTags(a.Ctx, cph.TagFilter{ResourceType: cph.ResourceTypeServer, Limit: 10}); err != nil {
			t.Errorf("server tags: %v", err)
		}
	})

	t.Run("shell content", func(t *testing.T) {
		ph := runningPhone(t, a)
		for _, content := range []string{strings.Repeat("a", 2048), "pm list packages | grep -i demo && echo found || echo none", "am start -d http://h/p?a=1&b=2"} {
			res, err := a.S.RunCommand(a.Ctx, cph.CommandParams{Command: cph.CommandShell, Content: content, PhoneIDs: []string{ph.ID}})
			if err != nil || len(res.Jobs) != 1 || res.Jobs[0].JobID == "" {
				t.Errorf("shell %.40q: %+v, %v", content, res, err)
			}
		}
		for _, content := range []string{strings.Repeat("a", 2049), "echo a; reboot", "echo $(id)"} {
			_, err := a.S.RunCommand(a.Ctx, cph.CommandParams{Command: cph.CommandShell, Content: content, PhoneIDs: []string{ph.ID}})
			wantCode(t, "shell "+content[:min(len(content), 20)], err, cph.CodeInvalidContent)
		}
		// The other commands keep their rules.
		_, err := a.S.RunCommand(a.Ctx, cph.CommandParams{Command: cph.CommandUninstall, Content: "com.example.a|b", PhoneIDs: []string{ph.ID}})
		wantCode(t, "uninstall with |", err, cph.CodeInvalidContent)
	})

	t.Run("export include_files", func(t *testing.T) {
		ph := runningPhone(t, a)
		item := func(include ...string) cph.StorageInfo {
			return cph.StorageInfo{PhoneID: ph.ID, IncludeFiles: include, BucketName: "exports", ObjectPath: "x/" + cph.NewID() + ".tar"}
		}
		for _, c := range []struct {
			name    string
			include []string
			ok      bool
		}{
			{"below /data/misc", []string{"/data/misc/wifi"}, false},
			{"a wildcard below /data/misc", []string{"/data/misc/wi*"}, false},
			{"/data/*", []string{"/data/*"}, false},
			{"/data/mi*", []string{"/data/mi*"}, false},
			{"/data/misc*", []string{"/data/misc*", "/data/system", "/data/system_de"}, false},
			{"/data/misc without /data/system_de", []string{"/data/misc", "/data/system"}, false},
			{"/data/misc without its companions", []string{"/data/misc"}, false},
			{"/data/misc with its companions", []string{"/data/system_de", "/data/misc", "/data/system"}, true},
			{"plain /data", []string{"/data"}, true},
			{"another directory", []string{"/data/media", "/data/s*"}, true},
		} {
			res, err := a.S.ExportPhoneData(a.Ctx, []cph.StorageInfo{item(c.include...)})
			if err != nil || len(res.Jobs) != 1 {
				t.Fatalf("%s: %+v, %v", c.name, res, err)
			}
			j := res.Jobs[0]
			if refused := j.ErrorCode == cph.CodeInvalidParameter; refused == c.ok ||
				(refused && !strings.HasPrefix(j.ErrorMsg, "Parameter: include_files is invalid")) {
				t.Errorf("%s: %+v, want accepted %v", c.name, j, c.ok)
			}
			if j.JobID != "" {
				waitJob(t, a, j.JobID)
			}
		}
	})

	t.Run("PushShareApps accepts up to 100 servers", func(t *testing.T) {
		ids := func(n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = cph.NewID()
			}
			return out
		}
		p := cph.PushShareAppsParams{PackageName: "com.example.shared", BucketName: "apps", ObjectPath: "shared/app.tar", ServerIDs: ids(100)}
		if res, err := a.S.PushShareApps(a.Ctx, p); err != nil || len(res.Jobs) != 100 {
			t.Errorf("100 servers: %v", err)
		}
		p.ServerIDs = ids(101)
		wantCode(t, "101 servers", second2(a.S.PushShareApps(a.Ctx, p)), cph.CodeTooManyItems)
	})
}

// walk reads a marker-paged list one item a page to its end and returns
// the keys in order; page reads the page of p.
func walk(t *testing.T, what string, page func(p cph.MarkerPage) ([]string, string, error)) []string {
	t.Helper()
	var out []string
	p := cph.MarkerPage{Limit: 1}
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatalf("%s: paging does not end", what)
		}
		keys, next, err := page(p)
		if err != nil {
			t.Fatalf("%s after %q: %v", what, p.Marker, err)
		}
		if len(keys) > 1 {
			t.Fatalf("%s: a page of %d with limit 1", what, len(keys))
		}
		out = append(out, keys...)
		if next == "" {
			return out
		}
		if len(keys) == 0 || next != keys[len(keys)-1] {
			t.Fatalf("%s: next marker %q after page %v", what, next, keys)
		}
		p.Marker = next
	}
}
