package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/runtime"
)

// serverHandlers returns the executors of server-level operations.
func (a *Agent) serverHandlers() map[cph.OpKind]handler {
	ok := func(context.Context, cph.Operation) agentproto.Result { return agentproto.Result{Success: true} }
	return map[cph.OpKind]handler{
		cph.OpRestartServer:       a.restartServer,
		cph.OpProvisionServer:     a.buildServer,
		cph.OpRebuildServer:       a.buildServer,
		cph.OpDeleteServer:        a.deleteServer,
		cph.OpChangeServerModel:   ok,
		cph.OpUpdateKeypair:       ok,
		cph.OpRestartEncodeServer: ok,
		cph.OpPushShareFiles:      a.pushShareFiles,
		cph.OpDeleteShareFiles:    a.deleteShareFiles,
		cph.OpListShareFiles:      a.listShareFiles,
		cph.OpPushShareApps:       a.pushShareApps,
		cph.OpDeleteShareApps:     a.deleteShareApps,
		// Shared file systems.
		cph.OpAttachShareFilesystem: a.attachShareFilesystem,
		cph.OpDetachShareFilesystem: a.detachShareFilesystem,
	}
}

// eachPhone runs fn on every phone of args concurrently and returns the
// result: success when fn succeeded everywhere, else the failed phones.
func eachPhone(ctx context.Context, phones []cph.ServerPhoneSpec, verb string, fn func(ctx context.Context, p cph.ServerPhoneSpec) error) agentproto.Result {
	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		failedIDs []string
		msgs      []string
	)
	for _, p := range phones {
		wg.Go(func() {
			if err := fn(ctx, p); err != nil {
				mu.Lock()
				failedIDs = append(failedIDs, p.ID)
				msgs = append(msgs, fmt.Sprintf("%s: %v", p.Name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failedIDs) == 0 {
		return agentproto.Result{Success: true}
	}
	r := failed(fmt.Sprintf("%s failed on %d of %d phones: %s", verb, len(failedIDs), len(phones), strings.Join(msgs, "; ")))
	r.FailedPhones = failedIDs
	return r
}

func decodeArgs(op cph.Operation, v any) error {
	if len(op.Args) == 0 {
		return nil
	}
	return json.Unmarshal(op.Args, v)
}

// restartServer restarts every phone the operation names.
func (a *Agent) restartServer(ctx context.Context, op cph.Operation) agentproto.Result {
	var args cph.ServerPhonesArgs
	if err := decodeArgs(op, &args); err != nil {
		return failed("invalid server restart arguments.")
	}
	return eachPhone(ctx, args.Phones, "server restart", func(ctx context.Context, p cph.ServerPhoneSpec) error {
		return a.driver.Restart(ctx, p.ID, runtime.RestartOptions{})
	})
}

// buildServer creates and boots the phones of a new or rebuilt server;
// phones of the runtime the operation does not name are removed first.
func (a *Agent) buildServer(ctx context.Context, op cph.Operation) agentproto.Result {
	var args cph.ServerPhonesArgs
	if err := decodeArgs(op, &args); err != nil {
		return failed("invalid server build arguments.")
	}
	keep := map[string]bool{}
	for _, p := range args.Phones {
		keep[p.ID] = true
	}
	if err := a.removePhones(ctx, func(id string) bool { return !keep[id] }); err != nil {
		return failed(fmt.Sprintf("cannot remove old phones: %v", err))
	}
	return eachPhone(ctx, args.Phones, "phone creation", func(ctx context.Context, p cph.ServerPhoneSpec) error {
		spec := runtime.PhoneSpec{ID: p.ID, Name: p.Name, Index: p.Index, ImageID: p.ImageID, Property: p.Property}
		if err := a.driver.EnsurePhone(ctx, spec); err != nil {
			return err
		}
		return a.driver.Restart(ctx, p.ID, runtime.RestartOptions{})
	})
}

// removePhones removes the runtime's phones for which drop is true, if
// the driver can remove phones.
func (a *Agent) removePhones(ctx context.Context, drop func(id string) bool) error {
	rm, ok := a.driver.(runtime.PhoneRemover)
	if !ok {
		return nil
	}
	phones, err := a.driver.Phones(ctx)
	if err != nil {
		return err
	}
	for _, p := range phones {
		if drop(p.ID) {
			if err := rm.RemovePhone(ctx, p.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteServer wipes every phone of the server.
func (a *Agent) deleteServer(ctx context.Context, op cph.Operation) agentproto.Result {
	if err := a.removePhones(ctx, func(string) bool { return true }); err != nil {
		return failed(fmt.Sprintf("cannot remove phones: %v", err))
	}
	return agentproto.Result{Success: true}
}

// sharedOp returns the driver's shared storage and op's arguments, or a
// failure result.
func (a *Agent) sharedOp(op cph.Operation) (runtime.SharedStorage, cph.SharedFilesArgs, *agentproto.Result) {
	var args cph.SharedFilesArgs
	ss, ok := a.driver.(runtime.SharedStorage)
	if !ok {
		code, msg := cph.Refuse(cph.CodeOperationNotAllowed, "the server's runtime has no shared storage")
		r := agentproto.Result{ErrorCode: code, ErrorMsg: msg}
		return nil, args, &r
	}
	if err := decodeArgs(op, &args); err != nil {
		r := failed("invalid arguments.")
		return nil, args, &r
	}
	return ss, args, nil
}

// pushShareFiles extracts a tar from object storage into the shared
// storage, keeping its directory layout; only /data and /cache are valid
// targets. Nothing is written unless the whole archive is usable: a first
// pass checks the archive as it downloads into a temporary file, a second
// one writes its files from there.
func (a *Agent) pushShareFiles(ctx context.Context, op cph.Operation) agentproto.Result {
	ss, args, r := a.sharedOp(op)
	if r != nil {
		return *r
	}
	rc, _, err := a.OpenObject(ctx, args.BucketName, args.ObjectPath)
	if err != nil {
		return objectFailure(args.BucketName, args.ObjectPath, err)
	}
	defer rc.Close()
	spool, err := os.CreateTemp("", "cph-agent-share-*")
	if err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	defer closeSpool(spool)
	if _, err := readSharedTar(io.TeeReader(rc, spool), sharedTargets, nil); err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	st, err := readSharedTar(spool, sharedTargets, func(name string, content io.Reader) error {
		return ss.WriteSharedFile(ctx, name, content)
	})
	if err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	return agentproto.Result{Success: true, ExecuteMsg: fmt.Sprintf("%d files pushed", st.Files)}
}

// pushShareApps stores an application tar from object storage in the
// shared app area and, if asked, installs it into the server's phones.
// The tar is checked as it streams; its size is that of its files.
func (a *Agent) pushShareApps(ctx context.Context, op cph.Operation) agentproto.Result {
	ss, args, r := a.sharedOp(op)
	if r != nil {
		return *r
	}
	rc, _, err := a.OpenObject(ctx, args.BucketName, args.ObjectPath)
	if err != nil {
		return objectFailure(args.BucketName, args.ObjectPath, err)
	}
	defer rc.Close()
	var versions apkVersions
	st, err := readSharedTar(rc, nil, versions.file)
	if err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	if err := ss.InstallSharedApp(ctx, args.PackageName, int(st.Bytes), args.PreInstallApp == 1); err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	return agentproto.Result{Success: true, AppVersion: versions.version}
}

// deleteShareFiles removes files of the shared storage.
func (a *Agent) deleteShareFiles(ctx context.Context, op cph.Operation) agentproto.Result {
	ss, args, r := a.sharedOp(op)
	if r != nil {
		return *r
	}
	if err := ss.DeleteSharedFiles(ctx, args.FilePaths); err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	return agentproto.Result{Success: true}
}

// listShareFiles lists a directory of the shared storage into the job's
// execute_msg, one path per line.
func (a *Agent) listShareFiles(ctx context.Context, op cph.Operation) agentproto.Result {
	ss, args, r := a.sharedOp(op)
	if r != nil {
		return *r
	}
	files, err := ss.SharedFiles(ctx, args.Path)
	if err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	if args.Offset < len(files) {
		files = files[args.Offset:]
	} else {
		files = nil
	}
	if args.Limit > 0 && len(files) > args.Limit {
		files = files[:args.Limit]
	}
	return agentproto.Result{Success: true, ExecuteMsg: strings.Join(files, "\n")}
}

// deleteShareApps removes an application from the shared app area.
func (a *Agent) deleteShareApps(ctx context.Context, op cph.Operation) agentproto.Result {
	ss, args, r := a.sharedOp(op)
	if r != nil {
		return *r
	}
	if err := ss.DeleteSharedApp(ctx, args.PackageName); err != nil {
		return failed(fmt.Sprintf("%v", err))
	}
	return agentproto.Result{Success: true}
}
