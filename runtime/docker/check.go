package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

// MinAPIVersion is the oldest Engine API the driver works with.
const MinAPIVersion = client.MinAPIVersion

// Problem is something missing on the host, found by Check.
type Problem struct {
	// Fatal problems make the driver unusable (no Engine); the others
	// affect some phones.
	Fatal   bool
	Message string
}

func (p Problem) String() string { return p.Message }

// Host describes the parts of the host Check looks at; the zero value is
// the real host.
type Host struct {
	// ProcFilesystems is the content of /proc/filesystems; DevEntries the
	// names in /dev; Memfd whether memfd_create works. Nil/false fields
	// are read from the machine.
	ProcFilesystems *string
	DevEntries      []string
	Memfd           *bool
}

// Check looks for what the driver needs before any phone is touched: the
// Engine reachable, its API version new enough, every image of the
// mapping present locally (nothing is pulled), and for redroid images
// (a reference containing "redroid", or all images with android set) the
// kernel features Android needs: binder (binder devices or binderfs) and
// memfd or ashmem. The kernel is only checked when the Engine runs on this
// machine (a unix socket).
func Check(ctx context.Context, cfg Config, android bool, host Host) []Problem {
	cli, err := NewClient(cfg.Host)
	if err != nil {
		return []Problem{{Fatal: true, Message: err.Error()}}
	}
	defer cli.Close()
	where := cfg.Host
	if where == "" {
		where = cli.DaemonHost()
	}
	ping, err := cli.Ping(ctx, client.PingOptions{})
	if err != nil {
		msg := fmt.Sprintf("Docker Engine unreachable at %s: %v (is dockerd running, and may this user use its socket? set --docker-host or DOCKER_HOST for another Engine)", where, err)
		if strings.Contains(err.Error(), "not supported by this client") {
			msg = fmt.Sprintf("Docker Engine at %s is too old: %v; the driver needs Engine API %s or newer (Docker 19.03+)", where, err, MinAPIVersion)
		}
		return []Problem{{Fatal: true, Message: msg}}
	}
	if ping.APIVersion != "" && versionLess(ping.APIVersion, MinAPIVersion) {
		return []Problem{{Fatal: true, Message: fmt.Sprintf("Docker Engine at %s speaks API %s; the driver needs API %s or newer (Docker 19.03+)", where, ping.APIVersion, MinAPIVersion)}}
	}
	var probs []Problem
	needAndroid := false
	ids := make([]string, 0, len(cfg.Images))
	for id := range cfg.Images {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		probs = append(probs, Problem{Message: "the image mapping is empty: every phone operation will fail until CPH image ids are mapped to container images"})
	}
	for _, id := range ids {
		ref := cfg.Images[id]
		if android || strings.Contains(ref, "redroid") {
			needAndroid = true
		}
		if _, err := cli.ImageInspect(ctx, ref); cerrdefs.IsNotFound(err) {
			probs = append(probs, Problem{Message: fmt.Sprintf("image %s (CPH image %s) is not present on the Engine; nothing is pulled: docker pull, load or build it first", ref, id)})
		} else if err != nil {
			probs = append(probs, Problem{Message: fmt.Sprintf("image %s (CPH image %s): %v", ref, id, err)})
		}
	}
	if needAndroid && strings.HasPrefix(where, "unix://") {
		probs = append(probs, kernelProblems(host)...)
	}
	return probs
}

// kernelProblems checks binder and memfd/ashmem.
func kernelProblems(h Host) []Problem {
	var fsText string
	if h.ProcFilesystems != nil {
		fsText = *h.ProcFilesystems
	} else if b, err := os.ReadFile("/proc/filesystems"); err == nil {
		fsText = string(b)
	}
	dev := h.DevEntries
	if dev == nil {
		ents, _ := os.ReadDir("/dev")
		for _, e := range ents {
			dev = append(dev, e.Name())
		}
		if m, _ := filepath.Glob("/dev/binderfs/*"); len(m) > 0 {
			dev = append(dev, "binderfs")
		}
	}
	memfd := false
	if h.Memfd != nil {
		memfd = *h.Memfd
	} else if fd, err := unix.MemfdCreate("opencph-check", 0); err == nil {
		unix.Close(fd)
		memfd = true
	}
	var probs []Problem
	binderfs := false
	for _, line := range strings.Split(fsText, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[len(f)-1] == "binder" {
			binderfs = true
		}
	}
	binderDev := slices.ContainsFunc(dev, func(n string) bool { return strings.HasPrefix(n, "binder") || strings.HasPrefix(n, "hwbinder") })
	if !binderfs && !binderDev {
		probs = append(probs, Problem{Message: "the kernel has no binder: redroid needs binderfs (CONFIG_ANDROID_BINDERFS) or binder devices; try: modprobe binder_linux devices=\"binder,hwbinder,vndbinder\""})
	}
	if !memfd && !slices.Contains(dev, "ashmem") {
		probs = append(probs, Problem{Message: "neither memfd_create nor /dev/ashmem works: redroid needs memfd (kernel 3.17+) or the ashmem module (modprobe ashmem_linux)"})
	}
	return probs
}

// versionLess compares API versions such as "1.41".
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			fmt.Sscan(pa[i], &x)
		}
		if i < len(pb) {
			fmt.Sscan(pb[i], &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}
