package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// serverRule describes a server-level operation: which server statuses
// accept it and what a result changes.
type serverRule struct {
	from      []cph.ServerStatus
	needShare bool // the server's flavor must have shared storage
	verb      string
	// restartPhones moves the server's phones to Restarting at acceptance
	// and back to Running or Restart failed with the result.
	restartPhones bool
	// onSuccess records what a successful operation changed, in the
	// result's transaction.
	onSuccess func(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord) error
}

var normal = []cph.ServerStatus{cph.ServerNormal}

// creating lists the server statuses of a server being built.
var creating = []cph.ServerStatus{cph.ServerCreating, cph.ServerCreating1, cph.ServerCreating3, cph.ServerCreating4}

// serverRules returns the rules of server-level and encode-service
// operations.
func serverRules() map[cph.OpKind]serverRule {
	return map[cph.OpKind]serverRule{
		cph.OpRestartServer: {from: normal, verb: "server restart", restartPhones: true},
		cph.OpUpdateKeypair: {from: normal, verb: "key pair update", onSuccess: func(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord) error {
			var a cph.KeypairArgs
			if err := json.Unmarshal(op.Args, &a); err != nil {
				return fmt.Errorf("engine: decode keypair args: %w", err)
			}
			return tx.UpdateServer(ctx, op.ServerID, sqlstore.ServerUpdate{KeypairName: &a.KeypairName})
		}},
		cph.OpPushShareFiles:      {from: normal, needShare: true, verb: "shared file push"},
		cph.OpDeleteShareFiles:    {from: normal, needShare: true, verb: "shared file deletion"},
		cph.OpListShareFiles:      {from: normal, needShare: true, verb: "shared file listing"},
		cph.OpPushShareApps:       {from: normal, needShare: true, verb: "shared app push"},
		cph.OpDeleteShareApps:     {from: normal, needShare: true, verb: "shared app deletion"},
		cph.OpProvisionServer:     {verb: "server creation"},
		cph.OpRebuildServer:       {verb: "server change"},
		cph.OpChangeServerModel:   {verb: "server flavor change"},
		cph.OpDeleteServer:        {verb: "server deletion"},
		cph.OpRestartEncodeServer: {verb: "encode server restart"},
		// Shared file systems are submitted by SubmitShareFilesystems.
		cph.OpAttachShareFilesystem: {verb: "shared file system mount"},
		cph.OpDetachShareFilesystem: {verb: "shared file system unmount"},
	}
}

// restartFrom lists the phone statuses a server restart restarts.
var restartFrom = []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneStopped, cph.PhoneResetFailed, cph.PhoneRestartFailed, cph.PhoneStopFailed, cph.PhoneAbnormal}

// ServerBatch is a batch operation on servers.
type ServerBatch struct {
	ProjectID string
	Kind      cph.OpKind
	ServerIDs []string // targets, in request order
	// Args are the arguments of every operation of the batch; ArgsFor, if
	// set, gives per-server arguments instead.
	Args    json.RawMessage
	ArgsFor func(serverID string) json.RawMessage
}

// SubmitServers validates a server batch and, in one transaction, creates
// a job and queues an operation for each acceptable server (and, for a
// restart, moves its phones to Restarting). Servers that cannot take the
// operation get a per-item error: CPS.0016 unknown or malformed server,
// CPS.9001 status does not allow it (or one of its phones is busy),
// CPS.9008 the flavor has no shared storage. Whole-request errors: CPS.9011
// empty list, CPS.9010 too many servers.
func (e *Engine) SubmitServers(ctx context.Context, b ServerBatch) (*cph.ServerJobs, error) {
	rule, ok := serverRules()[b.Kind]
	if !ok || rule.from == nil {
		return nil, fmt.Errorf("engine: %q is not a server batch operation", b.Kind)
	}
	if len(b.ServerIDs) == 0 {
		return nil, cph.ErrInvalidParameter("server_ids")
	}
	if len(b.ServerIDs) > e.cfg.MaxBatch {
		return nil, cph.ErrTooManyItems("server_ids", e.cfg.MaxBatch)
	}
	acc := &cph.ServerJobs{RequestID: cph.NewOrderedID()}
	var woken []string
	err := e.observedTx(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		acc.Jobs, woken = acc.Jobs[:0], woken[:0]
		seen := map[string]bool{}
		position := 0
		for _, id := range b.ServerIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			item := cph.ServerJob{ServerID: id}
			refuse := func(code, msg string) {
				item.ErrorCode, item.ErrorMsg = code, msg
				acc.Jobs = append(acc.Jobs, item)
			}
			if !cph.ValidID(id) {
				refuse(cph.Refuse(cph.CodeInvalidServerID))
				continue
			}
			srv, err := tx.ServerByID(ctx, b.ProjectID, id)
			if errors.Is(err, sqlstore.ErrNotFound) {
				refuse(cph.Refuse(cph.CodeInvalidServerID))
				continue
			} else if err != nil {
				return err
			}
			if srv.Status == cph.ServerAbnormal {
				refuse(cph.Refuse(cph.CodeServerUnavailable))
				continue
			}
			if !slices.Contains(rule.from, srv.Status) {
				refuse(cph.Refuse(cph.CodeStatusNotAllowed, fmt.Sprintf("server status %d", srv.Status)))
				continue
			}
			if rule.needShare {
				share, err := tx.ServerShareVolume(ctx, srv.ID)
				if err != nil {
					return err
				}
				if share == nil {
					refuse(cph.Refuse(cph.CodeOperationNotAllowed, "the server flavor has no shared storage"))
					continue
				}
			}
			args := b.Args
			if b.ArgsFor != nil {
				args = b.ArgsFor(id)
			}
			if rule.restartPhones {
				phones, err := tx.PhonesByServer(ctx, srv.ID)
				if err != nil {
					return err
				}
				busy := slices.ContainsFunc(phones, func(p *cph.Phone) bool { return p.Status.Transient() })
				if busy {
					refuse(cph.Refuse(cph.CodeStatusNotAllowed, "a phone of the server is busy"))
					continue
				}
				var pa cph.ServerPhonesArgs
				for _, p := range phones {
					ok, err := tx.SetPhoneStatus(ctx, p.ID, restartFrom, cph.PhoneRestarting)
					if err != nil {
						return err
					}
					if ok {
						pa.Phones = append(pa.Phones, cph.ServerPhoneSpec{ID: p.ID, Name: p.Name, Index: p.Index})
					}
				}
				if args, err = json.Marshal(pa); err != nil {
					return fmt.Errorf("engine: encode server args: %w", err)
				}
			}
			jobID, err := e.queueServerOp(ctx, tx, serverOpParams{ProjectID: b.ProjectID, RequestID: acc.RequestID, Position: position, Kind: b.Kind, AgentServerID: srv.ID, JobServerID: srv.ID, Args: args})
			if err != nil {
				return err
			}
			position++
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

// serverOpParams describes a server-level operation to queue: the job it
// runs under (for the server JobServerID or the encode service
// EncodeServerID) and the agent (of AgentServerID) that carries it out.
type serverOpParams struct {
	ProjectID      string
	RequestID      string
	Position       int
	Kind           cph.OpKind
	AgentServerID  string
	JobServerID    string
	EncodeServerID string
	Args           json.RawMessage // nil means {}
}

// queueServerOp creates a running job for a server or an encode service
// and queues its operation for the agent of p.AgentServerID.
func (e *Engine) queueServerOp(ctx context.Context, tx *sqlstore.Tx, p serverOpParams) (string, error) {
	job := &cph.Job{
		ID: cph.NewOrderedID(), RequestID: p.RequestID, ProjectID: p.ProjectID, Kind: p.Kind, Position: p.Position,
		ServerID: p.JobServerID, EncodeServerID: p.EncodeServerID, Status: cph.JobRunning, BeginTime: cph.NewTime(tx.Now()),
	}
	if err := tx.CreateJob(ctx, job); err != nil {
		return "", err
	}
	tallyOf(ctx).accept(p.Kind)
	args := p.Args
	if args == nil {
		args = json.RawMessage(`{}`)
	}
	op := &cph.Operation{ID: cph.NewOrderedID(), JobID: job.ID, ServerID: p.AgentServerID, Kind: p.Kind, Args: args}
	if err := tx.CreateOperation(ctx, op); err != nil {
		return "", err
	}
	// Wake the agent's long-poll on whichever replica holds it.
	if err := tx.NotifyServer(ctx, p.AgentServerID); err != nil {
		return "", err
	}
	return job.ID, nil
}

// finishJob writes a job's final status from r.
func finishJob(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, verb string, r Result) (bool, error) {
	ended, err := writeFinalJob(ctx, tx, op, verb, r)
	if ended && err == nil {
		tallyOf(ctx).finish(op.Kind, r.Success)
	}
	return ended, err
}

func writeFinalJob(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, verb string, r Result) (bool, error) {
	var execMsg *string
	if r.ExecuteMsg != "" {
		m := truncate(r.ExecuteMsg, maxExecuteMsg)
		execMsg = &m
	}
	if r.Success {
		return tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: op.JobID, Status: cph.JobSucceeded, ExecuteMsg: execMsg})
	}
	code, msg := r.ErrorCode, r.ErrorMsg
	if code == "" {
		code = cph.CodeJobFailed
	}
	if msg == "" {
		_, msg = cph.Refuse(cph.CodeJobFailed, verb+" failed.")
	}
	return tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: op.JobID, Status: cph.JobFailed, ErrorCode: &code, ErrorMsg: &msg, ExecuteMsg: execMsg})
}

// finishServer applies the result of a server-level or encode-service
// operation, in the result's transaction.
func (e *Engine) finishServer(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, rule serverRule, r Result) error {
	switch op.Kind {
	case cph.OpDeleteServer:
		return e.finishDelete(ctx, tx, op, rule, r)
	case cph.OpRestartEncodeServer:
		if _, err := finishJob(ctx, tx, op, rule.verb, r); err != nil {
			return err
		}
		var a cph.EncodeServerArgs
		if err := json.Unmarshal(op.Args, &a); err != nil {
			return fmt.Errorf("engine: decode encode server args: %w", err)
		}
		to := cph.EncodeRunning
		if !r.Success {
			to = cph.EncodeAbnormal
		}
		_, err := tx.SetEncodeServerStatus(ctx, a.EncodeServerID, []cph.EncodeServerStatus{cph.EncodeRestarting}, to)
		return err
	}
	if _, err := finishJob(ctx, tx, op, rule.verb, r); err != nil {
		return err
	}
	switch op.Kind {
	case cph.OpAttachShareFilesystem, cph.OpDetachShareFilesystem:
		return finishShareFilesystem(ctx, tx, op, r)
	case cph.OpPushShareApps, cph.OpDeleteShareApps:
		if r.Success {
			return finishShareApps(ctx, tx, op, r)
		}
		return nil
	case cph.OpRestartServer:
		return setPhoneOutcomes(ctx, tx, op, r, phoneOutcomes{During: cph.PhoneRestarting, Success: cph.PhoneRunning, Failure: cph.PhoneRestartFailed})
	case cph.OpProvisionServer, cph.OpRebuildServer:
		if err := setPhoneOutcomes(ctx, tx, op, r, phoneOutcomes{During: cph.PhoneCreating, Success: cph.PhoneRunning, Failure: cph.PhoneCreateFailed}); err != nil {
			return err
		}
		to := cph.ServerNormal
		if !r.Success {
			to = cph.ServerAbnormal
		}
		_, err := tx.SetServerStatus(ctx, op.ServerID, creating, to)
		return err
	case cph.OpChangeServerModel:
		if r.Success {
			var a cph.ServerModelArgs
			if err := json.Unmarshal(op.Args, &a); err != nil {
				return fmt.Errorf("engine: decode server model args: %w", err)
			}
			if err := tx.UpdateServer(ctx, op.ServerID, sqlstore.ServerUpdate{ModelName: &a.ServerModelName, PhoneModelName: &a.PhoneModelName}); err != nil {
				return err
			}
			if err := tx.SetServerShareVolume(ctx, op.ServerID, shareVolumeOf(a.PhoneModelName)); err != nil {
				return err
			}
		}
		// A failed flavor change leaves the server running its old flavor.
		_, err := tx.SetServerStatus(ctx, op.ServerID, []cph.ServerStatus{cph.ServerCreating4}, cph.ServerNormal)
		return err
	}
	if r.Success && rule.onSuccess != nil {
		return rule.onSuccess(ctx, tx, op)
	}
	return nil
}

// phoneOutcomes names the statuses a server-level operation moves its
// phones through: During while it runs, then Success or Failure.
type phoneOutcomes struct {
	During, Success, Failure cph.PhoneStatus
}

// setPhoneOutcomes moves the phones named in op's arguments from the
// transient status s.During to s.Success, or to s.Failure for the phones
// the result lists as failed (all of them when a failed result lists none).
func setPhoneOutcomes(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, r Result, s phoneOutcomes) error {
	var a cph.ServerPhonesArgs
	if len(op.Args) > 0 {
		if err := json.Unmarshal(op.Args, &a); err != nil {
			return fmt.Errorf("engine: decode server phone args: %w", err)
		}
	}
	for _, p := range a.Phones {
		to := s.Success
		if !r.Success && (len(r.FailedPhones) == 0 || slices.Contains(r.FailedPhones, p.ID)) {
			to = s.Failure
		}
		if _, err := tx.SetPhoneStatus(ctx, p.ID, []cph.PhoneStatus{s.During}, to); err != nil {
			return err
		}
	}
	return nil
}

// finishDelete applies the result of one server's deletion. The job of a
// deletion covers several servers: it succeeds once every server is gone
// and fails as soon as one deletion fails.
func (e *Engine) finishDelete(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, rule serverRule, r Result) error {
	if !r.Success {
		if _, err := finishJob(ctx, tx, op, rule.verb, r); err != nil {
			return err
		}
		_, err := tx.SetServerStatus(ctx, op.ServerID, []cph.ServerStatus{cph.ServerDeleting}, cph.ServerAbnormal)
		return err
	}
	// Operations still queued for the server can never run: fail them.
	open, err := tx.OpenOperationsOfServer(ctx, op.ServerID)
	if err != nil {
		return err
	}
	for _, o := range open {
		if o.Kind == cph.OpDeleteServer {
			continue
		}
		done, err := tx.CompleteOperation(ctx, o.ID, o.State, "")
		if err != nil {
			return err
		}
		if done {
			code, msg := cph.Refuse(cph.CodeJobFailed, "the server was deleted.")
			if err := e.finish(ctx, tx, o, Result{ErrorCode: code, ErrorMsg: msg}); err != nil {
				return err
			}
		}
	}
	if err := tx.DeleteServer(ctx, op.ServerID); err != nil {
		return err
	}
	left, err := tx.CountOpenOperationsOfJob(ctx, op.JobID)
	if err != nil {
		return err
	}
	if left == 0 {
		_, err = finishJob(ctx, tx, op, rule.verb, r)
	}
	return err
}

// shareVolumeOf returns the shared storage a server with that phone flavor has.
func shareVolumeOf(phoneModel string) cph.ShareVolumeInfo {
	pm, ok := cph.LookupPhoneModel(phoneModel)
	if !ok || pm.ShareDiskGB == 0 {
		return cph.ShareVolumeInfo{}
	}
	return cph.ShareVolumeInfo{VolumeType: "SSD", Size: pm.ShareDiskGB, Version: 1}
}

// RestartEncodeServers restarts encode services: in one transaction each
// acceptable one goes to Restarting (3) with a job and an operation for
// the agent of its phone server. Per-item errors: CPS.9006 unknown,
// CPS.9001 status does not allow it. Whole-request errors: CPS.9011 empty
// list, CPS.9010 too many.
func (e *Engine) RestartEncodeServers(ctx context.Context, projectID string, ids []string) (*cph.EncodeServerJobs, error) {
	if len(ids) == 0 {
		return nil, cph.ErrInvalidParameter("encode_server_ids")
	}
	if len(ids) > e.cfg.MaxBatch {
		return nil, cph.ErrTooManyItems("encode_server_ids", e.cfg.MaxBatch)
	}
	acc := &cph.EncodeServerJobs{RequestID: cph.NewOrderedID()}
	var woken []string
	err := e.observedTx(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		acc.Jobs, woken = acc.Jobs[:0], woken[:0]
		seen := map[string]bool{}
		position := 0
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			item := cph.EncodeServerJob{EncodeServerID: id}
			var es *cph.EncodeServer
			var err error
			if cph.ValidID(id) {
				es, err = tx.EncodeServerByID(ctx, projectID, id)
			}
			if es == nil || errors.Is(err, sqlstore.ErrNotFound) {
				item.ErrorCode, item.ErrorMsg = cph.Refuse(cph.CodeEncodeServerNotFound)
				acc.Jobs = append(acc.Jobs, item)
				continue
			} else if err != nil {
				return err
			}
			ok, err := tx.SetEncodeServerStatus(ctx, es.ID, []cph.EncodeServerStatus{cph.EncodeRunning, cph.EncodeAbnormal}, cph.EncodeRestarting)
			if err != nil {
				return err
			}
			if !ok {
				item.ErrorCode, item.ErrorMsg = cph.Refuse(cph.CodeStatusNotAllowed, fmt.Sprintf("encode server status %d", es.Status))
				acc.Jobs = append(acc.Jobs, item)
				continue
			}
			args, _ := json.Marshal(cph.EncodeServerArgs{EncodeServerID: es.ID})
			jobID, err := e.queueServerOp(ctx, tx, serverOpParams{ProjectID: projectID, RequestID: acc.RequestID, Position: position, Kind: cph.OpRestartEncodeServer, AgentServerID: es.ServerID, EncodeServerID: es.ID, Args: args})
			if err != nil {
				return err
			}
			position++
			item.JobID = jobID
			acc.Jobs = append(acc.Jobs, item)
			woken = append(woken, es.ServerID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.hub.wakeAll(woken)
	return acc, nil
}

// DeleteServers deletes servers with one job: in one transaction every
// server goes to Deleting (6) and a deletion is queued for its agent; once
// every agent has wiped its phones the servers and their phones are gone.
// Whole-request errors: CPS.0016 unknown or malformed server, CPS.9001 a
// server already being deleted. It returns the request and job IDs.
func (e *Engine) DeleteServers(ctx context.Context, projectID string, ids []string) (requestID, jobID string, err error) {
	requestID = cph.NewOrderedID()
	var woken []string
	err = e.observedTx(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		woken = woken[:0]
		job := &cph.Job{ID: cph.NewOrderedID(), RequestID: requestID, ProjectID: projectID, Kind: cph.OpDeleteServer,
			Status: cph.JobRunning, BeginTime: cph.NewTime(tx.Now())}
		if err := tx.CreateJob(ctx, job); err != nil {
			return err
		}
		tallyOf(ctx).accept(cph.OpDeleteServer)
		jobID = job.ID
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			if !cph.ValidID(id) {
				return cph.ErrInvalidServerID()
			}
			srv, err := tx.ServerByID(ctx, projectID, id)
			if errors.Is(err, sqlstore.ErrNotFound) {
				return cph.ErrInvalidServerID()
			} else if err != nil {
				return err
			}
			if srv.Status == cph.ServerDeleting {
				return cph.ErrServerStatusNotAllowed(srv.Status)
			}
			if _, err := tx.SetServerStatus(ctx, srv.ID, nil, cph.ServerDeleting); err != nil {
				return err
			}
			op := &cph.Operation{ID: cph.NewOrderedID(), JobID: job.ID, ServerID: srv.ID, Kind: cph.OpDeleteServer, Args: json.RawMessage(`{}`)}
			if err := tx.CreateOperation(ctx, op); err != nil {
				return err
			}
			if err := tx.NotifyServer(ctx, srv.ID); err != nil {
				return err
			}
			woken = append(woken, srv.ID)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	e.hub.wakeAll(woken)
	return requestID, jobID, nil
}

// productID is the product ID of every order (billing has no meaning
// here: every order is treated as paid).
const productID = "00301-232211-0--0"

// CreateServers creates servers on the simulated fleet: in one
// transaction each server (status 0, marked simulated so that cphd runs an
// agent for it) with its phones (status 1, as many as the phone flavor's
// capacity), bandwidth and encode service, and a job whose operation
// boots the phones once the server's agent runs. The caller has validated
// the spec. Whole-request errors: CPS.0030 unusable image, CPS.0031
// unknown shared bandwidth.
func (e *Engine) CreateServers(ctx context.Context, spec cph.ServerSpec) (*cph.Order, error) {
	order := &cph.Order{RequestID: cph.NewID(), OrderID: "CS" + strings.ToUpper(cph.NewID()[:18]), ProductID: productID}
	var woken []string
	err := e.observedTx(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		order.ServerIDs, woken = order.ServerIDs[:0], woken[:0]
		var img *sqlstore.Image
		if spec.PhoneModel != "" {
			var err error
			if img, err = tx.UsableImage(ctx, spec.ProjectID, spec.ImageID); errors.Is(err, sqlstore.ErrNotFound) {
				return cph.ErrInvalidImage()
			} else if err != nil {
				return err
			}
		}
		var shared *cph.Bandwidth
		if spec.Bandwidth != nil && spec.Bandwidth.ShareType == 1 {
			var err error
			if shared, err = tx.BandwidthByID(ctx, spec.ProjectID, spec.Bandwidth.ID); errors.Is(err, sqlstore.ErrNotFound) {
				return cph.ErrInvalidBandwidth()
			} else if err != nil {
				return err
			}
		}
		az := spec.AZ
		if az == "" {
			proj, err := tx.ProjectNameByID(ctx, spec.ProjectID)
			if err != nil {
				return err
			}
			az = proj + "a"
		}
		if err := e.checkZoneCapacity(ctx, tx, az, spec.ServerModel, spec.Count); err != nil {
			return err
		}
		for i := 1; i <= spec.Count; i++ {
			name := spec.Name
			if spec.Count > 1 {
				name = fmt.Sprintf("%s-%04d", spec.Name, i)
			}
			srv := &cph.Server{
				ID: cph.NewID(), ProjectID: spec.ProjectID, Name: name, AvailabilityZone: az,
				ModelName: spec.ServerModel, PhoneModelName: spec.PhoneModel, KeypairName: spec.KeypairName, Status: cph.ServerCreating,
				VPCID: spec.VPCID, CIDR: "172.16.0.0/12", SubnetID: spec.SubnetID, SubnetCIDR: "172.31.0.0/16",
				Addresses:      []cph.Address{{ServerIP: cph.RandomIP("172.31"), PublicIP: cph.RandomIP("100.64")}},
				Metadata:       cph.ServerMetadata{OrderID: order.OrderID, ProductID: productID},
				NetworkVersion: spec.NetworkVersion,
			}
			if srv.VPCID == "" {
				srv.VPCID = cph.NewUUID()
			}
			if srv.SubnetID == "" {
				srv.SubnetID = cph.NewUUID()
			}
			if err := tx.CreateServer(ctx, srv); err != nil {
				return err
			}
			if err := tx.SetServerSimulated(ctx, srv.ID, e.cfg.FleetRuntime, shareVolumeOf(spec.PhoneModel)); err != nil {
				return err
			}
			if err := attachBandwidth(ctx, tx, spec, srv, shared); err != nil {
				return err
			}
			es := &cph.EncodeServer{ID: cph.NewID(), ProjectID: spec.ProjectID, ServerID: srv.ID, Name: srv.Name + "-encode",
				IP: cph.RandomIP("172.31"), Type: 1, Status: cph.EncodeRunning, KeypairName: spec.KeypairName}
			if err := tx.CreateEncodeServer(ctx, es); err != nil {
				return err
			}
			args, err := createPhones(ctx, tx, srv, spec, img)
			if err != nil {
				return err
			}
			if _, err := e.queueServerOp(ctx, tx, serverOpParams{ProjectID: spec.ProjectID, RequestID: order.RequestID, Position: i - 1, Kind: cph.OpProvisionServer, AgentServerID: srv.ID, JobServerID: srv.ID, Args: args}); err != nil {
				return err
			}
			order.ServerIDs = append(order.ServerIDs, srv.ID)
			woken = append(woken, srv.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.hub.wakeAll(woken)
	return order, nil
}

func attachBandwidth(ctx context.Context, tx *sqlstore.Tx, spec cph.ServerSpec, srv *cph.Server, shared *cph.Bandwidth) error {
	switch {
	case shared != nil:
		return tx.AttachBandwidth(ctx, srv.ID, shared.ID)
	case spec.Bandwidth != nil:
		bw := &cph.Bandwidth{ID: cph.NewUUID(), Name: srv.Name + "-bandwidth", Size: spec.Bandwidth.Size,
			ChargeMode: spec.Bandwidth.ChargeMode, ShareType: 0}
		if err := tx.CreateBandwidth(ctx, spec.ProjectID, bw); err != nil {
			return err
		}
		return tx.AttachBandwidth(ctx, srv.ID, bw.ID)
	}
	return nil
}

// createPhones creates the phones of a new or rebuilt server, in status
// Creating, and returns the arguments of the operation that boots them.
func createPhones(ctx context.Context, tx *sqlstore.Tx, srv *cph.Server, spec cph.ServerSpec, img *sqlstore.Image) (json.RawMessage, error) {
	var pa cph.ServerPhonesArgs
	pa.Phones = []cph.ServerPhoneSpec{}
	if pm, ok := cph.LookupPhoneModel(spec.PhoneModel); ok && img != nil {
		volType, volSize := spec.DataVolumeType, spec.DataVolumeSize
		if volType == "" {
			volType, volSize = "SSD", 16
		}
		prop := cph.FormatProperty(spec.Property)
		// Phones are named <server_name>-<4-digit index>. Server names need
		// not be unique, phone names must: a clash adds the start of the
		// server ID.
		prefix := srv.Name
		for j := 1; j <= int(pm.PhoneCapacity); j++ {
			taken, err := tx.PhoneNameTaken(ctx, srv.ProjectID, fmt.Sprintf("%s-%04d", prefix, j))
			if err != nil {
				return nil, err
			}
			if taken {
				prefix = srv.Name + "-" + srv.ID[:6]
				break
			}
		}
		for j := 1; j <= int(pm.PhoneCapacity); j++ {
			p := &cph.Phone{
				ID: cph.NewID(), ProjectID: srv.ProjectID, ServerID: srv.ID, Index: j, Name: fmt.Sprintf("%s-%04d", prefix, j),
				ModelName: pm.PhoneModelName, ImageID: img.ID, ImageVersion: img.Version, VNCEnable: "false",
				Status: cph.PhoneCreating, IMEI: cph.NewIMEI(), TrafficType: "direct", AvailabilityZone: srv.AvailabilityZone,
				VolumeMode: pm.VolumeMode, Metadata: cph.PhoneMetadata{OrderID: srv.Metadata.OrderID, ProductID: srv.Metadata.ProductID},
				Property: prop, IP: cph.RandomIP("10.0"), DataVolumeType: volType, DataVolumeSize: volSize,
			}
			if err := tx.CreatePhone(ctx, p); err != nil {
				return nil, err
			}
			pa.Phones = append(pa.Phones, cph.ServerPhoneSpec{ID: p.ID, Name: p.Name, Index: j, ImageID: img.ID, Property: spec.Property})
		}
	}
	args, err := json.Marshal(pa)
	if err != nil {
		return nil, fmt.Errorf("engine: encode server args: %w", err)
	}
	return args, nil
}

// ChangeServer rebuilds a server with a new phone flavor and image
// (ChangeCloudPhoneServer): in one transaction the server goes to a creating status (3) with
// its new settings, its phones are replaced by new ones in status 1, and
// a job is queued whose operation wipes the old phones and boots the new
// ones. Errors: 404 CPS.0016 unknown server, CPS.9001 server not normal or
// busy, CPS.0028 phone flavor not for this server flavor, CPS.0030
// unusable image. It returns the request and job IDs.
func (e *Engine) ChangeServer(ctx context.Context, serverID string, spec cph.ServerSpec) (requestID, jobID string, err error) {
	requestID = cph.NewOrderedID()
	err = e.observedTx(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		srv, err := tx.ServerByID(ctx, spec.ProjectID, serverID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrServerNotFound()
		} else if err != nil {
			return err
		}
		pm, ok := cph.LookupPhoneModel(spec.PhoneModel)
		if !ok || pm.ServerModelName != srv.ModelName || pm.Status != 1 {
			return cph.ErrInvalidPhoneModel()
		}
		img, err := tx.UsableImage(ctx, spec.ProjectID, spec.ImageID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrInvalidImage()
		} else if err != nil {
			return err
		}
		if err := e.checkIdle(ctx, tx, srv); err != nil {
			return err
		}
		if _, err := tx.SetServerStatus(ctx, srv.ID, normal, cph.ServerCreating3); err != nil {
			return err
		}
		u := sqlstore.ServerUpdate{PhoneModelName: &spec.PhoneModel}
		if spec.KeypairName != "" {
			u.KeypairName = &spec.KeypairName
		}
		if spec.AZ != "" {
			u.AvailabilityZone = &spec.AZ
			srv.AvailabilityZone = spec.AZ
		}
		if err := tx.UpdateServer(ctx, srv.ID, u); err != nil {
			return err
		}
		if err := tx.SetServerShareVolume(ctx, srv.ID, shareVolumeOf(spec.PhoneModel)); err != nil {
			return err
		}
		if err := tx.DeletePhonesOfServer(ctx, srv.ID); err != nil {
			return err
		}
		args, err := createPhones(ctx, tx, srv, spec, img)
		if err != nil {
			return err
		}
		jobID, err = e.queueServerOp(ctx, tx, serverOpParams{ProjectID: spec.ProjectID, RequestID: requestID, Kind: cph.OpRebuildServer, AgentServerID: srv.ID, JobServerID: srv.ID, Args: args})
		return err
	})
	if err != nil {
		return "", "", err
	}
	e.hub.wake(serverID)
	return requestID, jobID, nil
}

// checkIdle refuses (CPS.9001) a server that is not normal or still has
// operations queued or running.
func (e *Engine) checkIdle(ctx context.Context, tx *sqlstore.Tx, srv *cph.Server) error {
	if srv.Status != cph.ServerNormal {
		return cph.ErrServerStatusNotAllowed(srv.Status)
	}
	open, err := tx.OpenOperationsOfServer(ctx, srv.ID)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		return cph.ErrStatusNotAllowed(fmt.Sprintf("the server has %d operations in progress", len(open)))
	}
	return nil
}

// ChangeServerModel changes the flavor of a server: the
// server goes to a creating status (4) and a job is queued; once its
// agent has applied the change the server is normal again with the new
// flavor. Errors: CPS.0016 unknown server, CPS.0089 unknown server flavor,
// CPS.0028 unknown phone flavor or one of another server flavor, CPS.9008
// another server generation or phone capacity, CPS.9001 server not normal
// or busy.
func (e *Engine) ChangeServerModel(ctx context.Context, projectID, serverID, serverModel, phoneModel string) (*cph.Order, error) {
	order := &cph.Order{RequestID: cph.NewID(), OrderID: "CS" + strings.ToUpper(cph.NewID()[:18]), ProductID: productID}
	err := e.observedTx(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		if !cph.ValidID(serverID) {
			return cph.ErrInvalidServerID()
		}
		srv, err := tx.ServerByID(ctx, projectID, serverID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrInvalidServerID()
		} else if err != nil {
			return err
		}
		sm, ok := cph.LookupServerModel(serverModel)
		if !ok {
			return cph.ErrInvalidServerModel()
		}
		pm, ok := cph.LookupPhoneModel(phoneModel)
		if !ok || pm.ServerModelName != sm.ServerModelName || pm.Status != 1 {
			return cph.ErrInvalidPhoneModel()
		}
		cur, ok := cph.LookupServerModel(srv.ModelName)
		if !ok || cur.Generation() != sm.Generation() {
			return cph.ErrOperationNotAllowed("the new server flavor is of another server generation")
		}
		if curPM, ok := cph.LookupPhoneModel(srv.PhoneModelName); !ok || curPM.PhoneCapacity != pm.PhoneCapacity {
			return cph.ErrOperationNotAllowed("the new phone flavor has another number of phones per server")
		}
		if err := e.checkIdle(ctx, tx, srv); err != nil {
			return err
		}
		if _, err := tx.SetServerStatus(ctx, srv.ID, normal, cph.ServerCreating4); err != nil {
			return err
		}
		args, _ := json.Marshal(cph.ServerModelArgs{ServerModelName: serverModel, PhoneModelName: phoneModel})
		_, err = e.queueServerOp(ctx, tx, serverOpParams{ProjectID: projectID, RequestID: order.RequestID, Kind: cph.OpChangeServerModel, AgentServerID: srv.ID, JobServerID: srv.ID, Args: args})
		order.ServerIDs = []string{srv.ID}
		return err
	})
	if err != nil {
		return nil, err
	}
	e.hub.wake(serverID)
	return order, nil
}
