package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/moby/client"

	"github.com/opencph/opencph/apk"
	"github.com/opencph/opencph/archive"
	"github.com/opencph/opencph/runtime"
)

// Bounds of what the driver reads back from a phone.
const (
	// MaxShellOutput is the most output of a shell command kept (the
	// rest is dropped).
	MaxShellOutput = 64 << 10
	// MaxScreenshot is the largest screenshot accepted.
	MaxScreenshot = 32 << 20
)

// exportManifest names the manifest entry of a data export, as the
// simulated runtime does.
const exportManifest = "opencph-export.json"

// running takes the phone's operation lock (without marking it busy: a
// command is no lifecycle change, so events still count) and checks that
// the phone runs. The caller must call d.unlock(p).
func (d *Driver) running(ctx context.Context, phoneID string) (*phone, string, error) {
	d.mu.Lock()
	p, ok := d.phones[phoneID]
	d.mu.Unlock()
	if !ok {
		return nil, "", fmt.Errorf("docker: phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	select {
	case p.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, "", fmt.Errorf("docker: phone %s: %w", phoneID, ctx.Err())
	}
	d.mu.Lock()
	st, cid := p.info.State, p.container
	d.mu.Unlock()
	if st != runtime.StateRunning || cid == "" {
		<-p.lock
		return nil, "", fmt.Errorf("docker: phone %s is %s: %w", phoneID, st, runtime.ErrNotRunning)
	}
	return p, cid, nil
}

func (d *Driver) unlock(p *phone) { <-p.lock }

// Shell implements runtime.ADB: "sh -c command" through exec, with at most
// MaxShellOutput bytes of output.
func (d *Driver) Shell(ctx context.Context, phoneID, command string) (runtime.ShellResult, error) {
	p, cid, err := d.running(ctx, phoneID)
	if err != nil {
		return runtime.ShellResult{}, err
	}
	defer d.unlock(p)
	out, code, err := d.exec(ctx, cid, []string{"sh", "-c", command}, nil, MaxShellOutput)
	if err != nil {
		return runtime.ShellResult{}, fmt.Errorf("docker: shell on phone %s: %w", phoneID, err)
	}
	return runtime.ShellResult{Output: string(out), ExitCode: code}, nil
}

// Screenshot implements runtime.Screenshotter with "screencap -p".
func (d *Driver) Screenshot(ctx context.Context, phoneID string) ([]byte, error) {
	p, cid, err := d.running(ctx, phoneID)
	if err != nil {
		return nil, err
	}
	defer d.unlock(p)
	out := &limitedBuffer{max: MaxScreenshot}
	var stderr limitedBuffer
	stderr.max = 4096
	code, err := d.execTo(ctx, cid, []string{"screencap", "-p"}, execIO{Stdout: out, Stderr: &stderr})
	if err != nil {
		return nil, fmt.Errorf("docker: screenshot of phone %s: %w", phoneID, err)
	}
	png := out.buf.Bytes()
	switch {
	case code != 0:
		return nil, fmt.Errorf("docker: screenshot of phone %s: screencap exited with %d: %s", phoneID, code, strings.TrimSpace(stderr.buf.String()))
	case out.truncated:
		return nil, fmt.Errorf("docker: screenshot of phone %s: larger than %d bytes", phoneID, MaxScreenshot)
	case !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")):
		return nil, fmt.Errorf("docker: screenshot of phone %s: screencap did not write a PNG", phoneID)
	}
	return png, nil
}

// packages lists the phone's packages ("pm list packages", with -3 the
// user's only).
func (d *Driver) packages(ctx context.Context, cid string, user bool) (map[string]bool, error) {
	cmd := []string{"pm", "list", "packages"}
	if user {
		cmd = append(cmd, "-3")
	}
	out, code, err := d.exec(ctx, cid, cmd, nil, 4<<20)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("pm list packages exited with %d: %s", code, strings.TrimSpace(string(out)))
	}
	pkgs := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "package:"); ok && name != "" {
			pkgs[name] = true
		}
	}
	return pkgs, nil
}

// Install implements runtime.ADB: the package name is read from the
// APKs' manifests (package apk), the APKs are streamed into the phone's
// /data/local/tmp and installed with "pm install" (one APK) or an install
// session of "pm install-create/-write/-commit" (split APKs).
func (d *Driver) Install(ctx context.Context, phoneID string, apks []runtime.APK) (string, error) {
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("docker: install on phone %s: %w", phoneID, err)
	}
	if len(apks) == 0 {
		return fail(fmt.Errorf("%w: no APK", runtime.ErrBadPackage))
	}
	name := ""
	for _, a := range apks {
		m, err := apk.ReadManifest(a.Content, a.Size, apk.Limits{})
		if err != nil {
			return fail(fmt.Errorf("%s: %w", a.Name, err))
		}
		if name != "" && m.Package != name {
			return fail(fmt.Errorf("%w: split APKs of different packages %s and %s", runtime.ErrBadPackage, name, m.Package))
		}
		name = m.Package
	}
	p, cid, err := d.running(ctx, phoneID)
	if err != nil {
		return "", err
	}
	defer d.unlock(p)
	all, err := d.packages(ctx, cid, false)
	if err != nil {
		return fail(err)
	}
	users, err := d.packages(ctx, cid, true)
	if err != nil {
		return fail(err)
	}
	if all[name] && !users[name] {
		return fail(fmt.Errorf("%s: %w", name, runtime.ErrSystemPackage))
	}
	dir := "/data/local/tmp/opencph-install"
	files := make([]string, len(apks))
	for i := range apks {
		files[i] = fmt.Sprintf("%s/%d.apk", dir, i)
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(dir, "/") + "/", Mode: 0o755})
		for i, a := range apks {
			if err != nil {
				break
			}
			if err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(files[i], "/"), Mode: 0o644, Size: a.Size}); err == nil {
				_, err = io.Copy(tw, a.Reader())
			}
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	_, err = d.cli.CopyToContainer(ctx, cid, client.CopyToContainerOptions{DestinationPath: "/", Content: pr})
	pr.CloseWithError(errors.New("copy ended"))
	if err != nil {
		return fail(fmt.Errorf("copy APKs: %w", err))
	}
	defer func() { _, _, _ = d.exec(context.WithoutCancel(ctx), cid, []string{"rm", "-rf", dir}, nil, 1024) }()
	var out []byte
	var code int
	if len(files) == 1 {
		out, code, err = d.exec(ctx, cid, []string{"pm", "install", "-r", files[0]}, nil, 4096)
	} else {
		out, code, err = d.installSession(ctx, cid, apks, files)
	}
	if err != nil {
		return fail(err)
	}
	text := strings.TrimSpace(string(out))
	if code != 0 || !strings.Contains(text, "Success") {
		if strings.Contains(text, "PARSE") || strings.Contains(text, "INVALID_APK") || strings.Contains(text, "NOT_APK") {
			return fail(fmt.Errorf("%w: %s", runtime.ErrBadPackage, text))
		}
		return fail(fmt.Errorf("pm install: %s", text))
	}
	return name, nil
}

// installSession installs split APKs through one install session.
func (d *Driver) installSession(ctx context.Context, cid string, apks []runtime.APK, files []string) ([]byte, int, error) {
	out, code, err := d.exec(ctx, cid, []string{"pm", "install-create", "-r"}, nil, 4096)
	if err != nil || code != 0 {
		return out, code, err
	}
	m := reSession.FindSubmatch(out)
	if m == nil {
		return out, 1, nil
	}
	sid := string(m[1])
	for i, f := range files {
		out, code, err = d.exec(ctx, cid, []string{"pm", "install-write", "-S", fmt.Sprint(apks[i].Size), sid, fmt.Sprintf("%d.apk", i), f}, nil, 4096)
		if err != nil || code != 0 {
			return out, code, err
		}
	}
	return d.exec(ctx, cid, []string{"pm", "install-commit", sid}, nil, 4096)
}

// reSession finds the session id in "Success: created install session [N]".
var reSession = regexp.MustCompile(`\[(\d+)\]`)

// Uninstall implements runtime.ADB with "pm uninstall".
func (d *Driver) Uninstall(ctx context.Context, phoneID, pkg string) error {
	p, cid, err := d.running(ctx, phoneID)
	if err != nil {
		return err
	}
	defer d.unlock(p)
	fail := func(err error) error { return fmt.Errorf("docker: uninstall %s from phone %s: %w", pkg, phoneID, err) }
	all, err := d.packages(ctx, cid, false)
	if err != nil {
		return fail(err)
	}
	users, err := d.packages(ctx, cid, true)
	if err != nil {
		return fail(err)
	}
	switch {
	case !all[pkg]:
		return fail(runtime.ErrNoSuchPackage)
	case !users[pkg]:
		return fail(runtime.ErrSystemPackage)
	}
	out, code, err := d.exec(ctx, cid, []string{"pm", "uninstall", pkg}, nil, 4096)
	if err != nil {
		return fail(err)
	}
	if code != 0 || !strings.Contains(string(out), "Success") {
		return fail(fmt.Errorf("pm uninstall: %s", strings.TrimSpace(string(out))))
	}
	return nil
}

// forbidden are the trees of a phone nothing may be pushed into.
var forbidden = []string{"system", "proc", "sys", "dev", "vendor", "apex"}

// tarRules say which archives may be written into a phone: every entry
// is checked by package archive within Limits and must not be under a
// forbidden tree; Under, when not empty, is the only top-level tree
// allowed. Extra, when set, sees every entry first and may consume it
// (done).
type tarRules struct {
	Limits archive.Limits
	Under  string
	Extra  func(hdr *tar.Header, body io.Reader) (done bool, err error)
}

// checkTar streams a tar archive from r to w, checking it against rules.
// It returns the number of regular files.
func checkTar(r io.Reader, w io.Writer, rules tarRules) (int, error) {
	ar := archive.NewReader(r, rules.Limits)
	tw := tar.NewWriter(w)
	files := 0
	for {
		hdr, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return files, err
		}
		if rules.Extra != nil {
			done, err := rules.Extra(hdr, ar)
			if err != nil {
				return files, err
			}
			if done {
				continue
			}
		}
		top, _, _ := strings.Cut(hdr.Name, "/")
		if hdr.Name != "." && (slices.Contains(forbidden, top) || rules.Under != "" && top != rules.Under) {
			return files, fmt.Errorf("%w: entry %q is outside the writable areas", runtime.ErrBadArchive, hdr.Name)
		}
		out := *hdr
		if out.Typeflag == tar.TypeDir {
			out.Name += "/"
			if hdr.Name == "." {
				out.Name = "./"
			}
		}
		if err := tw.WriteHeader(&out); err != nil {
			return files, err
		}
		if out.Typeflag == tar.TypeReg {
			files++
			if _, err := io.Copy(tw, ar); err != nil {
				return files, err
			}
		}
	}
	return files, tw.Close()
}

// copyIn checks a tar against rules as it streams from src into a spool
// file on the agent's disk (Config.SpoolDir), and only when the whole archive passed
// streams the spool into the container's root: a refused archive writes
// nothing into the phone, and memory use does not depend on its size.
func (d *Driver) copyIn(ctx context.Context, cid string, src io.Reader, rules tarRules) (int, error) {
	f, err := os.CreateTemp(d.cfg.SpoolDir, "opencph-archive-*.tar")
	if err != nil {
		return 0, fmt.Errorf("spool archive: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := checkTar(src, f, rules)
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("spool archive: %w", err)
	}
	if _, err := d.cli.CopyToContainer(ctx, cid, client.CopyToContainerOptions{DestinationPath: "/", Content: f}); err != nil {
		return 0, fmt.Errorf("copy into the container: %w", err)
	}
	return n, nil
}

// Push implements runtime.ADB: the archive is checked as it streams
// (archive.PushLimits, nothing under /system, /proc, /sys, /dev, /vendor
// or /apex) and then streamed into the container's root directory.
func (d *Driver) Push(ctx context.Context, phoneID string, src io.Reader) (int, error) {
	p, cid, err := d.running(ctx, phoneID)
	if err != nil {
		return 0, err
	}
	defer d.unlock(p)
	n, err := d.copyIn(ctx, cid, src, tarRules{Limits: archive.PushLimits()})
	if err != nil {
		return 0, fmt.Errorf("docker: push to phone %s: %w", phoneID, err)
	}
	return n, nil
}

// UpdateProperty implements runtime.PropertyUpdater. Immediate properties
// are set with setprop on a running phone; every property becomes part of
// the phone's boot arguments from its next boot on.
func (d *Driver) UpdateProperty(ctx context.Context, phoneID string, props map[string]string, immediate func(string) bool) error {
	d.mu.Lock()
	p, ok := d.phones[phoneID]
	d.mu.Unlock()
	if !ok {
		return fmt.Errorf("docker: phone %s: %w", phoneID, runtime.ErrNoSuchPhone)
	}
	select {
	case p.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("docker: phone %s: %w", phoneID, ctx.Err())
	}
	defer d.unlock(p)
	d.mu.Lock()
	st, cid := p.info.State, p.container
	d.mu.Unlock()
	if st == runtime.StateRunning && cid != "" {
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if immediate == nil || !immediate(k) {
				continue
			}
			out, code, err := d.exec(ctx, cid, []string{"setprop", k, props[k]}, nil, 4096)
			if err != nil {
				return fmt.Errorf("docker: setprop %s on phone %s: %w", k, phoneID, err)
			}
			if code != 0 {
				return fmt.Errorf("docker: setprop %s on phone %s: exit %d: %s", k, phoneID, code, strings.TrimSpace(string(out)))
			}
		}
	}
	d.set(p, func(p *phone) {
		maps.Copy(p.defaults, props)
		if p.info.Property == nil {
			p.info.Property = map[string]string{}
		}
		maps.Copy(p.info.Property, props)
	})
	return nil
}

// matches reports whether name (absolute) is selected by one of patterns:
// an absolute path (the file or everything below the directory) or a
// prefix ending in '*'.
func matches(name string, patterns []string) bool {
	for _, pat := range patterns {
		if prefix, ok := strings.CutSuffix(pat, "*"); ok {
			if strings.HasPrefix(name, prefix) {
				return true
			}
			continue
		}
		c := path.Clean(pat)
		n := strings.TrimSuffix(name, "/")
		if n == c || strings.HasPrefix(n, strings.TrimSuffix(c, "/")+"/") {
			return true
		}
	}
	return false
}

type manifest struct {
	Version    int               `json:"version"`
	PhoneID    string            `json:"phone_id"`
	ImageID    string            `json:"image_id"`
	Properties map[string]string `json:"properties"`
}

// fileSelection selects files by absolute path: those that match an
// Include pattern and no Exclude pattern.
type fileSelection struct {
	Include, Exclude []string
}

// exportTo streams the phone's files under /data that sel selects, after
// a manifest entry with its properties, as a tar archive to w.
func (d *Driver) exportTo(ctx context.Context, p *phone, cid string, sel fileSelection, w io.Writer) error {
	d.mu.Lock()
	m := manifest{Version: 1, PhoneID: p.info.ID, ImageID: p.info.ImageID, Properties: maps.Clone(p.info.Property)}
	d.mu.Unlock()
	res, err := d.cli.CopyFromContainer(ctx, cid, client.CopyFromContainerOptions{SourcePath: "/data"})
	if err != nil {
		return fmt.Errorf("copy /data out: %w", err)
	}
	defer res.Content.Close()
	tw := tar.NewWriter(w)
	meta, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: exportManifest, Mode: 0o644, Size: int64(len(meta))}); err != nil {
		return err
	}
	if _, err := tw.Write(meta); err != nil {
		return err
	}
	tr := tar.NewReader(res.Content)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read /data: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeDir {
			continue
		}
		abs := "/" + strings.TrimPrefix(hdr.Name, "/")
		if !matches(abs, sel.Include) || matches(abs, sel.Exclude) {
			continue
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := io.Copy(tw, tr); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// ExportData implements runtime.DataArchiver: the container's /data is
// streamed from the Engine, filtered and written to w as it comes.
func (d *Driver) ExportData(ctx context.Context, phoneID string, include, exclude []string, w io.Writer) error {
	p, cid, err := d.running(ctx, phoneID)
	if err != nil {
		return err
	}
	defer d.unlock(p)
	if err := d.exportTo(ctx, p, cid, fileSelection{Include: include, Exclude: exclude}, w); err != nil {
		return fmt.Errorf("docker: export phone %s: %w", phoneID, err)
	}
	return nil
}

// importFrom streams an export into the phone: the files under data/ are
// written, the manifest's properties restored.
func (d *Driver) importFrom(ctx context.Context, p *phone, cid string, src io.Reader) error {
	var m *manifest
	extra := func(hdr *tar.Header, body io.Reader) (bool, error) {
		if hdr.Name != exportManifest {
			return false, nil
		}
		m = new(manifest)
		if err := json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(m); err != nil {
			return true, fmt.Errorf("%w: bad %s: %v", runtime.ErrBadArchive, exportManifest, err)
		}
		return true, nil
	}
	if _, err := d.copyIn(ctx, cid, src, tarRules{Limits: archive.ImportLimits(), Under: "data", Extra: extra}); err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("%w: no %s (not a data export)", runtime.ErrBadArchive, exportManifest)
	}
	d.set(p, func(p *phone) {
		if p.info.Property == nil {
			p.info.Property = map[string]string{}
		}
		maps.Copy(p.info.Property, m.Properties)
	})
	return nil
}

// ImportData implements runtime.DataArchiver: the archive is checked as
// it streams (archive.ImportLimits, only data/ and the manifest) and then
// streamed into the container.
func (d *Driver) ImportData(ctx context.Context, phoneID string, src io.Reader) error {
	p, cid, err := d.running(ctx, phoneID)
	if err != nil {
		return err
	}
	defer d.unlock(p)
	if err := d.importFrom(ctx, p, cid, src); err != nil {
		return fmt.Errorf("docker: import into phone %s: %w", phoneID, err)
	}
	return nil
}

// Interfaces the driver implements.
var (
	_ runtime.Driver          = (*Driver)(nil)
	_ runtime.ADB             = (*Driver)(nil)
	_ runtime.PropertyUpdater = (*Driver)(nil)
	_ runtime.DataArchiver    = (*Driver)(nil)
	_ runtime.PhoneRemover    = (*Driver)(nil)
	_ runtime.Screenshotter   = (*Driver)(nil)
	_ runtime.StateNotifier   = (*Driver)(nil)
)
