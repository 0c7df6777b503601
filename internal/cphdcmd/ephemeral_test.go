package cphdcmd

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/internal/standin"
)

// TestEphemeralFlags checks what --ephemeral changes: a free loopback
// port and instant boots unless they are given, and no data dir or
// database of the user's.
func TestEphemeralFlags(t *testing.T) {
	for _, tc := range []struct {
		env        map[string]string
		args       []string
		listen     string
		bootTime   time.Duration
		ephemeral  bool
		envFile    string
		wantErrSub string
	}{
		{nil, nil, "127.0.0.1:8080", 3 * time.Second, false, "", ""},
		{nil, []string{"--ephemeral"}, "127.0.0.1:0", 0, true, "", ""},
		{map[string]string{"CPH_EPHEMERAL": "true"}, nil, "127.0.0.1:0", 0, true, "", ""},
		{map[string]string{"CPH_EPHEMERAL": "1", "CPH_EPHEMERAL_ENV_FILE": "/x/env"}, nil, "127.0.0.1:0", 0, true, "/x/env", ""},
		{nil, []string{"--ephemeral", "--listen", "127.0.0.1:9000", "--sim-boot-time", "1s", "--ephemeral-env-file", "e"}, "127.0.0.1:9000", time.Second, true, "e", ""},
		{map[string]string{"CPH_LISTEN": "127.0.0.1:9001", "CPH_SIM_BOOT_TIME": "2s"}, []string{"--ephemeral"}, "127.0.0.1:9001", 2 * time.Second, true, "", ""},
		{nil, []string{"--ephemeral", "--data-dir", "d"}, "", 0, false, "", "temporary data dir"},
		{map[string]string{"CPH_DATABASE_URL": "postgres://x"}, []string{"--ephemeral"}, "", 0, false, "", "temporary data dir"},
		{nil, []string{"--ephemeral-env-file", "e"}, "", 0, false, "", "needs --ephemeral"},
		{nil, []string{"--ephemeral", "--tls-self-signed"}, "", 0, false, "", "plain HTTP"},
		{map[string]string{"CPH_EPHEMERAL": "maybe"}, nil, "", 0, false, "", "CPH_EPHEMERAL"},
	} {
		o, err := parseProgram(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		if tc.wantErrSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
				t.Errorf("env %v, args %q: %v, want an error about %q", tc.env, tc.args, err, tc.wantErrSub)
			}
			continue
		}
		if err != nil {
			t.Errorf("env %v, args %q: %v", tc.env, tc.args, err)
			continue
		}
		got := o.ephemeral != nil
		if got != tc.ephemeral || o.cfg.Listen != tc.listen || o.cfg.SimBootTime != tc.bootTime || (got && o.ephemeral.EnvFile != tc.envFile) {
			t.Errorf("env %v, args %q: ephemeral %v %+v, listen %s, boot time %v; want %v %q, %s, %v",
				tc.env, tc.args, got, o.ephemeral, o.cfg.Listen, o.cfg.SimBootTime, tc.ephemeral, tc.envFile, tc.listen, tc.bootTime)
		}
	}
}

// TestEphemeralRun runs cphd --ephemeral in process: it prints one JSON
// line whose access key is accepted, writes the environment file, and
// removes its data dir when it stops.
func TestEphemeralRun(t *testing.T) {
	tmp := t.TempDir()
	envFile := filepath.Join(t.TempDir(), "cph.env")
	env := map[string]string{"TMPDIR": tmp}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, stdout := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := Run(ctx, []string{"--ephemeral", "--ephemeral-env-file", envFile, "--sim-servers", "1", "--sim-phones-per-server", "2", "--log-level", "warn"},
			func(k string) string { return env[k] }, stdout, io.Discard)
		stdout.CloseWithError(io.EOF)
		done <- err
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the JSON line: %v (cphd: %v)", err, <-done)
	}
	go io.Copy(io.Discard, out) // anything after the line would be a failure below
	var cred standin.Credentials
	if err := json.Unmarshal([]byte(line), &cred); err != nil {
		t.Fatalf("JSON line %q: %v", line, err)
	}
	var fields map[string]string
	json.Unmarshal([]byte(line), &fields)
	for _, k := range []string{"endpoint", "domain", "user", "password", "project", "project_id", "region", "ak", "sk"} {
		if fields[k] == "" {
			t.Errorf("JSON line lacks %q: %s", k, line)
		}
	}
	if !strings.HasPrefix(cred.Endpoint, "http://127.0.0.1:") || cred.Region != "cn-north-4" || cred.Domain != "opencph" {
		t.Errorf("credentials %+v", cred)
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "cphd-ephemeral-") {
		t.Errorf("temporary dir holds %v, want one cphd-ephemeral- data dir", entries)
	}

	// The access key signs requests as the SDKs do.
	req, _ := http.NewRequest(http.MethodGet, cred.Endpoint+"/v1/"+cred.ProjectID+"/cloud-phone/phones", nil)
	req.Header.Set("Content-Type", "application/json")
	aksk.Sign(req, nil, cred.AK, cred.SK, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Count int `json:"count"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if resp.StatusCode != http.StatusOK || list.Count != 2 {
		t.Errorf("list phones with the access key: %d, %d phones; want 200 and 2", resp.StatusCode, list.Count)
	}

	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CPH_ENDPOINT=" + cred.Endpoint + "\n", "CPH_PASSWORD=" + shellQuote(cred.Password) + "\n",
		"HUAWEICLOUD_SDK_AK=" + cred.AK + "\n", "HUAWEICLOUD_SDK_SK=" + cred.SK + "\n", "HUAWEICLOUD_SDK_PROJECT_ID=" + cred.ProjectID + "\n",
		"HUAWEICLOUD_SDK_REGION_CPH_CN_NORTH_4=" + cred.Endpoint + "\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("env file lacks %q:\n%s", want, b)
		}
	}
	if fi, err := os.Stat(envFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("env file mode: %v, %v; want 0600", fi.Mode(), err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("cphd --ephemeral ended with %v", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("after the shutdown the temporary dir still holds %v", entries)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080": "http://127.0.0.1:8080",
		"Ab_3-x":                "Ab_3-x",
		"":                      "''",
		"two words":             "'two words'",
		"it's $HOME":            `'it'\''s $HOME'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
