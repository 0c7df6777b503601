package docker

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/opencph/opencph/runtime"
)

// watch follows the Engine's events of the driver's containers until ctx
// ends: a container that dies, is OOM-killed or is removed outside an
// operation makes its phone failed. After the event stream breaks it
// reconnects and checks every phone's container, so no event is lost for
// good. ready is closed once the first subscription is made.
func (d *Driver) watch(ctx context.Context, ready chan struct{}) {
	defer close(d.done)
	first := true
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		sub := d.cli.Events(ctx, client.EventsListOptions{Filters: client.Filters{}.
			Add("type", string(events.ContainerEventType)).
			Add("label", LabelServer+"="+d.cfg.ServerID).
			Add("event", string(events.ActionDie), string(events.ActionOOM), string(events.ActionDestroy))})
		if first {
			close(ready)
			first = false
		}
		// What happened before the subscription (since the adoption, or
		// while the stream was broken) is found by looking.
		d.resync(ctx)
		err := d.follow(ctx, sub)
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("Docker event stream broke; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	if first {
		close(ready)
	}
}

func (d *Driver) follow(ctx context.Context, sub client.EventsResult) error {
	for {
		select {
		case m := <-sub.Messages:
			d.event(m)
		case err := <-sub.Err:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// event applies one container event.
func (d *Driver) event(m events.Message) {
	phoneID := m.Actor.Attributes[LabelPhone]
	at := time.Unix(0, m.TimeNano)
	d.mu.Lock()
	p, ok := d.phones[phoneID]
	if !ok || p.busy || p.container != m.Actor.ID || at.Before(p.settled) {
		d.mu.Unlock()
		return // an operation's own doing, or an old container
	}
	var reason string
	switch m.Action {
	case events.ActionOOM:
		reason = "its container was killed for lack of memory"
	case events.ActionDie:
		if p.info.State != runtime.StateRunning && p.info.State != runtime.StateBooting {
			d.mu.Unlock()
			return
		}
		reason = fmt.Sprintf("its container exited with code %s outside OpenCPH", m.Actor.Attributes["exitCode"])
	case events.ActionDestroy:
		reason = "its container was removed outside OpenCPH"
		p.container, p.args = "", nil
	default:
		d.mu.Unlock()
		return
	}
	if p.info.State == runtime.StateFailed && m.Action == events.ActionDie {
		d.mu.Unlock()
		return // already failed (the OOM event came first)
	}
	p.info.State = runtime.StateFailed
	p.info.LastError = "phone " + phoneID + " is abnormal: " + reason
	info := snapshot(p)
	notify := d.notify
	d.mu.Unlock()
	d.log.Warn("phone abnormal", "phone", phoneID, "reason", reason)
	if notify != nil {
		notify(info)
	}
}

// resync checks, after a gap in the event stream (and once it is first
// subscribed), that every phone the driver thinks running still has a
// running container.
func (d *Driver) resync(ctx context.Context) {
	d.mu.Lock()
	var check []*phone
	for _, p := range d.phones {
		if !p.busy && p.info.State == runtime.StateRunning {
			check = append(check, p)
		}
	}
	d.mu.Unlock()
	for _, p := range check {
		ins, err := d.cli.ContainerInspect(ctx, d.containerName(p.info.ID), client.ContainerInspectOptions{})
		var reason string
		switch {
		case cerrdefs.IsNotFound(err):
			reason = "its container was removed outside OpenCPH"
		case err != nil:
			continue
		case ins.Container.State == nil || !ins.Container.State.Running:
			reason = "its container stopped outside OpenCPH"
		default:
			continue
		}
		d.mu.Lock()
		if p.busy || p.info.State != runtime.StateRunning {
			d.mu.Unlock()
			continue
		}
		p.info.State = runtime.StateFailed
		p.info.LastError = "phone " + p.info.ID + " is abnormal: " + reason
		info := snapshot(p)
		notify := d.notify
		d.mu.Unlock()
		if notify != nil {
			notify(info)
		}
	}
}
