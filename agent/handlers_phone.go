package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/runtime"
)

// handler executes one kind of operation and returns its result.
type handler func(ctx context.Context, op cph.Operation) agentproto.Result

// phoneHandlers returns the executors of phone operations beyond restart,
// reset and stop: ADB commands, data export and import, and the like.
func (a *Agent) phoneHandlers() map[cph.OpKind]handler {
	return map[cph.OpKind]handler{
		cph.OpUpdateProperty: a.updateProperty,
		cph.OpExpandVolume:   a.expandVolume,
		cph.OpImportTraffic:  a.importTraffic,
		cph.OpExportData:     a.exportData,
		cph.OpImportData:     a.importData,
		cph.OpADBCommand:     a.adbCommand,
		cph.OpScreenshot:     a.screenshot,
	}
}

// screenshot captures the phone's screen through the runtime and returns
// the PNG in the result. A capture larger than cph.MaxScreenshotBytes is
// refused rather than sent.
func (a *Agent) screenshot(ctx context.Context, op cph.Operation) agentproto.Result {
	sc, ok := a.driver.(runtime.Screenshotter)
	if !ok {
		return failed("the runtime cannot take screenshots.")
	}
	// The control plane answers its caller after cph.ScreenshotWait: a
	// capture that takes longer is of no use, and would hold up the next.
	ctx, cancel := context.WithTimeout(ctx, cph.ScreenshotWait)
	defer cancel()
	png, err := sc.Screenshot(ctx, op.PhoneID)
	if err != nil {
		return failed(fmt.Sprintf("screenshot failed: %v", err))
	}
	if len(png) > cph.MaxScreenshotBytes {
		return failed(fmt.Sprintf("the screenshot is %d bytes, more than the %d allowed.", len(png), cph.MaxScreenshotBytes))
	}
	return agentproto.Result{Success: true, Screenshot: png}
}

// updateProperty records new properties in the runtime: some apply at
// once, the others at the phone's next boot.
func (a *Agent) updateProperty(ctx context.Context, op cph.Operation) agentproto.Result {
	pu, ok := a.driver.(runtime.PropertyUpdater)
	if !ok {
		return failed("the runtime cannot update properties.")
	}
	args, err := decodeRestartArgs(op.Args)
	if err != nil {
		return failed(fmt.Sprintf("invalid property arguments: %v", err))
	}
	if err := pu.UpdateProperty(ctx, op.PhoneID, args.Property, cph.PropertyTakesEffectNow); err != nil {
		return failed(fmt.Sprintf("property update failed: %v", err))
	}
	return agentproto.Result{Success: true}
}

// expandVolume grows the phone's data volume. Simulated volumes have no
// size of their own, so only the phone must exist.
func (a *Agent) expandVolume(ctx context.Context, op cph.Operation) agentproto.Result {
	if _, err := a.driver.Phone(ctx, op.PhoneID); err != nil {
		return failed(fmt.Sprintf("volume expansion failed: %v", err))
	}
	return agentproto.Result{Success: true}
}

// importTraffic switches the phone's traffic route. The route is a
// network setting of the server; the runtime only needs the phone.
func (a *Agent) importTraffic(ctx context.Context, op cph.Operation) agentproto.Result {
	if _, err := a.driver.Phone(ctx, op.PhoneID); err != nil {
		return failed(fmt.Sprintf("traffic import failed: %v", err))
	}
	return agentproto.Result{Success: true}
}

// objectFailure turns an object transfer error into a job failure with a
// dedicated code for a missing bucket or object.
func objectFailure(bucket, key string, err error) agentproto.Result {
	switch {
	case errors.Is(err, objstore.ErrNoSuchBucket):
		code, msg := cph.Refuse(cph.CodeNoSuchBucket, bucket)
		return agentproto.Result{ErrorCode: code, ErrorMsg: msg}
	case errors.Is(err, objstore.ErrNoSuchObject):
		code, msg := cph.Refuse(cph.CodeNoSuchObject, "obs://"+bucket+"/"+key)
		return agentproto.Result{ErrorCode: code, ErrorMsg: msg}
	}
	return failed(fmt.Sprintf("object obs://%s/%s: %v", bucket, key, err))
}

// exportData packs the phone's data and uploads it as it is packed: the
// archive goes from the driver to the control plane through a pipe, never
// whole in memory or on disk. If the export fails, the upload is aborted
// and no object is stored.
func (a *Agent) exportData(ctx context.Context, op cph.Operation) agentproto.Result {
	ar, ok := a.driver.(runtime.DataArchiver)
	if !ok {
		return failed("the runtime cannot export data.")
	}
	var args cph.ExportArgs
	if err := json.Unmarshal(op.Args, &args); err != nil {
		return failed(fmt.Sprintf("invalid export arguments: %v", err))
	}
	info, ok := args.Phones[op.PhoneID]
	if !ok {
		return failed("no storage information for this phone.")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	exported := make(chan error, 1)
	go func() {
		err := ar.ExportData(ctx, op.PhoneID, info.IncludeFiles, info.ExcludeFiles, pw)
		if err != nil {
			// Abort the upload: the object must not be stored.
			pw.CloseWithError(fmt.Errorf("%w: %w", errExportFailed, err))
		} else {
			pw.Close()
		}
		exported <- err
	}()
	n, putErr := a.PutObjectFrom(ctx, info.BucketName, info.ObjectPath, pr)
	pr.CloseWithError(errUploadOver) // unblocks an export the upload stopped reading
	cancel()
	// An export stopped because the upload ended (a missing bucket, say)
	// fails with the upload's error.
	if err := <-exported; err != nil && (putErr == nil || !errors.Is(err, errUploadOver)) {
		return failed(fmt.Sprintf("data export failed: %v", err))
	}
	if putErr != nil {
		return objectFailure(info.BucketName, info.ObjectPath, putErr)
	}
	return agentproto.Result{Success: true, ExecuteMsg: fmt.Sprintf("exported %d bytes to obs://%s/%s", n, info.BucketName, info.ObjectPath)}
}

var (
	errExportFailed = errors.New("export failed")
	errUploadOver   = errors.New("upload over")
)

// importData restores an export into the phone, streaming it from object
// storage into the driver.
func (a *Agent) importData(ctx context.Context, op cph.Operation) agentproto.Result {
	ar, ok := a.driver.(runtime.DataArchiver)
	if !ok {
		return failed("the runtime cannot import data.")
	}
	var args cph.ImportArgs
	if err := json.Unmarshal(op.Args, &args); err != nil {
		return failed(fmt.Sprintf("invalid import arguments: %v", err))
	}
	info, ok := args.Phones[op.PhoneID]
	if !ok {
		return failed("no restore information for this phone.")
	}
	rc, _, err := a.OpenObject(ctx, info.BucketName, info.ObjectPath)
	if err != nil {
		return objectFailure(info.BucketName, info.ObjectPath, err)
	}
	defer rc.Close()
	src := &countingReader{r: rc}
	if err := ar.ImportData(ctx, op.PhoneID, src); err != nil {
		return failed(fmt.Sprintf("data import failed: %v", err))
	}
	return agentproto.Result{Success: true, ExecuteMsg: fmt.Sprintf("restored %d bytes from obs://%s/%s", src.n, info.BucketName, info.ObjectPath)}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// adbCommand runs an install, install-multiple, uninstall, push or shell
// command. The output goes to execute_msg, on success and on failure.
func (a *Agent) adbCommand(ctx context.Context, op cph.Operation) agentproto.Result {
	adb, ok := a.driver.(runtime.ADB)
	if !ok {
		return failed("the runtime does not run ADB commands.")
	}
	var args cph.CommandArgs
	if err := json.Unmarshal(op.Args, &args); err != nil {
		return failed(fmt.Sprintf("invalid command arguments: %v", err))
	}
	if args.TimeoutMillis > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(args.TimeoutMillis)*time.Millisecond)
		defer cancel()
	}
	res := a.runCommand(ctx, adb, op.PhoneID, args)
	if !res.Success && ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.ErrorCode, res.ErrorMsg = cph.Refuse(cph.CodeJobFailed, "the command timed out.")
	}
	return res
}

func (a *Agent) runCommand(ctx context.Context, adb runtime.ADB, phoneID string, args cph.CommandArgs) agentproto.Result {
	fail := func(output string, format string, v ...any) agentproto.Result {
		r := failed(fmt.Sprintf(format, v...))
		r.ExecuteMsg = output
		return r
	}
	switch args.Command {
	case cph.CommandShell:
		res, err := adb.Shell(ctx, phoneID, args.Content)
		if err != nil {
			return fail("", "shell command failed: %v", err)
		}
		if res.ExitCode != 0 {
			return fail(res.Output, "the command exited with status %d.", res.ExitCode)
		}
		return agentproto.Result{Success: true, ExecuteMsg: res.Output}
	case cph.CommandInstall, cph.CommandInstallMultiple:
		urls := cph.CommandObjects(args.Content)
		if args.Command == cph.CommandInstall && len(urls) > 1 {
			urls = urls[:1] // install: only the first APK is installed
		}
		// An APK is a zip, read with random access: each is spooled to a
		// temporary file, removed when the install is over.
		apks := make([]runtime.APK, 0, len(urls))
		var spools []*os.File
		defer func() {
			for _, f := range spools {
				closeSpool(f)
			}
		}()
		for _, u := range urls {
			bucket, key, err := objstore.ParseURL(u)
			if err != nil {
				return fail("Failure [INSTALL_FAILED_INVALID_URI]\n", "%v", err)
			}
			f, size, err := a.spoolObject(ctx, bucket, key)
			if err != nil {
				r := objectFailure(bucket, key, err)
				r.ExecuteMsg = "Failure [INSTALL_FAILED_INVALID_URI]\n"
				return r
			}
			spools = append(spools, f)
			apks = append(apks, runtime.APK{Name: key[strings.LastIndex(key, "/")+1:], Size: size, Content: f})
		}
		pkg, err := adb.Install(ctx, phoneID, apks)
		if err != nil {
			reason := "INSTALL_FAILED_INTERNAL_ERROR"
			if errors.Is(err, runtime.ErrBadPackage) {
				reason = "INSTALL_PARSE_FAILED_NOT_APK"
			} else if errors.Is(err, runtime.ErrSystemPackage) {
				reason = "INSTALL_FAILED_UPDATE_INCOMPATIBLE"
			} else if errors.Is(err, runtime.ErrNoSpace) {
				reason = "INSTALL_FAILED_INSUFFICIENT_STORAGE"
			}
			return fail("Failure ["+reason+"]\n", "install failed: %v", err)
		}
		return agentproto.Result{Success: true, ExecuteMsg: "Success\n" + "package:" + pkg + "\n"}
	case cph.CommandUninstall:
		fields := strings.Fields(args.Content)
		pkg := fields[len(fields)-1] // flags such as -k may precede the package
		if err := adb.Uninstall(ctx, phoneID, pkg); err != nil {
			return fail("Failure [DELETE_FAILED_INTERNAL_ERROR]\n", "uninstall failed: %v", err)
		}
		return agentproto.Result{Success: true, ExecuteMsg: "Success\n"}
	case cph.CommandPush:
		bucket, key, err := objstore.ParseURL(strings.TrimSpace(args.Content))
		if err != nil {
			return fail("", "%v", err)
		}
		rc, _, err := a.OpenObject(ctx, bucket, key)
		if err != nil {
			return objectFailure(bucket, key, err)
		}
		defer rc.Close()
		n, err := adb.Push(ctx, phoneID, rc)
		if err != nil {
			return fail("", "push failed: %v", err)
		}
		return agentproto.Result{Success: true, ExecuteMsg: fmt.Sprintf("%d files pushed from obs://%s/%s\n", n, bucket, key)}
	}
	return failed(fmt.Sprintf("unknown command %q.", args.Command))
}
