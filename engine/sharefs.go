package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// ShareFilesystemBatch is an attach or a detach of a shared file system
// on servers. Args holds the file system's ID, and for an attach the
// sub-directory, the host directory and the mount point.
type ShareFilesystemBatch struct {
	ProjectID string
	Kind      cph.OpKind // OpAttachShareFilesystem or OpDetachShareFilesystem
	Type      string
	ServerIDs []string // distinct, in request order
	Args      cph.ShareFilesystemArgs
}

// SubmitShareFilesystems creates, in one transaction, one job per server
// of the batch. A server that can take the change gets an operation for
// its agent (and the mount's row moves to mounting or unmounting); every
// other server's job ends at once: failed with CPS.0016 (unknown server,
// or one of another project), CPS.9001 (server not normal, or a mount or
// unmount of the file system in progress there), CPS.9008 (attach: the
// file system is mounted there with another path), or succeeded without
// a change (attach with the same path, detach of a file system the server
// does not have). The entries carry the job and, for a job failed at
// once, its code.
func (e *Engine) SubmitShareFilesystems(ctx context.Context, b ShareFilesystemBatch) (*cph.ServerJobs, error) {
	rule := serverRules()[b.Kind]
	acc := &cph.ServerJobs{RequestID: cph.NewOrderedID()}
	var woken []string
	err := e.observedTx(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		acc.Jobs, woken = acc.Jobs[:0], woken[:0]
		for position, id := range b.ServerIDs {
			item := cph.ServerJob{ServerID: id}
			done := false // the job ended at once
			job := &cph.Job{ID: cph.NewOrderedID(), RequestID: acc.RequestID, ProjectID: b.ProjectID, Kind: b.Kind, Position: position,
				ServerID: id, Status: cph.JobRunning, BeginTime: cph.NewTime(tx.Now())}
			end := func(success bool, code, msg, execMsg string) error {
				if err := tx.CreateJob(ctx, job); err != nil {
					return err
				}
				tallyOf(ctx).accept(b.Kind)
				p := sqlstore.FinishJobParams{ID: job.ID, Status: cph.JobSucceeded}
				if execMsg != "" {
					p.ExecuteMsg = &execMsg
				}
				if !success {
					p.Status, p.ErrorCode, p.ErrorMsg = cph.JobFailed, &code, &msg
					item.ErrorCode, item.ErrorMsg = code, msg
				}
				if _, err := tx.FinishJob(ctx, p); err != nil {
					return err
				}
				tallyOf(ctx).finish(b.Kind, success)
				item.JobID = job.ID
				acc.Jobs = append(acc.Jobs, item)
				done = true
				return nil
			}
			fail := func(code string, detail ...any) error {
				c, m := cph.Refuse(code, detail...)
				return end(false, c, m, "")
			}
			var srv *cph.Server
			if cph.ValidID(id) {
				var err error
				if srv, err = tx.ServerByID(ctx, b.ProjectID, id); errors.Is(err, sqlstore.ErrNotFound) {
					srv = nil
				} else if err != nil {
					return err
				}
			}
			if srv == nil {
				if err := fail(cph.CodeInvalidServerID); err != nil {
					return err
				}
				continue
			}
			if srv.Status != cph.ServerNormal {
				if err := fail(cph.CodeStatusNotAllowed, fmt.Sprintf("server status %d", srv.Status)); err != nil {
					return err
				}
				continue
			}
			args := b.Args
			var err error
			switch b.Kind {
			case cph.OpAttachShareFilesystem:
				var have *sqlstore.ShareMount
				have, err = tx.ClaimShareMount(ctx, sqlstore.ShareMount{ServerID: srv.ID, ProjectID: b.ProjectID, ID: args.ID, Type: b.Type,
					Path: args.Path, MountPoint: args.MountPoint})
				switch {
				case err != nil:
				case have == nil: // claimed: mount it
				case have.State != sqlstore.MountMounted:
					err = fail(cph.CodeStatusNotAllowed, "a mount or unmount of the shared file system is in progress on the server")
				case have.Path != args.Path:
					err = fail(cph.CodeOperationNotAllowed, fmt.Sprintf("the shared file system is mounted on the server with the path %q", pathOrRoot(have.Path)))
				default:
					err = end(true, "", "", MountedMessage(args.ID, args.Path))
				}
				if err != nil {
					return err
				}
			case cph.OpDetachShareFilesystem:
				have, err := tx.ShareMount(ctx, srv.ID, args.ID)
				if err != nil {
					return err
				}
				moved := false
				if have != nil && have.State == sqlstore.MountMounted {
					// Conditional: of concurrent detaches, one moves it.
					if moved, err = tx.SetShareMountState(ctx, srv.ID, args.ID, []string{sqlstore.MountMounted}, sqlstore.MountUnmounting); err != nil {
						return err
					}
				}
				switch {
				case have == nil:
					err = end(true, "", "", UnmountedMessage(args.ID))
				case !moved:
					err = fail(cph.CodeStatusNotAllowed, "a mount or unmount of the shared file system is in progress on the server")
				default:
					args.Path, args.MountPoint = have.Path, have.MountPoint
				}
				if err != nil {
					return err
				}
			default:
				return fmt.Errorf("engine: %q is not a shared file system operation", b.Kind)
			}
			if done {
				continue
			}
			raw, err := json.Marshal(args)
			if err != nil {
				return fmt.Errorf("engine: encode %s args: %w", rule.verb, err)
			}
			jobID, err := e.queueServerOp(ctx, tx, serverOpParams{ProjectID: b.ProjectID, RequestID: acc.RequestID, Position: position,
				Kind: b.Kind, AgentServerID: srv.ID, JobServerID: srv.ID, Args: raw})
			if err != nil {
				return err
			}
			item.JobID = jobID
			acc.Jobs = append(acc.Jobs, item)
			woken = append(woken, srv.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.hub.wakeAll(woken)
	return acc, nil
}

// MountedMessage is the execute_msg of a successful attach.
func MountedMessage(id, path string) string { return "mounted " + id + ":" + pathOrRoot(path) }

// UnmountedMessage is the execute_msg of a successful detach.
func UnmountedMessage(id string) string { return "unmounted " + id }

func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// finishShareFilesystem applies the result of an attach or a detach to the
// server's mount row, in the result's transaction: an attach leaves it
// mounted or removes it, a detach removes it or leaves it mounted.
func finishShareFilesystem(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, r Result) error {
	var a cph.ShareFilesystemArgs
	if err := json.Unmarshal(op.Args, &a); err != nil {
		return fmt.Errorf("engine: decode shared file system args: %w", err)
	}
	switch {
	case op.Kind == cph.OpAttachShareFilesystem && r.Success:
		_, err := tx.SetShareMountState(ctx, op.ServerID, a.ID, []string{sqlstore.MountMounting}, sqlstore.MountMounted)
		return err
	case op.Kind == cph.OpAttachShareFilesystem:
		return tx.DeleteShareMount(ctx, op.ServerID, a.ID, []string{sqlstore.MountMounting})
	case r.Success:
		return tx.DeleteShareMount(ctx, op.ServerID, a.ID, []string{sqlstore.MountUnmounting})
	default:
		_, err := tx.SetShareMountState(ctx, op.ServerID, a.ID, []string{sqlstore.MountUnmounting}, sqlstore.MountMounted)
		return err
	}
}

// finishShareApps records what a successful shared app push or deletion
// changed in the server's shared app area.
func finishShareApps(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, r Result) error {
	var a cph.SharedFilesArgs
	if err := json.Unmarshal(op.Args, &a); err != nil {
		return fmt.Errorf("engine: decode shared app args: %w", err)
	}
	if op.Kind == cph.OpDeleteShareApps {
		return tx.DeleteShareApp(ctx, op.ServerID, a.PackageName)
	}
	return tx.PutShareApp(ctx, op.ServerID, a.PackageName, r.AppVersion)
}

// ZoneCapacity returns the capacity configured for a zone and flavor, and
// whether there is one.
func (e *Engine) ZoneCapacity(zone, model string) (int, bool) {
	for _, c := range e.cfg.ZoneCapacity {
		if c.Zone == zone && c.ServerModel == model {
			return c.Servers, true
		}
	}
	return 0, false
}

// checkZoneCapacity refuses (CPS.9008) n more servers of a flavor in a
// zone beyond its capacity. It takes the pair's lock before it counts, so
// concurrent creations count one after another and none passes a count
// another has made stale.
func (e *Engine) checkZoneCapacity(ctx context.Context, tx *sqlstore.Tx, zone, model string, n int) error {
	limit, ok := e.ZoneCapacity(zone, model)
	if !ok {
		return nil
	}
	if err := tx.LockZoneCapacity(ctx, zone, model); err != nil {
		return err
	}
	have, err := tx.CountZoneServers(ctx, zone, model)
	if err != nil {
		return err
	}
	if have+n > limit {
		return cph.ErrOperationNotAllowed(fmt.Sprintf("the server flavor %s is sold out in the availability zone %s", model, zone))
	}
	return nil
}
