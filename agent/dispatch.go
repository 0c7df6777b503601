package agent

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
)

// dispatcher executes claimed operations: one queue per phone, drained by
// one goroutine while it is not empty, with a shared bound on how many
// operations execute at once.
type dispatcher struct {
	ctx context.Context
	a   *Agent
	sem chan struct{} // one token per executing operation
	wg  sync.WaitGroup

	mu     sync.Mutex
	queues map[string][]*task // by queue key; the head is in progress
	tasks  map[string]*task   // by operation ID, until its result is settled

	// results feeds the result sender, which posts results in batches.
	results chan *pendingResult
	// single is set once the control plane turned out not to know the
	// batch results path: results then go one request each.
	single atomic.Bool
}

// pendingResult is a result waiting for the result sender.
type pendingResult struct {
	sess *session
	res  agentproto.Result
	done chan error // receives the outcome of this result
}

// task is one operation held by the agent.
type task struct {
	op   cph.Operation
	sess *session // the session that last delivered op; guarded by dispatcher.mu
}

// newDispatcher returns a dispatcher whose operations run under ctx.
func newDispatcher(ctx context.Context, a *Agent) *dispatcher {
	d := &dispatcher{
		ctx:     ctx,
		a:       a,
		sem:     make(chan struct{}, a.concurrency),
		queues:  make(map[string][]*task),
		tasks:   make(map[string]*task),
		results: make(chan *pendingResult),
	}
	d.wg.Go(d.sendResults)
	return d
}

// wait waits for every queue to drain.
func (d *dispatcher) wait() { d.wg.Wait() }

// submit queues op, delivered by sess. An operation the agent already
// holds (delivered again after a session change) is not queued twice: its
// result is reported under the newer session instead.
func (d *dispatcher) submit(sess *session, op cph.Operation) {
	log := d.a.log.With("op", op.ID, "kind", op.Kind, "phone", op.PhoneID)
	if op.ID == "" {
		log.Error("ignoring operation without operation_id", "job", op.JobID)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.tasks[op.ID]; ok {
		t.sess = sess
		log.Debug("operation delivered again while in progress", "session", sess.id)
		return
	}
	t := &task{op: op, sess: sess}
	d.tasks[op.ID] = t
	key := op.PhoneID
	switch {
	case key == "":
		key = "operation:" + op.ID
	case op.Kind == cph.OpScreenshot:
		// A screenshot only reads the screen: it has a queue of its own
		// beside the phone's, so it neither waits for a long operation of
		// the phone (an install, an export) nor holds one up.
		key = "screenshot:" + op.PhoneID
	}
	q := d.queues[key]
	d.queues[key] = append(q, t)
	log.Debug("operation queued", "job", op.JobID, "attempt", op.Attempt, "queued", len(q))
	if len(q) == 0 {
		d.wg.Go(func() { d.drain(key) })
	}
}

// drain runs the operations of one queue in order until it is empty.
func (d *dispatcher) drain(key string) {
	for {
		d.mu.Lock()
		t := d.queues[key][0]
		d.mu.Unlock()

		d.run(t)

		d.mu.Lock()
		q := d.queues[key][1:]
		if len(q) == 0 {
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		d.queues[key] = q
		d.mu.Unlock()
	}
}

// run executes one operation and reports its result.
func (d *dispatcher) run(t *task) {
	ctx := d.ctx
	log := d.a.log.With("op", t.op.ID, "kind", t.op.Kind, "phone", t.op.PhoneID)
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		d.forget(t)
		return
	}
	start := time.Now()
	res := d.a.execute(ctx, t.op)
	<-d.sem
	if ctx.Err() != nil {
		log.Info("operation abandoned: agent stopping; it will be delivered again")
		d.forget(t)
		return
	}
	if res.Success {
		log.Info("operation succeeded", "duration", time.Since(start))
	} else {
		log.Warn("operation failed", "duration", time.Since(start), "error_code", res.ErrorCode, "error_msg", res.ErrorMsg)
	}
	d.report(ctx, t, res)
}

// forget drops t from the operations the agent holds.
func (d *dispatcher) forget(t *task) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tasks[t.op.ID] == t {
		delete(d.tasks, t.op.ID)
	}
}

// settle forgets t unless it was delivered again by a session other than
// sess since the attempt that used sess. It reports whether t was
// forgotten.
func (d *dispatcher) settle(t *task, sess *session) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t.sess != sess {
		return false
	}
	if d.tasks[t.op.ID] == t {
		delete(d.tasks, t.op.ID)
	}
	return true
}

// report posts res for t, retrying while the control plane is unreachable,
// failing or rejecting the credential, until it is accepted, refused for
// good, or ctx is done.
func (d *dispatcher) report(ctx context.Context, t *task, res agentproto.Result) {
	a := d.a
	log := a.log.With("op", t.op.ID, "kind", t.op.Kind, "phone", t.op.PhoneID)
	bo := a.newBackoff()
	for {
		d.mu.Lock()
		sess := t.sess
		d.mu.Unlock()
		err := d.post(ctx, sess, t.op.ID, res)
		switch {
		case err == nil:
			d.settle(t, sess)
			log.Debug("result reported", "session", sess.id)
			if a.onResult != nil {
				a.onResult(t.op, time.Now())
			}
			return
		case ctx.Err() != nil:
			d.forget(t)
			return
		case isSessionGone(err):
			if a.session.Load() == sess {
				sess.end(err)
			}
			if d.settle(t, sess) {
				log.Warn("result dropped: its session has ended; the operation will be delivered again", "session", sess.id)
				return
			}
			continue // delivered again under a newer session: report there
		case isNotClaimed(err):
			if d.settle(t, sess) {
				log.Warn("result dropped: operation no longer claimed by this agent", "session", sess.id, "err", err)
				return
			}
			continue
		case isUnauthorized(err):
			wait := max(bo.next(), a.unauthorizedBackoff)
			log.Error("control plane rejected the agent credential while reporting a result", "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				d.forget(t)
				return
			}
		case isRetryable(err):
			wait := bo.next()
			log.Warn("cannot report result", "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				d.forget(t)
				return
			}
		default:
			d.forget(t)
			log.Error("result refused by the control plane; dropped", "err", err)
			return
		}
	}
}

// resultLinger is how long the result sender waits for more results
// before it posts what it has.
const resultLinger = 5 * time.Millisecond

// post reports the result of operation opID under sess and returns its
// outcome: nil once applied, or the error of the request or of this
// result (a *ProtocolError with agentproto.CodeNotClaimed when the session
// does not hold the operation).
func (d *dispatcher) post(ctx context.Context, sess *session, opID string, res agentproto.Result) error {
	res.OperationID = opID
	if d.single.Load() {
		res.SessionID = sess.id
		return d.a.call(ctx, agentproto.ResultPath(opID), d.a.requestTimeout, res, nil)
	}
	p := &pendingResult{sess: sess, res: res, done: make(chan error, 1)}
	select {
	case d.results <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendResults posts results until the dispatcher's context ends. It takes
// every result that is waiting (up to agentproto.MaxResults) into one
// request, so results that complete while a request is in flight travel
// together in the next one.
func (d *dispatcher) sendResults() {
	for {
		var batch []*pendingResult
		select {
		case p := <-d.results:
			batch = append(batch, p)
		case <-d.ctx.Done():
			return
		}
		// Results of operations that run together finish together: wait a
		// moment for them, so that they travel in one request.
		linger := time.NewTimer(resultLinger)
	more:
		for len(batch) < agentproto.MaxResults {
			select {
			case p := <-d.results:
				batch = append(batch, p)
			case <-linger.C:
				break more
			case <-d.ctx.Done():
				break more
			}
		}
		linger.Stop()
		// One request per session, in the order the results came; a
		// result that carries a screenshot travels alone, so that a
		// request holds at most one (agentproto.MaxResultBodyBytes).
		for len(batch) > 0 {
			sess := batch[0].sess
			var same, rest []*pendingResult
			for _, p := range batch {
				switch {
				case p.sess != sess:
					rest = append(rest, p)
				case len(p.res.Screenshot) > 0:
					d.postBatch(sess, []*pendingResult{p})
				default:
					same = append(same, p)
				}
			}
			if len(same) > 0 {
				d.postBatch(sess, same)
			}
			batch = rest
		}
	}
}

// postBatch posts the results of one session in one request and hands
// each its outcome.
func (d *dispatcher) postBatch(sess *session, batch []*pendingResult) {
	a := d.a
	req := agentproto.ResultsRequest{SessionID: sess.id, Results: make([]agentproto.Result, len(batch))}
	for i, p := range batch {
		req.Results[i] = p.res
	}
	var resp agentproto.ResultsResponse
	err := a.call(d.ctx, agentproto.ResultsPath, a.requestTimeout, req, &resp)
	if pe, ok := asProtocolError(err); ok && (pe.Status == http.StatusNotFound || pe.Status == http.StatusMethodNotAllowed) && pe.Code != agentproto.CodeNotClaimed {
		// A control plane without the batch path: report one by one.
		a.log.Info("control plane takes one result per request", "err", err)
		d.single.Store(true)
		for _, p := range batch {
			res := p.res
			res.SessionID = sess.id
			p.done <- a.call(d.ctx, agentproto.ResultPath(res.OperationID), a.requestTimeout, res, nil)
		}
		return
	}
	if err == nil && len(resp.Results) != len(batch) {
		err = fmt.Errorf("agent: results: %d statuses for %d results", len(resp.Results), len(batch))
	}
	for i, p := range batch {
		if err != nil {
			p.done <- err
			continue
		}
		st := resp.Results[i]
		if st.ErrorCode == "" {
			p.done <- nil
			continue
		}
		p.done <- &ProtocolError{Status: http.StatusConflict, Code: st.ErrorCode, Message: st.ErrorMsg}
	}
}
