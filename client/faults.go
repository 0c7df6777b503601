package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/opencph/opencph"
)

// faultsPath is the OpenCPH extension for a project's fault-injection
// rules (docs/faults.md).
const faultsPath = "/opencph/v1/{project_id}/faults"

// CreateFault adds a fault-injection rule to the project (project admins
// only: 403 CPS.0001). An invalid rule is 400 CPS.9018; a project holds at
// most cph.MaxFaultsPerProject rules (409 CPS.9019).
func (c *Client) CreateFault(ctx context.Context, p cph.CreateFaultParams) (*cph.Fault, error) {
	var out cph.Fault
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: faultsPath, In: p, Out: &out}); err != nil {
		return nil, fmt.Errorf("create fault: %w", err)
	}
	return &out, nil
}

// ListFaults returns the project's fault-injection rules, oldest first.
func (c *Client) ListFaults(ctx context.Context) ([]*cph.Fault, error) {
	var out struct {
		Faults []*cph.Fault `json:"faults"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: faultsPath, Out: &out}); err != nil {
		return nil, fmt.Errorf("list faults: %w", err)
	}
	if out.Faults == nil {
		out.Faults = []*cph.Fault{}
	}
	return out.Faults, nil
}

// ShowFault returns one fault-injection rule; an unknown id is 404
// CPS.9017.
func (c *Client) ShowFault(ctx context.Context, id string) (*cph.Fault, error) {
	var out cph.Fault
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: faultsPath + "/" + url.PathEscape(id), Out: &out}); err != nil {
		return nil, fmt.Errorf("show fault %s: %w", id, err)
	}
	return &out, nil
}

// DeleteFault deletes a fault-injection rule; the jobs a hang of it holds
// run at once. An unknown id is 404 CPS.9017.
func (c *Client) DeleteFault(ctx context.Context, id string) error {
	if _, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: faultsPath + "/" + url.PathEscape(id)}); err != nil {
		return fmt.Errorf("delete fault %s: %w", id, err)
	}
	return nil
}

var _ cph.FaultService = (*Services)(nil)

// CreateFault implements cph.FaultService.
func (s *Services) CreateFault(ctx context.Context, p cph.CreateFaultParams) (*cph.Fault, error) {
	return s.c.CreateFault(ctx, p)
}

// ListFaults implements cph.FaultService.
func (s *Services) ListFaults(ctx context.Context) ([]*cph.Fault, error) { return s.c.ListFaults(ctx) }

// ShowFault implements cph.FaultService.
func (s *Services) ShowFault(ctx context.Context, id string) (*cph.Fault, error) {
	return s.c.ShowFault(ctx, id)
}

// DeleteFault implements cph.FaultService.
func (s *Services) DeleteFault(ctx context.Context, id string) error { return s.c.DeleteFault(ctx, id) }

// MatchCallFault implements cph.FaultService. Over HTTP the server applies
// the rules to every call itself: there is nothing for a client to match,
// and it reports no fault.
func (s *Services) MatchCallFault(ctx context.Context, operation string, targetIDs []string) (*cph.CallFault, error) {
	return nil, nil
}
