package client

import (
	"context"

	cph "github.com/opencph/opencph"
)

// Services implements the domain service interfaces of the root package
// (cph.PhoneService, cph.JobService, ...) over HTTP, as the Client's user
// sees them. The caller is the Client's user: a caller in the context is
// ignored. The same behaviour suite runs against Services and against the
// in-process services, so both keep the same rules.
type Services struct {
	c *Client
}

// Services returns the domain services over c.
func (c *Client) Services() *Services { return &Services{c: c} }

var _ cph.PhoneService = (*Services)(nil)

// ListPhones implements cph.PhoneService.
func (s *Services) ListPhones(ctx context.Context, f cph.PhoneFilter) (*cph.PhonePage, error) {
	opts := ListPhonesOptions{Offset: new(f.Offset), Limit: new(f.Limit), Status: f.Status, Type: f.Type}
	if f.NameLike != nil {
		opts.Name = *f.NameLike
	}
	if f.ServerID != nil {
		opts.ServerID = *f.ServerID
	}
	list, err := s.c.ListPhones(ctx, opts)
	if err != nil {
		return nil, err
	}
	page := &cph.PhonePage{Total: list.Count, Phones: make([]*cph.Phone, len(list.Phones))}
	for i := range list.Phones {
		page.Phones[i] = &list.Phones[i]
	}
	return page, nil
}
