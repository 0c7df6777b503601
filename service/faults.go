package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

// Fault injection (docs/faults.md): a project's admins add rules that
// make the project's own API calls or jobs fail, hang or slow down. Job
// rules act in the engine; call rules act in the front end, which asks
// MatchCallFault after authenticating a call.

var _ cph.FaultService = (*Services)(nil)

// faultCallRetryAfter is the Retry-After of an injected 429 or 503.
const faultCallRetryAfter = time.Second

// CreateFault implements cph.FaultService.
func (s *Services) CreateFault(ctx context.Context, c cph.CreateFaultParams) (*cph.Fault, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	now := s.db.Now()
	f, err := s.checkFault(c, now)
	if err != nil {
		return nil, err
	}
	f.ID, f.ProjectID, f.CreatedAt = cph.NewOrderedID(), p.ProjectID, cph.NewTime(now)
	var created bool
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		var err error
		created, err = tx.CreateFault(ctx, f, cph.MaxFaultsPerProject)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create fault: %w", err)
	}
	if !created {
		return nil, cph.ErrTooManyFaults(cph.MaxFaultsPerProject)
	}
	s.log.Info("fault rule created", "fault_id", f.ID, "project_id", f.ProjectID, "operation", f.Operation, "effect", f.Effect)
	return f, nil
}

// checkFault validates c and returns the rule it describes.
func (s *Services) checkFault(c cph.CreateFaultParams, now time.Time) (*cph.Fault, error) {
	bad := cph.ErrInvalidFault
	f := &cph.Fault{Operation: c.Operation, Effect: c.Effect, ErrorCode: c.ErrorCode, ErrorMsg: c.ErrorMsg, Status: c.Status,
		DelayMillis: c.DelayMillis, ExpiresAt: c.ExpiresAt, Probability: 1,
		PhoneIDs: []string{}, ServerIDs: []string{}}
	var job bool
	switch {
	case c.Operation == "":
		return nil, bad("operation is required.")
	case strings.HasPrefix(c.Operation, cph.FaultJobPrefix):
		if _, ok := (&cph.Fault{Operation: c.Operation}).Job(); !ok {
			return nil, bad(fmt.Sprintf("unknown job type %q.", strings.TrimPrefix(c.Operation, cph.FaultJobPrefix)))
		}
		job = true
	case !slices.Contains(s.cfg.FaultOperations, c.Operation):
		return nil, bad(fmt.Sprintf("unknown operation %q.", truncateText(c.Operation, 64)))
	}
	switch c.Effect {
	case cph.FaultFail, cph.FaultHang:
		if !job {
			return nil, bad("effect " + c.Effect + " acts on jobs (operation job:<type>).")
		}
	case cph.FaultHTTPError:
		if job {
			return nil, bad("effect http_error acts on API calls, not jobs.")
		}
	case cph.FaultDelay:
	case "":
		return nil, bad("effect is required.")
	default:
		return nil, bad(fmt.Sprintf("unknown effect %q (fail, hang, delay or http_error).", truncateText(c.Effect, 32)))
	}
	for _, t := range []struct {
		name string
		ids  []string
		to   *[]string
	}{{"phone_ids", c.PhoneIDs, &f.PhoneIDs}, {"server_ids", c.ServerIDs, &f.ServerIDs}} {
		if len(t.ids) > cph.MaxFaultTargets {
			return nil, bad(fmt.Sprintf("%s holds more than %d ids.", t.name, cph.MaxFaultTargets))
		}
		for _, id := range t.ids {
			if !cph.ValidID(id) {
				return nil, bad(t.name + " holds an invalid id.")
			}
			if !slices.Contains(*t.to, id) {
				*t.to = append(*t.to, id)
			}
		}
	}
	if c.ErrorCode != "" {
		if _, ok := cph.LookupError(c.ErrorCode); !ok || !strings.HasPrefix(c.ErrorCode, "CPS.") {
			return nil, bad("error_code must be a CPS code of the error table.")
		}
	}
	if len(c.ErrorMsg) > cph.MaxFaultMessage || !cph.ValidName(c.ErrorMsg) {
		return nil, bad(fmt.Sprintf("error_msg must be text of at most %d bytes without control characters.", cph.MaxFaultMessage))
	}
	delay := time.Duration(c.DelayMillis) * time.Millisecond
	if c.DelayMillis < 0 || delay > cph.MaxFaultDelay {
		return nil, bad(fmt.Sprintf("delay_ms must be between 0 and %d.", cph.MaxFaultDelay.Milliseconds()))
	}
	switch c.Effect {
	case cph.FaultHTTPError:
		if c.ErrorCode == "" {
			return nil, bad("http_error needs error_code.")
		}
		if c.Status < 400 || c.Status > 599 || http.StatusText(c.Status) == "" {
			return nil, bad("status must be an HTTP status from 400 to 599.")
		}
		if c.DelayMillis != 0 {
			return nil, bad("delay_ms is only for delay and hang.")
		}
	case cph.FaultDelay:
		if c.DelayMillis == 0 {
			return nil, bad("delay needs delay_ms.")
		}
		if !job && delay > cph.MaxFaultCallDelay {
			return nil, bad(fmt.Sprintf("the delay of an API call is at most %d ms.", cph.MaxFaultCallDelay.Milliseconds()))
		}
		if c.ErrorCode != "" || c.ErrorMsg != "" {
			return nil, bad("error_code and error_msg are not for delay.")
		}
	case cph.FaultFail:
		if c.DelayMillis != 0 {
			return nil, bad("delay_ms is only for delay and hang.")
		}
	}
	if c.Status != 0 && c.Effect != cph.FaultHTTPError {
		return nil, bad("status is only for http_error.")
	}
	if c.Count != nil {
		if *c.Count < 1 || *c.Count > cph.MaxFaultCount {
			return nil, bad(fmt.Sprintf("count must be between 1 and %d.", cph.MaxFaultCount))
		}
		n := *c.Count
		f.Count, f.Remaining = &n, &n
	}
	if c.Probability != nil {
		if pr := *c.Probability; math.IsNaN(pr) || pr < 0 || pr > 1 {
			return nil, bad("probability must be between 0 and 1.")
		}
		f.Probability = *c.Probability
	}
	if !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(now) {
		return nil, bad("expires_at is not in the future.")
	}
	return f, nil
}

func truncateText(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "?")
}

// ListFaults implements cph.FaultService.
func (s *Services) ListFaults(ctx context.Context) ([]*cph.Fault, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.db.Faults(ctx, p.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("list faults: %w", err)
	}
	if list == nil {
		list = []*cph.Fault{}
	}
	return list, nil
}

// ShowFault implements cph.FaultService.
func (s *Services) ShowFault(ctx context.Context, id string) (*cph.Fault, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if !cph.ValidID(id) {
		return nil, cph.ErrFaultNotFound()
	}
	f, err := s.db.FaultByID(ctx, p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrFaultNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("show fault: %w", err)
	}
	return f, nil
}

// DeleteFault implements cph.FaultService.
func (s *Services) DeleteFault(ctx context.Context, id string) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	if !cph.ValidID(id) {
		return cph.ErrFaultNotFound()
	}
	found, err := s.engine.DeleteFault(ctx, p.ProjectID, id)
	if err != nil {
		return fmt.Errorf("delete fault: %w", err)
	}
	if !found {
		return cph.ErrFaultNotFound()
	}
	s.log.Info("fault rule deleted", "fault_id", id, "project_id", p.ProjectID)
	return nil
}

// MatchCallFault implements cph.FaultService. A project without rules
// costs a look into the engine's rule cache.
func (s *Services) MatchCallFault(ctx context.Context, operation string, targetIDs []string) (*cph.CallFault, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := s.engine.FaultRules(ctx, p.ProjectID)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	now := s.db.Now()
	for _, f := range rules {
		if f.Operation != operation || !f.Live(now) || !callTargets(f, targetIDs) || !engine.Chance(f.Probability) {
			continue
		}
		var applied bool
		err := s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
			var err error
			applied, err = tx.ApplyFault(ctx, f.ID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("apply fault: %w", err)
		}
		if !applied {
			continue
		}
		s.log.Info("fault injected into an API call", "injected_fault", f.ID, "effect", f.Effect, "operation", operation,
			"project_id", p.ProjectID, "user_id", p.User.ID)
		cph.NoteInjectedFault(ctx, f.ID)
		out := &cph.CallFault{FaultID: f.ID}
		switch f.Effect {
		case cph.FaultDelay:
			out.Delay = time.Duration(f.DelayMillis) * time.Millisecond
		case cph.FaultHTTPError:
			msg := f.ErrorMsg
			if msg == "" {
				msg = cph.E(f.ErrorCode).Message
			}
			out.Err = &cph.Error{Status: f.Status, Code: f.ErrorCode, Message: msg,
				Err: fmt.Errorf("injected by fault rule %s", f.ID)}
			if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
				out.Err.RetryAfter = faultCallRetryAfter
			}
		}
		return out, nil
	}
	return nil, nil
}

// callTargets reports whether a call on targetIDs (its path's ids) passes
// f's target filters: each filter that is set must hold one of them.
func callTargets(f *cph.Fault, targetIDs []string) bool {
	for _, filter := range [][]string{f.PhoneIDs, f.ServerIDs} {
		if len(filter) > 0 && !slices.ContainsFunc(targetIDs, func(id string) bool { return slices.Contains(filter, id) }) {
			return false
		}
	}
	return true
}
