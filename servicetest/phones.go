package servicetest

import (
	"testing"

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
		for _, c := range []struct {
			name string
			f    cph.PhoneFilter
			want string
		}{
			{"limit 0", cph.PhoneFilter{Limit: 0}, cph.CodeInvalidPaging},
			{"limit over the maximum", cph.PhoneFilter{Limit: cph.MaxPhonePage + 1}, cph.CodeInvalidPaging},
			{"negative offset", cph.PhoneFilter{Offset: -1, Limit: 10}, cph.CodeInvalidPaging},
			{"unknown status", cph.PhoneFilter{Limit: 10, Status: &bad}, cph.CodeInvalidStatus},
			{"unknown type", cph.PhoneFilter{Limit: 10, Type: &typ}, cph.CodeInvalidParameter},
		} {
			_, err := a.S.ListPhones(a.Ctx, c.f)
			wantCode(t, c.name, err, c.want)
		}
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
}
