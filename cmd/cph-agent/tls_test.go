package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencph/opencph/cli"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/internal/certs"
	"github.com/opencph/opencph/internal/certs/certstest"
	"github.com/opencph/opencph/internal/poll"
)

// runCLI runs cph in-process with env as its whole environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// tlsClient is an API client of cphd that trusts caFile.
func tlsClient(t *testing.T, url, caFile string) *client.Client {
	t.Helper()
	conf, err := certs.ClientConfig(caFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{Endpoint: url, Domain: "acme", User: "acme", Password: "agent-test-pw", Project: "cn-north-4", TLSConfig: conf})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// servedCert opens a new TLS connection to cphd (trusting pool, or
// anything when pool is nil) and returns the certificate it serves.
func servedCert(t *testing.T, url string, pool *x509.CertPool) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(url, "https://"), &tls.Config{RootCAs: pool, InsecureSkipVerify: pool == nil})
	if err != nil {
		t.Fatalf("TLS connection to %s: %v", url, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// TestTLSEndToEnd serves cphd's API over TLS with a certificate signed by
// a private CA: cph logs in and lists phones with --ca-file (and with
// CPH_CA_FILE), cph-agent enrolls over https with --ca-file; a wrong CA is
// refused by both. SIGHUP makes cphd serve a renewed certificate to new
// connections without dropping its listener or the agent, and a broken
// pair on SIGHUP keeps the previous certificate.
func TestTLSEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca, wrongCA := certstest.NewCA(t, "OpenCPH test CA"), certstest.NewCA(t, "some other CA")
	serial1 := ca.Issue(t, certFile, keyFile)
	cphd := startProc(t, "cphd", []string{"CPH_BOOTSTRAP_DOMAIN=acme", "CPH_BOOTSTRAP_PASSWORD=agent-test-pw"},
		"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--sim-servers", "0", "--log-level", "info",
		"--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(cphd.url, "https://127.0.0.1:") {
		t.Fatalf("cphd listens on %s, want https", cphd.url)
	}
	pool, err := certs.CAPool(ca.File)
	if err != nil {
		t.Fatal(err)
	}
	if got := servedCert(t, cphd.url, pool).SerialNumber; got.Cmp(serial1) != 0 {
		t.Fatalf("served serial %v, want %v", got, serial1)
	}

	// cph-agent enrolls over https, trusting the CA from --ca-file.
	c := tlsClient(t, cphd.url, ca.File)
	tok, err := c.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{})
	if err != nil {
		t.Fatal(err)
	}
	startProc(t, "agent", []string{"CPH_ENROLL_TOKEN=" + tok.Token}, agentArgs(cphd, "tls-node", t.TempDir(), "--ca-file", ca.File)...)
	waitServer(t, c, "tls-node")

	// cph logs in and lists the agent's phones with --ca-file, or CPH_CA_FILE.
	env := map[string]string{"CPH_ENDPOINT": cphd.url, "CPH_DOMAIN": "acme", "CPH_PASSWORD": "agent-test-pw", "CPH_CACHE_DIR": t.TempDir()}
	if code, _, stderr := runCLI(t, env, "login", "--ca-file", ca.File); code != 0 {
		t.Fatalf("cph login --ca-file: exit %d: %s", code, stderr)
	}
	phones := func(env map[string]string, args ...string) int {
		t.Helper()
		code, stdout, stderr := runCLI(t, env, append([]string{"phones", "list", "-o", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("cph phones list %v: exit %d: %s", args, code, stderr)
		}
		var list struct {
			Count int `json:"count"`
		}
		if err := json.Unmarshal([]byte(stdout), &list); err != nil {
			t.Fatalf("cph phones list: %v: %s", err, stdout)
		}
		return list.Count
	}
	if n := phones(env, "--ca-file", ca.File); n != 2 {
		t.Errorf("cph phones list --ca-file: %d phones, want the agent's 2", n)
	}
	withEnv := map[string]string{"CPH_CA_FILE": ca.File}
	for k, v := range env {
		withEnv[k] = v
	}
	if n := phones(withEnv); n != 2 {
		t.Errorf("cph phones list with CPH_CA_FILE: %d phones, want 2", n)
	}

	// A wrong CA, or none (the system's), is refused.
	for _, args := range [][]string{{"login", "--ca-file", wrongCA.File}, {"phones", "list", "--ca-file", wrongCA.File}, {"login"}} {
		code, _, stderr := runCLI(t, env, args...)
		if code == 0 || !strings.Contains(stderr, "certificate") {
			t.Errorf("cph %v: exit %d, stderr %q; want a failure naming the certificate", args, code, stderr)
		}
	}
	bad := startProc(t, "agent", []string{"CPH_ENROLL_TOKEN=" + tok.Token}, agentArgs(cphd, "wrong-ca", t.TempDir(), "--ca-file", wrongCA.File)...)
	if code := bad.exited(t, 30*time.Second); code != 1 || !strings.Contains(bad.log(), "TLS certificate is not trusted") {
		t.Errorf("agent with a wrong CA: exit %d, stderr %q", code, bad.log())
	}

	// SIGHUP: a renewed certificate is served to new connections.
	serial2 := ca.Issue(t, certFile, keyFile)
	if err := cphd.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, cphd, "TLS certificate reloaded")
	if got := servedCert(t, cphd.url, pool).SerialNumber; got.Cmp(serial2) != 0 {
		t.Fatalf("after SIGHUP: serial %v, want the renewed %v", got, serial2)
	}
	// A broken pair on SIGHUP: logged, the renewed certificate stays.
	if err := os.WriteFile(certFile, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cphd.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, cphd, "TLS certificate not reloaded")
	if got := servedCert(t, cphd.url, pool).SerialNumber; got.Cmp(serial2) != 0 {
		t.Errorf("after a broken pair: serial %v, want %v kept", got, serial2)
	}
	// The listener and the agent went on: cph and the agent's server work.
	if n := phones(env, "--ca-file", ca.File); n != 2 {
		t.Errorf("after the reloads: %d phones, want 2", n)
	}
	waitServer(t, c, "tls-node")
}

// waitLog waits until p's stderr holds s.
func waitLog(t *testing.T, p *proc, s string) {
	t.Helper()
	if !poll.Wait(t, 20*time.Second, func() bool { return strings.Contains(p.log(), s) }) {
		t.Fatalf("no %q in the log:\n%s", s, p.log())
	}
}

var fingerprintRE = regexp.MustCompile(`SHA-256:\s+([0-9A-F:]{95})`)

// TestTLSSelfSigned starts cphd with --tls-self-signed: it prints the
// fingerprint of the certificate it serves and the file to trust, cph
// logs in trusting that file, and a restart serves the same pair.
func TestTLSSelfSigned(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dataDir := t.TempDir()
	start := func() (*proc, string) {
		p := startProc(t, "cphd", []string{"CPH_BOOTSTRAP_DOMAIN=acme", "CPH_BOOTSTRAP_PASSWORD=agent-test-pw"},
			"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--sim-servers", "0", "--log-level", "warn", "--tls-self-signed")
		var m []string
		if !poll.Wait(t, 10*time.Second, func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			m = fingerprintRE.FindStringSubmatch(p.stdout.String())
			return m != nil
		}) {
			t.Fatalf("no fingerprint printed:\n%s", p.stdout.String())
		}
		return p, m[1]
	}
	p, printed := start()
	if served := certs.Fingerprint(servedCert(t, p.url, nil).Raw); served != printed {
		t.Errorf("printed fingerprint %s, served %s", printed, served)
	}
	caFile := filepath.Join(dataDir, certs.SelfSignedCertFile)
	p.mu.Lock()
	out := p.stdout.String()
	p.mu.Unlock()
	if !strings.Contains(out, "CPH_CA_FILE="+caFile) {
		t.Errorf("the welcome text does not say which file to trust:\n%s", out)
	}
	env := map[string]string{"CPH_ENDPOINT": p.url, "CPH_DOMAIN": "acme", "CPH_PASSWORD": "agent-test-pw",
		"CPH_CACHE_DIR": t.TempDir(), "CPH_CA_FILE": caFile}
	if code, _, stderr := runCLI(t, env, "login"); code != 0 {
		t.Fatalf("cph login trusting the self-signed certificate: exit %d: %s", code, stderr)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.exited(t, 20*time.Second)
	if _, again := start(); again != printed {
		t.Errorf("after a restart the fingerprint is %s, want the same pair (%s)", again, printed)
	}
}
