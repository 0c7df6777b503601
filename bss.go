package cph

import "context"

// OrderStatus is the status of a customer order of the billing service
// (BSS), with Huawei's codes.
type OrderStatus int32

// Order statuses OpenCPH answers: an order is processing while its servers
// are created (or deleted), and completed once that work has ended.
const (
	OrderProcessing OrderStatus = 3
	OrderCompleted  OrderStatus = 5
)

// OrderType is the kind of a customer order, with Huawei's codes.
type OrderType int32

// Order types OpenCPH answers.
const (
	OrderNewPurchase    OrderType = 1
	OrderUnsubscription OrderType = 4
)

// Charging modes of a server's metadata (ServerMetadata.ChargingMode),
// as CPH reports them.
const (
	ChargingPrepaid   int32 = 0 // yearly/monthly, bought with an order
	ChargingPayPerUse int32 = 1
)

// CustomerOrder is an order of the caller's account: the purchase of
// servers (CreateServers, CreateBareServers) or the unsubscription that
// deletes them (UnsubscribeResources).
type CustomerOrder struct {
	ID        string
	DomainID  string // the account (customer)
	ProjectID string // the project of the order's servers
	Type      OrderType
	Status    OrderStatus
	// ServerIDs are the order's servers that still exist (a purchase)
	// or that it deletes (an unsubscription).
	ServerIDs   []string
	ServerCount int
	ProductID   string // the servers' product, for a purchase
	CreateTime  Time
	// PaymentTime is when the order was paid: OpenCPH treats every order
	// as paid when it is placed.
	PaymentTime Time
}

// UnsubscribeParams are the resources to unsubscribe from
// (CancelResourcesSubscription).
type UnsubscribeParams struct {
	ResourceIDs []string // 1..MaxUnsubscribeResources server ids
	// Type is Huawei's unsubscribe_type: 1 (the resources and their
	// renewed periods) is the only one OpenCPH accepts, as it keeps no
	// renewals.
	Type int32
}

// MaxUnsubscribeResources is the most resources one unsubscription takes.
const MaxUnsubscribeResources = 10

// BillingService is the stand-in of the billing service (BSS) calls that
// clients of CPH make around a server's lifecycle. Its calls act on the
// caller's whole account, as BSS does: it needs no project.
type BillingService interface {
	// ShowCustomerOrder returns an order of the caller's account.
	// Errors: CBC.0100 (a malformed order id), CBC.0101 (no such order
	// in the caller's account).
	ShowCustomerOrder(ctx context.Context, orderID string) (*CustomerOrder, error)
	// UnsubscribeResources deletes servers of the caller's account as
	// DeleteServers does, one deletion (and one order) per project, and
	// returns the unsubscription orders' ids.
	// Errors: CBC.0100 (no ids, too many, a bad type), CBC.0151 (a
	// read-only user), CBC.30050009 (a server unknown in the account),
	// CBC.30050011 (a server already being deleted), and those of
	// DeleteServers.
	UnsubscribeResources(ctx context.Context, p UnsubscribeParams) ([]string, error)
}
