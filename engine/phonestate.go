package engine

import (
	"context"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// PhoneReport is what an agent's runtime says about one phone outside an
// operation: its state and, for runtimes with real addresses, where it can
// be reached.
type PhoneReport struct {
	ID string
	// Failed says the phone broke outside an operation (its container
	// died, was killed or removed); Reason says how.
	Failed bool
	Reason string
	// AccessIP, AccessPort and IntranetIP are empty/zero when the runtime
	// has no real address.
	AccessIP   string
	AccessPort int
	IntranetIP string
}

// abnormalFrom are the statuses a phone that broke outside an operation
// leaves for abnormal (-7). A phone in a transient status has an operation
// in flight, whose result decides.
var abnormalFrom = []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneStopped}

// ReportPhones applies an agent's reports about the phones of its server:
// addresses are recorded, and failed phones that are running or stopped
// become abnormal. Reports of phones of other servers are ignored. It
// returns ErrSessionGone when sessionID is not the server's session.
func (e *Engine) ReportPhones(ctx context.Context, serverID, sessionID string, reports []PhoneReport) error {
	ok, err := e.db.AgentSessionIs(ctx, serverID, sessionID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrSessionGone
	}
	phones, err := e.db.PhonesByServer(ctx, serverID)
	if err != nil {
		return err
	}
	mine := make(map[string]bool, len(phones))
	for _, p := range phones {
		mine[p.ID] = true
	}
	var marked []string
	err = e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		marked = marked[:0]
		for _, r := range reports {
			if !mine[r.ID] {
				continue
			}
			if r.AccessPort > 0 || r.IntranetIP != "" {
				if err := tx.SetPhoneAccess(ctx, sqlstore.PhoneAccess{PhoneID: r.ID, ServerID: serverID,
					AccessIP: r.AccessIP, AccessPort: r.AccessPort, IntranetIP: r.IntranetIP}); err != nil {
					return err
				}
			}
			if r.Failed {
				ok, err := tx.SetPhoneStatus(ctx, r.ID, abnormalFrom, cph.PhoneAbnormal)
				if err != nil {
					return err
				}
				if ok {
					marked = append(marked, r.ID)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range marked {
		e.log.Warn("phone abnormal: its runtime reports it broke", "server_id", serverID, "phone_id", id)
	}
	return nil
}
