package compat_test

import (
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	bssmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// globalCredentials are the SDK's credentials of a global service (BSS,
// IAM) without a domain id: the SDK finds it with KeystoneListAuthDomains
// through OpenCPH's IAM API.
func (e *env) globalCredentials(t *testing.T) *global.Credentials {
	t.Helper()
	cred, err := global.NewCredentialsBuilder().WithAk(e.ak).WithSk(e.sk).WithIamEndpointOverride(e.url).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// bssClient is the SDK's BSS client configured with OpenCPH's endpoint.
func (e *env) bssClient(t *testing.T) *bss.BssClient {
	t.Helper()
	hc, err := bss.BssClientBuilder().WithEndpoints([]string{e.url}).WithCredential(e.globalCredentials(t)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return bss.NewBssClient(hc)
}

// order returns the order's details through ShowCustomerOrderDetails.
func order(t *testing.T, b *bss.BssClient, id string) *bssmodel.ShowCustomerOrderDetailsResponse {
	t.Helper()
	r, err := b.ShowCustomerOrderDetails(&bssmodel.ShowCustomerOrderDetailsRequest{OrderId: id})
	ok(t, "ShowCustomerOrderDetails "+id, err)
	if r.OrderInfo == nil || str(r.OrderInfo.OrderId) != id {
		t.Fatalf("ShowCustomerOrderDetails %s = %s", id, dump(r))
	}
	return r
}

// TestBillingServerLifecycle follows a server as Terraform's
// huaweicloud_cph_server does: bought with an order that completes once
// the server is provisioned, then unsubscribed from, which deletes it.
func TestBillingServerLifecycle(t *testing.T) {
	var gate *cptest.Gate
	e := setupWith(t, func(c *controlplane.Config) { gate = cptest.Gated(c) })
	c := e.endpointClient(t, e.sk)
	b := e.bssClient(t)

	r, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: createBody("billed", 1)})
	ok(t, "CreateNet2CloudPhoneServer", err)
	if r.ServerIds == nil || len(*r.ServerIds) != 1 || str(r.OrderId) == "" {
		t.Fatalf("CreateNet2CloudPhoneServer = %s", dump(r))
	}
	id, orderID := (*r.ServerIds)[0], str(r.OrderId)

	// While the server is created, the order is processing (3).
	o := order(t, b, orderID)
	info := o.OrderInfo
	if num(info.Status) != 3 || num(info.OrderType) != 1 || str(info.CustomerId) != e.domainID || str(info.ServiceTypeCode) != "hws.service.type.cph" ||
		info.CreateTime == nil || info.PaymentTime == nil || str(info.Currency) == "<nil>" || info.AmountAfterDiscount == nil {
		t.Errorf("order while creating = %s", dump(o))
	}
	if o.OrderLineItems == nil || len(*o.OrderLineItems) != 1 || num((*o.OrderLineItems)[0].SubscriptionNum) != 1 ||
		str((*o.OrderLineItems)[0].OrderId) != orderID || num(o.TotalCount) != 1 {
		t.Errorf("order items = %s", dump(o))
	}
	d := server(t, c, id)
	if st := num(d.Status); st != 0 && st != 1 && st != 3 && st != 4 || d.Metadata == nil || num(d.Metadata.ChargingMode) != 0 || str(d.Metadata.OrderId) != orderID {
		t.Errorf("server while creating: status %d, metadata %s", num(d.Status), dump(d.Metadata))
	}

	// Once the server is provisioned, the order is completed (5).
	gate.Boot()
	poll.Within(t, 30*time.Second, "the order to complete", func() bool { return num(order(t, b, orderID).OrderInfo.Status) == 5 })
	if st := num(server(t, c, id).Status); st != 5 {
		t.Errorf("server status %d once its order completed, want 5", st)
	}

	// Unsubscribing deletes the server as DeleteCloudPhoneServer does.
	u, err := b.CancelResourcesSubscription(&bssmodel.CancelResourcesSubscriptionRequest{
		Body: &bssmodel.UnsubscribeResourcesReq{ResourceIds: []string{id}, UnsubscribeType: 1}})
	ok(t, "CancelResourcesSubscription", err)
	if u.OrderIds == nil || len(*u.OrderIds) != 1 {
		t.Fatalf("CancelResourcesSubscription = %s", dump(u))
	}
	unsub := (*u.OrderIds)[0]
	if st := num(server(t, c, id).Status); st != 6 {
		t.Errorf("server status %d after the unsubscription, want 6 (deleting)", st)
	}
	if o := order(t, b, unsub); num(o.OrderInfo.Status) != 3 || num(o.OrderInfo.OrderType) != 4 {
		t.Errorf("unsubscription order while deleting = %s", dump(o))
	}
	_, err = b.CancelResourcesSubscription(&bssmodel.CancelResourcesSubscriptionRequest{
		Body: &bssmodel.UnsubscribeResourcesReq{ResourceIds: []string{id}, UnsubscribeType: 1}})
	wantError(t, "unsubscribing from a server being deleted", err, 409, "CBC.30050011")

	gate.Remove()
	poll.Within(t, 30*time.Second, "the unsubscription order to complete", func() bool { return num(order(t, b, unsub).OrderInfo.Status) == 5 })
	_, err = c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: id})
	wantError(t, "the unsubscribed server", err, 404, "CPS.0016")
	phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &id})
	ok(t, "ListCloudPhones", err)
	if num(phones.Count) != 0 {
		t.Errorf("the unsubscribed server still has %d phones", num(phones.Count))
	}

	_, err = b.CancelResourcesSubscription(&bssmodel.CancelResourcesSubscriptionRequest{
		Body: &bssmodel.UnsubscribeResourcesReq{ResourceIds: []string{id}, UnsubscribeType: 1}})
	wantError(t, "unsubscribing from a deleted server", err, 404, "CBC.30050009")
	_, err = b.ShowCustomerOrderDetails(&bssmodel.ShowCustomerOrderDetailsRequest{OrderId: "CS0123456789ABCDEF01"})
	wantError(t, "an unknown order", err, 404, "CBC.0101")
}

// TestBillingOtherAccount checks that an account sees no order or server
// of another through BSS.
func TestBillingOtherAccount(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	r, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: createBody("mine", 1)})
	ok(t, "CreateNet2CloudPhoneServer", err)
	if order(t, e.bssClient(t), str(r.OrderId)).OrderInfo == nil {
		t.Fatal("no order")
	}
	cptest.CreateAccount(t, e.srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	other := login(t, e.srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	ob := other.bssClient(t)
	_, err = ob.ShowCustomerOrderDetails(&bssmodel.ShowCustomerOrderDetailsRequest{OrderId: str(r.OrderId)})
	wantError(t, "another account's order", err, 404, "CBC.0101")
	_, err = ob.CancelResourcesSubscription(&bssmodel.CancelResourcesSubscriptionRequest{
		Body: &bssmodel.UnsubscribeResourcesReq{ResourceIds: *r.ServerIds, UnsubscribeType: 1}})
	wantError(t, "another account's server", err, 404, "CBC.30050009")
	if st := num(server(t, c, (*r.ServerIds)[0]).Status); st == 6 {
		t.Error("another account's unsubscription deletes the server")
	}
}

// TestKeystoneListAuthDomains lists the domains of an access key as the
// SDK does to find the domain id of global services.
func TestKeystoneListAuthDomains(t *testing.T) {
	e := setup(t)
	hc, err := iam.IamClientBuilder().WithEndpoints([]string{e.url}).WithCredential(e.globalCredentials(t)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	r, err := iam.NewIamClient(hc).KeystoneListAuthDomains(&iammodel.KeystoneListAuthDomainsRequest{})
	ok(t, "KeystoneListAuthDomains", err)
	if r.Domains == nil || len(*r.Domains) != 1 {
		t.Fatalf("KeystoneListAuthDomains = %s", dump(r))
	}
	if d := (*r.Domains)[0]; d.Id != e.domainID || d.Name != cptest.Domain || !d.Enabled || d.Links == nil {
		t.Errorf("domain = %s", dump(d))
	}
}
