package httpapi

import (
	"net/http"
	"strconv"

	cph "github.com/opencph/opencph"
)

// The billing (BSS) stand-ins: the order and unsubscription calls that
// Huawei's clients (the Terraform provider's huaweicloud_cph_server) make
// around a server's lifecycle, and IAM's GET /v3/auth/domains that finds
// the account of an access key. BSS routes have no project in the path:
// they act on the caller's account; their errors use the error_code /
// error_msg body with BSS's CBC codes.

// billingRoutes registers the BSS stand-ins and GET /v3/auth/domains.
func (s *Server) billingRoutes() {
	s.handle("GET /v2/orders/customer-orders/details/{order_id}", familyCPH, s.showCustomerOrder)
	s.handle("POST /v2/orders/subscriptions/resources/unsubscribe", familyCPH, s.unsubscribeResources)
	s.handle("GET /v3/auth/domains", familyKeystone, s.listAuthDomains)
}

// BSS constants of the answers: OpenCPH bills nothing, every order is
// paid when it is placed and costs 0.
const (
	bssServiceType     = "hws.service.type.cph"
	bssServiceName     = "Cloud Phone"
	bssResourceType    = "hws.resource.type.cph.server"
	bssCurrency        = "CNY"
	bssSourceCustomer  = 1 // the customer placed the order
	bssMeasureYuan     = 1
	maxOrderItemsLimit = 100
)

type customerOrderDoc struct {
	OrderID             string   `json:"order_id"`
	CustomerID          string   `json:"customer_id"`
	ServiceTypeCode     string   `json:"service_type_code"`
	ServiceTypeName     string   `json:"service_type_name"`
	SourceType          int32    `json:"source_type"`
	Status              int32    `json:"status"`
	OrderType           int32    `json:"order_type"`
	AmountAfterDiscount float64  `json:"amount_after_discount"`
	OfficialAmount      float64  `json:"official_amount"`
	MeasureID           int32    `json:"measure_id"`
	CreateTime          cph.Time `json:"create_time"`
	PaymentTime         cph.Time `json:"payment_time"`
	Currency            string   `json:"currency"`
}

type orderLineItemDoc struct {
	OrderLineItemID     string   `json:"order_line_item_id"`
	OrderID             string   `json:"order_id"`
	ServiceTypeCode     string   `json:"service_type_code"`
	ServiceTypeName     string   `json:"service_type_name"`
	ProductID           string   `json:"product_id,omitempty"`
	ProductOwnerService string   `json:"product_owner_service"`
	CommercialResource  string   `json:"commercial_resource"`
	SubscriptionNum     int      `json:"subscription_num"`
	AmountAfterDiscount float64  `json:"amount_after_discount"`
	OfficialAmount      float64  `json:"official_amount"`
	Currency            string   `json:"currency"`
	EffectiveTime       cph.Time `json:"effective_time"`
}

// showCustomerOrder is GET /v2/orders/customer-orders/details/{order_id}
// (ShowCustomerOrderDetails). limit and offset page the order's items (it
// has one).
func (s *Server) showCustomerOrder(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, offset := 10, 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxOrderItemsLimit {
			return cph.ErrBSSInvalidParameter("limit")
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return cph.ErrBSSInvalidParameter("offset")
		}
	}
	o, err := s.cfg.Billing.ShowCustomerOrder(callerContext(r, p), r.PathValue("order_id"))
	if err != nil {
		return err
	}
	items := []orderLineItemDoc{{OrderLineItemID: o.ID + "-1", OrderID: o.ID, ServiceTypeCode: bssServiceType, ServiceTypeName: bssServiceName,
		ProductID: o.ProductID, ProductOwnerService: bssServiceType, CommercialResource: bssResourceType, SubscriptionNum: o.ServerCount,
		Currency: bssCurrency, EffectiveTime: o.CreateTime}}
	total := len(items)
	items = items[min(offset, len(items)):]
	items = items[:min(limit, len(items))]
	writeJSON(w, http.StatusOK, map[string]any{
		"total_count": total,
		"order_info": customerOrderDoc{OrderID: o.ID, CustomerID: o.DomainID, ServiceTypeCode: bssServiceType, ServiceTypeName: bssServiceName,
			SourceType: bssSourceCustomer, Status: int32(o.Status), OrderType: int32(o.Type), MeasureID: bssMeasureYuan,
			CreateTime: o.CreateTime, PaymentTime: o.PaymentTime, Currency: bssCurrency},
		"order_line_items": items,
	})
	return nil
}

// unsubscribeResources is POST /v2/orders/subscriptions/resources/unsubscribe
// (CancelResourcesSubscription): the servers are deleted as
// DeleteCloudPhoneServer deletes them.
func (s *Server) unsubscribeResources(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		ResourceIDs     []string `json:"resource_ids"`
		UnsubscribeType *int32   `json:"unsubscribe_type"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.UnsubscribeType == nil {
		return cph.ErrBSSInvalidParameter("unsubscribe_type")
	}
	orders, err := s.cfg.Billing.UnsubscribeResources(callerContext(r, p), cph.UnsubscribeParams{ResourceIDs: req.ResourceIDs, Type: *req.UnsubscribeType})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"order_ids": orders})
	return nil
}

type authDomainDoc struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Enabled     bool              `json:"enabled"`
	Description string            `json:"description"`
	Links       map[string]string `json:"links"`
}

// listAuthDomains is GET /v3/auth/domains (KeystoneListAuthDomains): the
// domains the caller's credential may use, which is its own account.
func (s *Server) listAuthDomains(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	base := baseURL(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"domains": []authDomainDoc{{ID: p.Domain.ID, Name: p.Domain.Name, Enabled: p.Domain.Enabled,
			Links: map[string]string{"self": base + "/v3/domains/" + p.Domain.ID}}},
		"links": map[string]any{"self": base + "/v3/auth/domains"},
	})
	return nil
}
