// Package phonestub is a test fixture: it builds, on the local Docker
// Engine and without pulling anything, a small container image that
// stands in for an Android container image such as redroid in the tests
// of the Docker runtime driver.
//
// The image holds one static Go program (package stub) as /init and, under
// other names, as /system/bin/sh, getprop, setprop, pm, screencap, ls,
// cat, rm, mkdir and echo. It "boots" a configurable delay after it
// starts, takes redroid-style boot arguments as properties and keeps
// installed packages and files under /data. It is not Android: only the
// behaviour the driver relies on is imitated.
package phonestub

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/moby/moby/client"
)

// Repository is the repository of the images Build makes.
const Repository = "opencph-test-phonestub"

// TestLabel marks every image, container and volume the tests create.
const TestLabel = "opencph.test"

// Applets are the names under which the stub binary is installed in
// /system/bin.
var applets = []string{"sh", "getprop", "setprop", "pm", "screencap", "ls", "cat", "rm", "mkdir", "echo", "true", "false", "id"}

// Options configure the image.
type Options struct {
	// BootDelay is how long the stand-in takes to boot (default 200ms).
	BootDelay time.Duration
}

// Build compiles the stub (CGO_ENABLED=0, so the binary is static) and
// builds an image from scratch around it, tagged
// opencph-test-phonestub:<hash of its content>. An image of that tag that
// already exists is reused. It returns the image reference.
func Build(ctx context.Context, cli *client.Client, opts Options) (string, error) {
	if opts.BootDelay <= 0 {
		opts.BootDelay = 200 * time.Millisecond
	}
	dir, err := os.MkdirTemp("", "phonestub-")
	if err != nil {
		return "", fmt.Errorf("phonestub: %w", err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "init")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "github.com/opencph/opencph/runtime/docker/phonestub/stub")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("phonestub: go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("phonestub: %w", err)
	}
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY rootfs/ /\nENV PATH=/system/bin PHONESTUB_BOOT_DELAY=%s\nLABEL %s=1\nENTRYPOINT [\"/init\"]\n", opts.BootDelay, TestLabel)
	h := sha256.New()
	h.Write(data)
	h.Write([]byte(dockerfile))
	ref := Repository + ":" + hex.EncodeToString(h.Sum(nil))[:16]
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Unix(0, 0)
	add := func(hdr *tar.Header, body []byte) error {
		hdr.ModTime = now
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	errs := []error{
		add(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile))}, []byte(dockerfile)),
		add(&tar.Header{Name: "rootfs/", Typeflag: tar.TypeDir, Mode: 0o755}, nil),
		add(&tar.Header{Name: "rootfs/init", Mode: 0o755, Size: int64(len(data))}, data),
		add(&tar.Header{Name: "rootfs/data/", Typeflag: tar.TypeDir, Mode: 0o771}, nil),
		add(&tar.Header{Name: "rootfs/system/", Typeflag: tar.TypeDir, Mode: 0o755}, nil),
		add(&tar.Header{Name: "rootfs/system/bin/", Typeflag: tar.TypeDir, Mode: 0o755}, nil),
	}
	for _, a := range applets {
		errs = append(errs, add(&tar.Header{Name: "rootfs/system/bin/" + a, Typeflag: tar.TypeSymlink, Linkname: "/init", Mode: 0o777}, nil))
	}
	errs = append(errs, tw.Close())
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("phonestub: build context: %w", err)
	}
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags: []string{ref}, Remove: true, ForceRemove: true, Labels: map[string]string{TestLabel: "1"},
	})
	if err != nil {
		return "", fmt.Errorf("phonestub: image build: %w", err)
	}
	defer res.Body.Close()
	// The build reports failures in its JSON message stream.
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var log bytes.Buffer
	for sc.Scan() {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			log.WriteString(m.Stream)
			if m.Error != "" {
				return "", fmt.Errorf("phonestub: image build: %s\n%s", m.Error, log.String())
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("phonestub: image build: %w", err)
	}
	if _, err := cli.ImageInspect(ctx, ref); err != nil {
		return "", fmt.Errorf("phonestub: image build produced no %s: %w\n%s", ref, err, log.String())
	}
	return ref, nil
}

// Remove deletes an image Build made.
func Remove(ctx context.Context, cli *client.Client, ref string) error {
	if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
		return fmt.Errorf("phonestub: remove %s: %w", ref, err)
	}
	return nil
}
