package service

import (
	"context"
	"errors"
	"slices"
	"strings"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.BillingService = (*Services)(nil)

// unsubscribePrefix begins the id of an unsubscription order, followed by
// its deletion job's id in upper case: the order is the job.
const unsubscribePrefix = "CU"

// maxOrderIDLen bounds an order id (Huawei's are at most 64 characters).
const maxOrderIDLen = 64

// billingCaller returns the caller of a billing call: any authenticated
// user of an account, with or without a project.
func billingCaller(ctx context.Context) (*cph.Principal, error) {
	p, ok := cph.CallerFrom(ctx)
	if !ok {
		return nil, cph.ErrUnauthenticated()
	}
	return p, nil
}

// validOrderID reports whether id may be an order id: 1 to 64 letters,
// digits and '-'.
func validOrderID(id string) bool {
	if id == "" || len(id) > maxOrderIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// ShowCustomerOrder implements cph.BillingService. A purchase order is
// processing while one of its servers is still being created, completed
// once none is; an unsubscription order follows its deletion job.
func (s *Services) ShowCustomerOrder(ctx context.Context, orderID string) (*cph.CustomerOrder, error) {
	p, err := billingCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !validOrderID(orderID) {
		return nil, cph.ErrBSSInvalidParameter("order_id")
	}
	if jobID, ok := strings.CutPrefix(orderID, unsubscribePrefix); ok && cph.ValidID(strings.ToLower(jobID)) {
		return s.unsubscriptionOrder(ctx, p, orderID, strings.ToLower(jobID))
	}
	servers, err := s.db.ServersOfOrder(ctx, p.Domain.ID, orderID)
	if err != nil {
		return nil, err
	}
	if len(servers) == 0 {
		return nil, cph.ErrOrderNotFound()
	}
	o := &cph.CustomerOrder{ID: orderID, DomainID: p.Domain.ID, ProjectID: servers[0].ProjectID, Type: cph.OrderNewPurchase,
		Status: cph.OrderCompleted, CreateTime: servers[0].CreateTime, PaymentTime: servers[0].CreateTime, ServerCount: len(servers),
		ProductID: servers[0].Metadata.ProductID}
	for _, srv := range servers {
		o.ServerIDs = append(o.ServerIDs, srv.ID)
		switch srv.Status {
		case cph.ServerCreating, cph.ServerCreating1, cph.ServerCreating3, cph.ServerCreating4:
			o.Status = cph.OrderProcessing
		}
	}
	return o, nil
}

// unsubscriptionOrder is the order of a deletion job of p's account.
func (s *Services) unsubscriptionOrder(ctx context.Context, p *cph.Principal, orderID, jobID string) (*cph.CustomerOrder, error) {
	j, err := s.db.JobInDomain(ctx, p.Domain.ID, jobID)
	if errors.Is(err, sqlstore.ErrNotFound) || err == nil && j.Kind != cph.OpDeleteServer {
		return nil, cph.ErrOrderNotFound()
	} else if err != nil {
		return nil, err
	}
	o := &cph.CustomerOrder{ID: orderID, DomainID: p.Domain.ID, ProjectID: j.ProjectID, Type: cph.OrderUnsubscription,
		Status: cph.OrderProcessing, CreateTime: j.BeginTime, PaymentTime: j.BeginTime}
	if j.Status.Final() {
		o.Status = cph.OrderCompleted
	}
	return o, nil
}

// UnsubscribeResources implements cph.BillingService: the servers are
// checked in the caller's account, then deleted project by project as
// DeleteServers deletes them, each deletion job being one order.
func (s *Services) UnsubscribeResources(ctx context.Context, u cph.UnsubscribeParams) ([]string, error) {
	p, err := billingCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite() {
		return nil, cph.ErrBSSAccessDenied()
	}
	if u.Type != 1 {
		return nil, cph.ErrBSSInvalidParameter("unsubscribe_type")
	}
	ids := slices.Clone(u.ResourceIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	switch {
	case len(ids) == 0:
		return nil, cph.ErrBSSInvalidParameter("resource_ids")
	case len(ids) > cph.MaxUnsubscribeResources:
		return nil, cph.ErrBSSInvalidParameter("resource_ids (at most 10)")
	}
	var unknown []string
	for _, id := range ids {
		if !cph.ValidID(id) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return nil, cph.ErrResourcesNotFound(strings.Join(unknown, ", "))
	}
	servers, err := s.db.ServersInDomain(ctx, p.Domain.ID, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]*cph.Server{}
	for _, srv := range servers {
		byID[srv.ID] = srv
	}
	var busy []string
	byProject := map[string][]string{}
	var projects []string
	for _, id := range ids {
		srv, ok := byID[id]
		switch {
		case !ok:
			unknown = append(unknown, id)
		case srv.Status == cph.ServerDeleting:
			busy = append(busy, id)
		default:
			if _, seen := byProject[srv.ProjectID]; !seen {
				projects = append(projects, srv.ProjectID)
			}
			byProject[srv.ProjectID] = append(byProject[srv.ProjectID], id)
		}
	}
	if len(unknown) > 0 {
		return nil, cph.ErrResourcesNotFound(strings.Join(unknown, ", "))
	}
	if len(busy) > 0 {
		return nil, cph.ErrResourcesBusy(strings.Join(busy, ", "))
	}
	orders := []string{}
	for _, project := range projects {
		in := *p
		in.ProjectID = project
		t, err := s.DeleteServers(cph.NewCallerContext(ctx, &in), byProject[project])
		if err != nil {
			return orders, err
		}
		orders = append(orders, unsubscribePrefix+strings.ToUpper(t.JobID))
	}
	return orders, nil
}
