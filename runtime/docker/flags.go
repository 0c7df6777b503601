package docker

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// AnyImage is the key of the image mapping that maps every CPH image id
// without an entry of its own.
const AnyImage = "*"

// Flags are the command-line settings of the driver, shared by cph-agent
// and cphd.
type Flags struct {
	Host        string
	ImagesFile  string
	Images      string
	Ports       string
	Bind        string
	AccessIP    string
	Privileged  bool
	BootTimeout time.Duration
	BootArgs    string
	DNS         string
	CheckKernel bool
	Labels      string
	SpoolDir    string
}

// Register defines the --docker-* flags on fs; env supplies defaults from
// the environment (name, default).
func (f *Flags) Register(fs *flag.FlagSet, env func(name, def string) string) {
	fs.StringVar(&f.Host, "docker-host", env("CPH_DOCKER_HOST", ""), "Docker Engine address (unix:///var/run/docker.sock, tcp://...); default DOCKER_HOST or the local socket [CPH_DOCKER_HOST]")
	fs.StringVar(&f.ImagesFile, "docker-images-file", env("CPH_DOCKER_IMAGES_FILE", ""), `JSON file mapping CPH image ids to container images: {"<image id>": "redroid/redroid:11.0.0-latest", "*": "..."} [CPH_DOCKER_IMAGES_FILE]`)
	fs.StringVar(&f.Images, "docker-images", env("CPH_DOCKER_IMAGES", ""), "image mapping entries id=image, comma-separated; they win over the file; id * maps every other id [CPH_DOCKER_IMAGES]")
	fs.StringVar(&f.Ports, "docker-ports", env("CPH_DOCKER_PORTS", fmt.Sprintf("%d-%d", DefaultPortMin, DefaultPortMax)), "host port range for the phones' ADB ports [CPH_DOCKER_PORTS]")
	fs.StringVar(&f.Bind, "docker-bind", env("CPH_DOCKER_BIND", DefaultBindAddress), "host address the ADB ports are bound to; an open ADB port is root on the phone [CPH_DOCKER_BIND]")
	fs.StringVar(&f.AccessIP, "docker-access-ip", env("CPH_DOCKER_ACCESS_IP", ""), "address reported as the phones' access address; default --docker-bind [CPH_DOCKER_ACCESS_IP]")
	priv, _ := strconv.ParseBool(env("CPH_DOCKER_PRIVILEGED", "true"))
	fs.BoolVar(&f.Privileged, "docker-privileged", priv, "run phone containers privileged, as redroid needs [CPH_DOCKER_PRIVILEGED]")
	bt, _ := time.ParseDuration(env("CPH_DOCKER_BOOT_TIMEOUT", DefaultBootTimeout.String()))
	fs.DurationVar(&f.BootTimeout, "docker-boot-timeout", bt, "how long a phone may take to report boot completed [CPH_DOCKER_BOOT_TIMEOUT]")
	fs.StringVar(&f.BootArgs, "docker-boot-args", env("CPH_DOCKER_BOOT_ARGS", ""), "extra boot arguments for every phone, space-separated (androidboot.redroid_gpu_mode=guest ...) [CPH_DOCKER_BOOT_ARGS]")
	fs.StringVar(&f.DNS, "docker-dns", env("CPH_DOCKER_DNS", ""), "DNS servers of the phones, comma-separated; default the Engine's [CPH_DOCKER_DNS]")
	fs.StringVar(&f.Labels, "docker-labels", env("CPH_DOCKER_LABELS", ""), "extra labels of every phone container and volume, key=value, comma-separated [CPH_DOCKER_LABELS]")
	fs.StringVar(&f.SpoolDir, "docker-spool-dir", env("CPH_DOCKER_SPOOL_DIR", ""), "where pushed and imported archives are checked before they are copied into a phone; default the system's temporary directory [CPH_DOCKER_SPOOL_DIR]")
	ck, _ := strconv.ParseBool(env("CPH_DOCKER_CHECK_KERNEL", "false"))
	fs.BoolVar(&f.CheckKernel, "docker-check-kernel", ck, "check binder and memfd/ashmem at start for every mapped image, not only redroid ones [CPH_DOCKER_CHECK_KERNEL]")
}

// Config turns the flags into a driver configuration for a server.
func (f *Flags) Config(serverID string) (Config, error) {
	cfg := Config{Host: f.Host, ServerID: serverID, BindAddress: f.Bind, AccessIP: f.AccessIP,
		Privileged: f.Privileged, BootTimeout: f.BootTimeout, SpoolDir: f.SpoolDir, Images: map[string]string{}}
	if f.ImagesFile != "" {
		data, err := os.ReadFile(f.ImagesFile)
		if err != nil {
			return cfg, fmt.Errorf("--docker-images-file: %w", err)
		}
		m, err := ParseImageMapping(data)
		if err != nil {
			return cfg, fmt.Errorf("--docker-images-file %s: %w", f.ImagesFile, err)
		}
		cfg.Images = m
	}
	for _, e := range splitList(f.Images, ",") {
		id, ref, ok := strings.Cut(e, "=")
		if !ok || strings.TrimSpace(id) == "" || strings.TrimSpace(ref) == "" {
			return cfg, fmt.Errorf("--docker-images %q: want id=image", e)
		}
		cfg.Images[strings.TrimSpace(id)] = strings.TrimSpace(ref)
	}
	lo, hi, ok := strings.Cut(f.Ports, "-")
	var err1, err2 error
	cfg.PortMin, err1 = strconv.Atoi(strings.TrimSpace(lo))
	cfg.PortMax, err2 = strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || cfg.PortMin < 1 || cfg.PortMax > 65535 || cfg.PortMin > cfg.PortMax {
		return cfg, fmt.Errorf("--docker-ports %q: want min-max within 1-65535", f.Ports)
	}
	for _, e := range splitList(f.Labels, ",") {
		k, v, ok := strings.Cut(e, "=")
		switch strings.TrimSpace(k) {
		case "", LabelPhone, LabelServer, LabelIndex, LabelName, LabelImage, LabelProperty, LabelADBPort:
			return cfg, fmt.Errorf("--docker-labels %q: want key=value with a key other than the driver's own labels", e)
		}
		if !ok {
			return cfg, fmt.Errorf("--docker-labels %q: want key=value", e)
		}
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		cfg.Labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	cfg.BootArgs = strings.Fields(f.BootArgs)
	cfg.DNS = splitList(f.DNS, ",")
	return cfg, nil
}

func splitList(s, sep string) []string {
	var out []string
	for _, e := range strings.Split(s, sep) {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// ParseImageMapping reads an image mapping file: a JSON object from CPH
// image ids (or "*") to container image references.
func ParseImageMapping(data []byte) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("image mapping: want a JSON object of image id to image reference: %w", err)
	}
	for id, ref := range m {
		if id == "" || strings.TrimSpace(ref) == "" {
			return nil, errors.New("image mapping: empty image id or reference")
		}
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}
