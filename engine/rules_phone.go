package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// phoneOpRules returns the rules of phone operations beyond restart, reset
// and stop (which rules defines): property updates, ADB commands, data
// export and import, volume expansion, traffic import, screenshots. None
// of them changes the phone's status.
func phoneOpRules() map[cph.OpKind]opRule {
	running := []cph.PhoneStatus{cph.PhoneRunning}
	return map[cph.OpKind]opRule{
		// A property update is accepted in any status but the transient
		// ones, frozen and creation-failed; it takes effect when the phone
		// is (back) running.
		cph.OpUpdateProperty: {
			from: []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneStopped, cph.PhoneResetFailed,
				cph.PhoneRestartFailed, cph.PhoneAbnormal, cph.PhoneStopFailed},
			verb: "property update", onSuccess: recordProperty,
		},
		cph.OpExpandVolume:  {from: running, verb: "volume expansion", onSuccess: recordVolumeSize},
		cph.OpImportTraffic: {from: running, verb: "traffic import", onSuccess: recordTrafficType},
		cph.OpExportData:    {from: running, verb: "data export"},
		cph.OpImportData:    {from: running, verb: "data import"},
		cph.OpADBCommand:    {from: running, verb: "command"},
		cph.OpScreenshot:    {from: running, verb: "screenshot", onSuccess: recordScreenshot},
	}
}

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// checkScreenshot turns the success of a screenshot whose image is
// missing, too large or not a PNG into a failure.
func checkScreenshot(op *sqlstore.OperationRecord, r Result) Result {
	if op.Kind != cph.OpScreenshot || !r.Success {
		return r
	}
	var why string
	switch {
	case len(r.Screenshot) > cph.MaxScreenshotBytes:
		why = fmt.Sprintf("the screenshot is larger than %d bytes.", cph.MaxScreenshotBytes)
	case !strings.HasPrefix(string(r.Screenshot), pngSignature):
		why = "the agent delivered no PNG image."
	default:
		return r
	}
	code, msg := cph.Refuse(cph.CodeJobFailed, why)
	return Result{ErrorCode: code, ErrorMsg: msg}
}

// screenshotJobsKept is how long a screenshot job is kept after it ended,
// for the requests that wait for it; each new capture of the phone deletes
// the older ones.
const screenshotJobsKept = time.Minute

// recordScreenshot keeps the capture of a successful screenshot as its
// phone's latest, and prunes the phone's earlier screenshot jobs.
func recordScreenshot(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, r Result) error {
	job, err := tx.JobByID(ctx, op.JobID)
	if err != nil {
		return err
	}
	if err := tx.SetScreenshot(ctx, sqlstore.Screenshot{PhoneID: op.PhoneID, ProjectID: job.ProjectID, ServerID: op.ServerID, PNG: r.Screenshot}); err != nil {
		return err
	}
	return tx.PruneScreenshotJobs(ctx, op.PhoneID, tx.Now().Add(-screenshotJobsKept))
}

// recordProperty merges the properties of a successful update into the
// phone's recorded property set.
func recordProperty(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, _ Result) error {
	var args cph.RestartArgs
	if err := json.Unmarshal(op.Args, &args); err != nil {
		return fmt.Errorf("engine: decode property update args: %w", err)
	}
	phone, err := tx.PhoneByID(ctx, "", op.PhoneID)
	if err != nil {
		return err
	}
	props, err := cph.ParseProperty(phone.Property)
	if err != nil {
		props = map[string]string{}
	}
	for k, v := range args.Property {
		props[k] = v
	}
	return tx.SetPhoneProperty(ctx, phone.ID, cph.FormatProperty(props))
}

// recordVolumeSize records the new data volume size of the phone.
func recordVolumeSize(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, _ Result) error {
	var args cph.VolumeArgs
	if err := json.Unmarshal(op.Args, &args); err != nil {
		return fmt.Errorf("engine: decode volume args: %w", err)
	}
	size, ok := args.Sizes[op.PhoneID]
	if !ok {
		return fmt.Errorf("engine: volume args of operation %s have no size for phone %s", op.ID, op.PhoneID)
	}
	return tx.SetPhoneDataVolumeSize(ctx, op.PhoneID, size)
}

// recordTrafficType records the new traffic route of the phone.
func recordTrafficType(ctx context.Context, tx *sqlstore.Tx, op *sqlstore.OperationRecord, _ Result) error {
	var args cph.TrafficArgs
	if err := json.Unmarshal(op.Args, &args); err != nil {
		return fmt.Errorf("engine: decode traffic args: %w", err)
	}
	return tx.SetPhoneTrafficType(ctx, op.PhoneID, args.TrafficType)
}
