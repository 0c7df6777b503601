package cphdcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/standin"
)

// ephemeralOptions are the settings of "cphd --ephemeral".
type ephemeralOptions struct {
	// EnvFile, if set, is where the credentials are also written as an
	// environment file.
	EnvFile string
}

// ephemeralConfig adjusts cfg for --ephemeral: a loopback port chosen by
// the system and instant boots, unless the flag or its variable was given
// (given reports that). The data dir is made at start. It refuses what
// contradicts a throw-away state, and --ephemeral-env-file alone.
func ephemeralConfig(cfg *controlplane.Config, on bool, envFile string, given func(flagName, envName string) bool) (*ephemeralOptions, error) {
	if !on {
		if envFile != "" {
			return nil, errors.New("--ephemeral-env-file needs --ephemeral")
		}
		return nil, nil
	}
	if given("data-dir", "CPH_DATA_DIR") || given("database", "CPH_DATABASE_URL") {
		return nil, errors.New("--ephemeral keeps its state in a temporary data dir: it takes no --data-dir (CPH_DATA_DIR) or --database (CPH_DATABASE_URL)")
	}
	if cfg.TLSCertFile != "" || cfg.TLSKeyFile != "" || cfg.TLSSelfSigned {
		return nil, errors.New("--ephemeral serves plain HTTP: it takes no --tls-cert, --tls-key or --tls-self-signed")
	}
	cfg.DataDir = ""
	if !given("listen", "CPH_LISTEN") {
		cfg.Listen = "127.0.0.1:0"
	}
	if !given("sim-boot-time", "CPH_SIM_BOOT_TIME") {
		cfg.SimBootTime = 0
	}
	return &ephemeralOptions{EnvFile: envFile}, nil
}

// announceEphemeral creates an access key of the bootstrap user through
// the IAM API, writes the environment file if one was asked for, and then
// prints the credentials as one JSON line on stdout: a reader that has the
// line can use the file.
func announceEphemeral(ctx context.Context, srv *controlplane.Server, o ephemeralOptions, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cred, _, _, err := standin.Provision(ctx, srv, "cphd --ephemeral", nil)
	if err != nil {
		return fmt.Errorf("--ephemeral: %w", err)
	}
	if o.EnvFile != "" {
		if err := writeEnvFile(o.EnvFile, envLines(cred)); err != nil {
			return fmt.Errorf("--ephemeral-env-file: %w", err)
		}
	}
	line, err := json.Marshal(cred)
	if err != nil {
		return fmt.Errorf("--ephemeral: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return fmt.Errorf("--ephemeral: print the credentials: %w", err)
	}
	return nil
}

// envLines are the lines of the environment file: the variables of the
// cph CLI (CPH_ENDPOINT, ...) and those the Huawei Cloud SDKs read
// (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID and
// the region endpoint HUAWEICLOUD_SDK_REGION_CPH_<REGION>).
func envLines(c standin.Credentials) []string {
	region := strings.ToUpper(strings.ReplaceAll(c.Region, "-", "_"))
	vars := [][2]string{
		{"CPH_ENDPOINT", c.Endpoint},
		{"CPH_DOMAIN", c.Domain},
		{"CPH_USER", c.User},
		{"CPH_PASSWORD", c.Password},
		{"CPH_PROJECT", c.Project},
		{"CPH_PROJECT_ID", c.ProjectID},
		{"CPH_REGION", c.Region},
		{"CPH_AK", c.AK},
		{"CPH_SK", c.SK},
		{"HUAWEICLOUD_SDK_AK", c.AK},
		{"HUAWEICLOUD_SDK_SK", c.SK},
		{"HUAWEICLOUD_SDK_PROJECT_ID", c.ProjectID},
		{"HUAWEICLOUD_SDK_REGION_CPH_" + region, c.Endpoint},
	}
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = v[0] + "=" + shellQuote(v[1])
	}
	return out
}

// shellQuote returns v as is when a POSIX shell reads it unchanged (every
// value cphd generates), and in single quotes otherwise.
func shellQuote(v string) string {
	safe := v != ""
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:@%+,=", r)) {
			safe = false
			break
		}
	}
	if safe {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// writeEnvFile writes the lines to path (mode 0600) at once: through a
// temporary file in the same directory, renamed over path.
func writeEnvFile(path string, lines []string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, nothing to remove
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
