package agent

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/runtime"
)

// reports collects phone states to send to the control plane outside
// operation results: phones the runtime saw break (runtime.StateNotifier)
// and phones' addresses after a boot. The latest state of a phone wins.
type reports struct {
	mu      sync.Mutex
	pending map[string]agentproto.PhoneState
	wake    chan struct{}
}

func newReports() *reports {
	return &reports{pending: map[string]agentproto.PhoneState{}, wake: make(chan struct{}, 1)}
}

// add queues a phone's state; it never blocks.
func (r *reports) add(info runtime.PhoneInfo) {
	r.mu.Lock()
	r.pending[info.ID] = phoneState(info)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// take removes and returns what is queued.
func (r *reports) take() []agentproto.PhoneState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]agentproto.PhoneState, 0, len(r.pending))
	for id, st := range r.pending {
		out = append(out, st)
		delete(r.pending, id)
	}
	return out
}

// putBack queues states again unless a newer one came.
func (r *reports) putBack(states []agentproto.PhoneState) {
	r.mu.Lock()
	for _, st := range states {
		if _, newer := r.pending[st.ID]; !newer {
			r.pending[st.ID] = st
		}
	}
	r.mu.Unlock()
}

// phoneState is the wire form of a phone's runtime state.
func phoneState(p runtime.PhoneInfo) agentproto.PhoneState {
	st := agentproto.PhoneState{ID: p.ID, State: string(p.State), AccessIP: p.Access.IP, AccessPort: p.Access.Port, IntranetIP: p.Access.IntranetIP}
	if p.State == runtime.StateFailed {
		st.Error = p.LastError
	}
	return st
}

// runReports sends queued phone states with the current session until ctx
// ends. A report that cannot be sent is kept and sent again; a new
// session also carries every phone's state.
func (a *Agent) runReports(ctx context.Context) {
	bo := a.newBackoff()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.reports.wake:
		}
		for {
			states := a.currentStates(ctx, a.reports.take())
			if len(states) == 0 {
				break
			}
			sess := a.session.Load()
			var err error
			if sess == nil || sess.ctx.Err() != nil {
				err = errNoSession
			} else {
				for len(states) > 0 && err == nil {
					n := min(len(states), agentproto.MaxPhoneStates)
					err = a.call(ctx, agentproto.PhonesPath, a.requestTimeout,
						agentproto.PhonesRequest{SessionID: sess.id, Phones: states[:n]}, nil)
					if err == nil {
						states = states[n:]
					}
				}
			}
			if err == nil {
				bo.reset()
				continue
			}
			if ctx.Err() != nil {
				return
			}
			var pe *ProtocolError
			if errors.As(err, &pe) && pe.Status == http.StatusNotFound {
				// A control plane without the phones path (an older cphd):
				// the next session start carries the states instead.
				a.log.Info("the control plane takes no phone reports; they wait for the next session", "err", err)
				break
			}
			a.reports.putBack(states)
			wait := bo.next()
			a.log.Warn("cannot report phone states; retrying", "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return
			}
		}
	}
}

type noSessionError struct{}

func (noSessionError) Error() string { return "agent: no session yet" }

var errNoSession error = noSessionError{}

// currentStates replaces queued states by the phones' states now, so that
// a report held back by a failure never says "failed" about a phone that
// has been brought back since. Phones the runtime no longer has are
// dropped.
func (a *Agent) currentStates(ctx context.Context, queued []agentproto.PhoneState) []agentproto.PhoneState {
	out := queued[:0]
	for _, st := range queued {
		info, err := a.driver.Phone(ctx, st.ID)
		if err != nil {
			continue
		}
		out = append(out, phoneState(info))
	}
	return out
}

// reportAccess queues the state of a phone with a real address after an
// operation that may have changed it (a container created anew).
func (a *Agent) reportAccess(ctx context.Context, phoneID string) {
	info, err := a.driver.Phone(ctx, phoneID)
	if err == nil && (info.Access.Port > 0 || info.Access.IntranetIP != "") {
		a.reports.add(info)
	}
}

// resources turns a phone flavor into runtime resources; an unknown
// flavor gives none.
func resources(model string) runtime.Resources {
	m, ok := cph.LookupPhoneModel(model)
	if !ok {
		return runtime.Resources{Model: model}
	}
	r := runtime.Resources{Model: model, CPUs: int(m.CPU), MemoryMB: int(m.Memory), DPI: int(m.DPI)}
	if w, h, ok := strings.Cut(m.Resolution, "x"); ok {
		r.Width, _ = strconv.Atoi(w)
		r.Height, _ = strconv.Atoi(h)
	}
	r.FPS, _ = strconv.Atoi(m.FPS)
	return r
}

// reportUnknownPhones logs the runtime's phones the control plane does not
// know, and removes them when the agent is configured to.
func (a *Agent) reportUnknownPhones(ctx context.Context, log *slog.Logger, known []agentproto.Phone) {
	have, err := a.driver.Phones(ctx)
	if err != nil {
		return
	}
	ids := make(map[string]bool, len(known))
	for _, p := range known {
		ids[p.ID] = true
	}
	for _, p := range have {
		if ids[p.ID] {
			continue
		}
		rm, canRemove := a.driver.(runtime.PhoneRemover)
		if !a.removeUnknown || !canRemove {
			log.Warn("the runtime has a phone the control plane does not know; left alone (remove it with the agent's remove-unknown-phones option)", "phone", p.ID, "state", p.State)
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := rm.RemovePhone(rctx, p.ID)
		cancel()
		if err != nil {
			log.Error("cannot remove a phone the control plane does not know", "phone", p.ID, "err", err)
			continue
		}
		log.Warn("removed a phone the control plane does not know", "phone", p.ID)
	}
}
