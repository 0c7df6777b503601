package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	cph "github.com/opencph/opencph"
)

// CustomerOrder is the answer of ShowCustomerOrderDetails, the billing
// (BSS) stand-in's order of a server purchase or unsubscription.
type CustomerOrder struct {
	TotalCount int `json:"total_count"`
	OrderInfo  struct {
		OrderID             string   `json:"order_id"`
		CustomerID          string   `json:"customer_id"`
		ServiceTypeCode     string   `json:"service_type_code"`
		SourceType          int32    `json:"source_type"`
		Status              int32    `json:"status"`     // 3 processing, 5 completed
		OrderType           int32    `json:"order_type"` // 1 purchase, 4 unsubscription
		AmountAfterDiscount float64  `json:"amount_after_discount"`
		CreateTime          cph.Time `json:"create_time"`
		PaymentTime         cph.Time `json:"payment_time"`
		Currency            string   `json:"currency"`
	} `json:"order_info"`
	OrderLineItems []struct {
		OrderLineItemID string   `json:"order_line_item_id"`
		ProductID       string   `json:"product_id"`
		SubscriptionNum int      `json:"subscription_num"`
		EffectiveTime   cph.Time `json:"effective_time"`
	} `json:"order_line_items"`
}

// ShowCustomerOrder returns an order of the caller's account
// (GET /v2/orders/customer-orders/details/{order_id}): 404 CBC.0101 for an
// unknown one.
func (c *Client) ShowCustomerOrder(ctx context.Context, orderID string) (*CustomerOrder, error) {
	var out CustomerOrder
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v2/orders/customer-orders/details/" + url.PathEscape(orderID), Out: &out}); err != nil {
		return nil, fmt.Errorf("show order %s: %w", orderID, err)
	}
	return &out, nil
}

// UnsubscribeResources unsubscribes from servers of the caller's account
// (POST /v2/orders/subscriptions/resources/unsubscribe), which deletes
// them, and returns the unsubscription orders' ids. unsubscribeType 1 is
// the only one served.
func (c *Client) UnsubscribeResources(ctx context.Context, serverIDs []string, unsubscribeType int32) ([]string, error) {
	in := struct {
		ResourceIDs     []string `json:"resource_ids"`
		UnsubscribeType int32    `json:"unsubscribe_type"`
	}{nonNil(serverIDs), unsubscribeType}
	var out struct {
		OrderIDs []string `json:"order_ids"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v2/orders/subscriptions/resources/unsubscribe", In: in, Out: &out}); err != nil {
		return nil, fmt.Errorf("unsubscribe: %w", err)
	}
	return out.OrderIDs, nil
}

// ListAuthDomains returns the accounts the caller's credential may use
// (GET /v3/auth/domains): its own.
func (c *Client) ListAuthDomains(ctx context.Context) ([]Domain, error) {
	var out struct {
		Domains []Domain `json:"domains"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v3/auth/domains", Out: &out}); err != nil {
		return nil, fmt.Errorf("list auth domains: %w", err)
	}
	if out.Domains == nil {
		out.Domains = []Domain{}
	}
	return out.Domains, nil
}

var _ cph.BillingService = (*Services)(nil)

// ShowCustomerOrder implements cph.BillingService. The order's servers are
// not in the answer, nor its project: ServerIDs and ProjectID are empty.
func (s *Services) ShowCustomerOrder(ctx context.Context, orderID string) (*cph.CustomerOrder, error) {
	o, err := s.c.ShowCustomerOrder(ctx, orderID)
	if err != nil {
		return nil, err
	}
	out := &cph.CustomerOrder{ID: o.OrderInfo.OrderID, DomainID: o.OrderInfo.CustomerID, Type: cph.OrderType(o.OrderInfo.OrderType),
		Status: cph.OrderStatus(o.OrderInfo.Status), CreateTime: o.OrderInfo.CreateTime, PaymentTime: o.OrderInfo.PaymentTime}
	if len(o.OrderLineItems) > 0 {
		out.ServerCount, out.ProductID = o.OrderLineItems[0].SubscriptionNum, o.OrderLineItems[0].ProductID
	}
	return out, nil
}

// UnsubscribeResources implements cph.BillingService.
func (s *Services) UnsubscribeResources(ctx context.Context, p cph.UnsubscribeParams) ([]string, error) {
	return s.c.UnsubscribeResources(ctx, p.ResourceIDs, p.Type)
}
