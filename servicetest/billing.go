package servicetest

import (
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
)

// testBilling checks the billing stand-ins: a purchase order completes
// once its servers are provisioned, an unsubscription deletes them, and
// neither another account nor a read-only user gets further than a
// refusal.
func testBilling(t *testing.T, env *Env) {
	a, ro, other := env.Admin, env.ReadOnly, env.Other
	o, err := a.S.CreateServers(a.Ctx, newServersParams("billed", 1))
	if err != nil {
		t.Fatal(err)
	}
	id := o.ServerIDs[0]
	first, err := a.S.ShowCustomerOrder(a.Ctx, o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != o.OrderID || first.Type != cph.OrderNewPurchase || first.ServerCount != 1 || first.DomainID == "" ||
		(first.Status != cph.OrderProcessing && first.Status != cph.OrderCompleted) || first.CreateTime.IsZero() {
		t.Errorf("order = %+v", first)
	}
	waitUntil(t, "the order to complete", 30*time.Second, func() bool {
		got, err := a.S.ShowCustomerOrder(a.Ctx, o.OrderID)
		return err == nil && got.Status == cph.OrderCompleted
	})
	if s, err := a.S.ShowServer(a.Ctx, id); err != nil || s.Status != cph.ServerNormal || s.Metadata.ChargingMode != cph.ChargingPrepaid {
		t.Errorf("server of a completed order: %+v, %v", s, err)
	}

	if _, err := ro.S.ShowCustomerOrder(ro.Ctx, o.OrderID); err != nil {
		t.Errorf("a read-only user's order: %v", err)
	}
	_, err = other.S.ShowCustomerOrder(other.Ctx, o.OrderID)
	wantCode(t, "another account's order", err, cph.CodeBSSOrderNotFound)
	_, err = a.S.ShowCustomerOrder(a.Ctx, strings.Repeat("x", 65))
	wantCode(t, "a malformed order id", err, cph.CodeBSSInvalidParameter)

	many := make([]string, cph.MaxUnsubscribeResources+1)
	for i := range many {
		many[i] = cph.NewID()
	}
	for _, r := range []refusal[cph.UnsubscribeParams]{
		{"type 2", cph.UnsubscribeParams{ResourceIDs: []string{id}, Type: 2}, cph.CodeBSSInvalidParameter},
		{"no ids", cph.UnsubscribeParams{Type: 1}, cph.CodeBSSInvalidParameter},
		{"too many ids", cph.UnsubscribeParams{ResourceIDs: many, Type: 1}, cph.CodeBSSInvalidParameter},
		{"an unknown id", cph.UnsubscribeParams{ResourceIDs: []string{id, cph.NewID()}, Type: 1}, cph.CodeBSSResourceNotFound},
	} {
		_, err := a.S.UnsubscribeResources(a.Ctx, r.p)
		wantCode(t, r.name, err, r.want)
	}
	_, err = other.S.UnsubscribeResources(other.Ctx, cph.UnsubscribeParams{ResourceIDs: []string{id}, Type: 1})
	wantCode(t, "another account's server", err, cph.CodeBSSResourceNotFound)
	_, err = ro.S.UnsubscribeResources(ro.Ctx, cph.UnsubscribeParams{ResourceIDs: []string{id}, Type: 1})
	wantCode(t, "a read-only user", err, cph.CodeBSSAccessDenied)

	orders, err := a.S.UnsubscribeResources(a.Ctx, cph.UnsubscribeParams{ResourceIDs: []string{id}, Type: 1})
	if err != nil || len(orders) != 1 {
		t.Fatalf("unsubscribe: %v %v", orders, err)
	}
	waitUntil(t, "the unsubscription to complete", 30*time.Second, func() bool {
		got, err := a.S.ShowCustomerOrder(a.Ctx, orders[0])
		return err == nil && got.Type == cph.OrderUnsubscription && got.Status == cph.OrderCompleted
	})
	_, err = a.S.ShowServer(a.Ctx, id)
	wantCode(t, "the unsubscribed server", err, cph.CodeInvalidServerID)
	_, err = a.S.ShowCustomerOrder(a.Ctx, o.OrderID)
	wantCode(t, "the order of deleted servers", err, cph.CodeBSSOrderNotFound)
}
