package sqlstore

import "sync"

// Phone versions move in commit order. A cached phone list is brought up
// to date by applying the status changes of the versions after its own
// (statuslog.go), in version order: two changes of one phone must get
// their versions in the order they committed, or the older status would
// win. On SQLite one transaction commits at a time, under the writer lock
// that also covers the versions' move. On PostgreSQL transactions commit
// side by side, and the goroutine that committed first may move the
// versions last; commitOrder puts the moves back in order.
//
// Each PostgreSQL transaction that wrote phones takes a ticket right
// before it sends COMMIT, and its versions move only after those of every
// earlier ticket. Two transactions that changed the same phone are in
// ticket order: the second one's UPDATE of that row waited for the first
// one's commit to finish, so it took its ticket after the first one did.
// A commit that failed may still have committed (the connection can break
// after the server committed): its ticket moves the versions of what it
// wrote, as a barrier, all the same.

// commitOrder hands out tickets and moves versions in ticket order.
type commitOrder struct {
	mu      sync.Mutex
	moved   sync.Cond              // broadcast when applied grows; L is &mu
	issued  uint64                 // tickets taken so far
	applied uint64                 // tickets whose versions moved
	waiting map[uint64]pendingMove // finished out of order
}

// pendingMove is the version move of a finished ticket.
type pendingMove struct {
	groups changeGroup
	status []PhoneStatusChange
}

// take returns the next ticket.
func (o *commitOrder) take() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.issued
	o.issued++
	return t
}

// finish records that ticket t's transaction has ended, moves, in ticket
// order, the versions of every ticket that can move now, and returns once
// t's have moved: a caller that reads after its own commit sees it, as on
// SQLite. The wait is for the commits of earlier tickets, which are
// already under way. t's status changes count only if it committed;
// otherwise what it wrote moves as a barrier.
func (o *commitOrder) finish(c *changes, t uint64, groups changeGroup, status []PhoneStatusChange, committed bool) {
	if !committed && groups&groupPhoneStatus != 0 {
		groups |= groupPhones
		status = nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.moved.L == nil {
		o.moved.L = &o.mu
	}
	if t != o.applied {
		if o.waiting == nil {
			o.waiting = map[uint64]pendingMove{}
		}
		o.waiting[t] = pendingMove{groups: groups, status: status}
		for o.applied <= t {
			o.moved.Wait()
		}
		return
	}
	c.bumpWith(groups, status)
	o.applied++
	for {
		m, ok := o.waiting[o.applied]
		if !ok {
			break
		}
		delete(o.waiting, o.applied)
		c.bumpWith(m.groups, m.status)
		o.applied++
	}
	o.moved.Broadcast()
}
