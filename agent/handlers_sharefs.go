package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/apk"
	"github.com/opencph/opencph/runtime"
)

// shareFilesystemOp returns the driver's mounts and op's arguments, or a
// failure result.
func (a *Agent) shareFilesystemOp(op cph.Operation) (runtime.ShareFilesystems, cph.ShareFilesystemArgs, *agentproto.Result) {
	var args cph.ShareFilesystemArgs
	sf, ok := a.driver.(runtime.ShareFilesystems)
	if !ok {
		code, msg := cph.Refuse(cph.CodeOperationNotAllowed, "the server's runtime cannot mount shared file systems")
		return nil, args, &agentproto.Result{ErrorCode: code, ErrorMsg: msg}
	}
	if err := decodeArgs(op, &args); err != nil || args.ID == "" || args.MountPoint == "" {
		r := failed("invalid arguments.")
		return nil, args, &r
	}
	return sf, args, nil
}

// attachShareFilesystem mounts a shared file system (its directory on
// this host, or a sub-directory of it) into the server's phones. A
// sub-directory that does not exist fails the job.
func (a *Agent) attachShareFilesystem(ctx context.Context, op cph.Operation) agentproto.Result {
	sf, args, r := a.shareFilesystemOp(op)
	if r != nil {
		return *r
	}
	shown := args.Path
	if shown == "" {
		shown = "/"
	}
	src := filepath.Join(args.HostPath, filepath.FromSlash(strings.TrimPrefix(args.Path, "/")))
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return failed(fmt.Sprintf("the directory %s of the shared file system %s does not exist", shown, args.ID))
	}
	if err := sf.MountShareFilesystem(ctx, runtime.ShareMount{ID: args.ID, Source: src, MountPoint: args.MountPoint}); err != nil {
		return failed(fmt.Sprintf("cannot mount the shared file system %s: %v", args.ID, err))
	}
	return agentproto.Result{Success: true, ExecuteMsg: "mounted " + args.ID + ":" + shown}
}

// detachShareFilesystem unmounts a shared file system from the server's
// phones.
func (a *Agent) detachShareFilesystem(ctx context.Context, op cph.Operation) agentproto.Result {
	sf, args, r := a.shareFilesystemOp(op)
	if r != nil {
		return *r
	}
	if err := sf.UnmountShareFilesystem(ctx, args.ID); err != nil {
		return failed(fmt.Sprintf("cannot unmount the shared file system %s: %v", args.ID, err))
	}
	return agentproto.Result{Success: true, ExecuteMsg: "unmounted " + args.ID}
}

// apkVersions finds the version of an application tar's base APK: the
// versionName of its base.apk, or else of its first APK.
type apkVersions struct {
	version string
	base    bool
	tries   int // APKs whose manifest was read, at most maxVersionReads
}

// maxVersionReads bounds the APKs of one tar whose manifest is read.
const maxVersionReads = 3

// file is a readSharedTar callback: it reads the manifest of the APKs
// that may be the base one. An APK whose manifest cannot be read leaves
// the version unknown.
func (v *apkVersions) file(name string, content io.Reader) error {
	if !strings.HasSuffix(strings.ToLower(name), ".apk") {
		return nil
	}
	isBase := path.Base(name) == "base.apk"
	if v.base || (!isBase && v.version != "") || v.tries >= maxVersionReads {
		return nil
	}
	v.tries++
	tmp, err := os.CreateTemp("", "cph-agent-apk-*")
	if err != nil {
		return err
	}
	defer closeSpool(tmp)
	n, err := io.Copy(tmp, content)
	if err != nil {
		return err
	}
	m, err := apk.ReadManifest(tmp, n, apk.Limits{})
	if err != nil || m.VersionName == "" {
		return nil
	}
	v.version, v.base = m.VersionName, isBase
	return nil
}
