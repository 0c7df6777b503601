package cphdcmd

import (
	"flag"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
)

// shareFilesystemID is the syntax of a declared shared file system's ID:
// it names a directory of the phones (<mount root>/<id>).
var shareFilesystemID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// deploymentFlags registers the flags of what the deployment offers: its
// shared file systems and the capacity of its availability zones. The
// returned function applies them to cfg after the parse.
func deploymentFlags(fs *flag.FlagSet, cfg *controlplane.Config, getenv func(string) string) func() error {
	var shareFS, capacity []string
	fs.Func("share-filesystem", "ID=HOSTPATH: declare a shared file system (type sfs_turbo) that AttachShareFilesystem can mount into the phones of servers: ID (1-64 letters, digits, '.', '_', '-') is what the API names, HOSTPATH the absolute directory holding its content on the host of the servers' runtime; repeatable [CPH_SHARE_FILESYSTEMS, comma-separated]",
		func(v string) error { shareFS = append(shareFS, v); return nil })
	mountRoot := fs.String("share-filesystem-mount-root", envOr(getenv, "CPH_SHARE_FILESYSTEM_MOUNT_ROOT", cph.DefaultShareFilesystemMountRoot),
		"directory of the phones under which a mounted shared file system appears, at <root>/<ID> [CPH_SHARE_FILESYSTEM_MOUNT_ROOT]")
	fs.Func("zone-capacity", "ZONE:FLAVOR=N: at most N servers of the server flavor FLAVOR in the availability zone ZONE (over every project); at N the pair is sold out (sellout in ListCloudPhoneServerModelOfferings, CPS.9008 on create); a pair without one is unlimited; repeatable [CPH_ZONE_CAPACITY, comma-separated]",
		func(v string) error { capacity = append(capacity, v); return nil })
	return func() error {
		if len(shareFS) == 0 {
			shareFS = splitList(getenv("CPH_SHARE_FILESYSTEMS"))
		}
		if len(capacity) == 0 {
			capacity = splitList(getenv("CPH_ZONE_CAPACITY"))
		}
		var err error
		if cfg.ShareFilesystems, err = parseShareFilesystems(shareFS); err != nil {
			return err
		}
		root := *mountRoot
		if !path.IsAbs(root) || path.Clean(root) != root || root == "/" {
			return fmt.Errorf("--share-filesystem-mount-root %q: not a clean absolute directory other than /", root)
		}
		cfg.ShareFilesystemMountRoot = root
		cfg.Engine.ZoneCapacity, err = parseZoneCapacity(capacity)
		return err
	}
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseShareFilesystems reads --share-filesystem values (ID=HOSTPATH).
func parseShareFilesystems(vals []string) ([]cph.ShareFilesystem, error) {
	var out []cph.ShareFilesystem
	seen := map[string]bool{}
	for _, v := range vals {
		id, dir, ok := strings.Cut(v, "=")
		if !ok || !shareFilesystemID.MatchString(id) || id == "." || id == ".." {
			return nil, fmt.Errorf("--share-filesystem %q: want ID=HOSTPATH, ID of 1-64 letters, digits, '.', '_' or '-'", v)
		}
		if !filepath.IsAbs(dir) {
			return nil, fmt.Errorf("--share-filesystem %q: the host path must be absolute", v)
		}
		if seen[id] {
			return nil, fmt.Errorf("--share-filesystem: %s is declared twice", id)
		}
		seen[id] = true
		out = append(out, cph.ShareFilesystem{ID: id, HostPath: filepath.Clean(dir)})
	}
	return out, nil
}

// parseZoneCapacity reads --zone-capacity values (ZONE:FLAVOR=N).
func parseZoneCapacity(vals []string) ([]cph.ZoneCapacity, error) {
	var out []cph.ZoneCapacity
	seen := map[string]bool{}
	for _, v := range vals {
		pair, num, ok1 := strings.Cut(v, "=")
		zone, model, ok2 := strings.Cut(pair, ":")
		n, err := strconv.Atoi(num)
		if !ok1 || !ok2 || err != nil || n < 0 || zone == "" || len(zone) > 64 || strings.ContainsAny(zone, " \t,") {
			return nil, fmt.Errorf("--zone-capacity %q: want ZONE:FLAVOR=N with N a whole number >= 0", v)
		}
		if _, ok := cph.LookupServerModel(model); !ok {
			return nil, fmt.Errorf("--zone-capacity %q: %q is not a server flavor", v, model)
		}
		if seen[pair] {
			return nil, fmt.Errorf("--zone-capacity: %s is given twice", pair)
		}
		seen[pair] = true
		out = append(out, cph.ZoneCapacity{Zone: zone, ServerModel: model, Servers: n})
	}
	return out, nil
}
