package controlplane_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/controlplane"
)

// loginVia sends a password login (for user, of account acme) with extra
// headers, as a reverse proxy would pass it on.
func loginVia(t *testing.T, srv *controlplane.Server, user, password string, headers map[string]string) *response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "password": password, "domain": map[string]any{"name": "acme"}}}},
		"scope": map[string]any{"project": map[string]any{"name": "cn-north-4"}},
	}})
	req, err := http.NewRequest("POST", srv.URL()+"/v3/auth/tokens", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return send(t, req)
}

// startProxied starts a control plane whose login throttle allows 3
// failures per client address (none refilled while the test runs),
// trusting proxies in trusted.
func startProxied(t *testing.T, trusted ...string) *controlplane.Server {
	return startServer(t, func(c *controlplane.Config) {
		c.SimServers = 0
		c.IAM.ClientFailures, c.IAM.ClientRefill = 3, time.Hour
		c.IAM.UserRefill, c.IAM.UserTotalRefill = time.Hour, time.Hour
		for _, p := range trusted {
			c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix(p))
		}
	})
}

// fail makes a failed login as a new unknown user (so that only the
// per-address limit counts) from the address xff names.
func fail(t *testing.T, srv *controlplane.Server, n int, xff string) *response {
	t.Helper()
	return loginVia(t, srv, "ghost"+strings.Repeat("x", n), "wrong-password", map[string]string{"X-Forwarded-For": xff})
}

// TestForwardedForFromAnUntrustedPeerIsIgnored sends failed logins with a
// different X-Forwarded-For each time from a peer that is not a trusted
// proxy: they all count against the peer's own address.
func TestForwardedForFromAnUntrustedPeerIsIgnored(t *testing.T) {
	t.Parallel()
	srv := startProxied(t, "10.0.0.0/8") // loopback is not trusted
	for i := range 3 {
		if r := fail(t, srv, i, "203.0.113."+string(rune('1'+i))); r.status != 401 {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.raw)
		}
	}
	wantThrottled(t, "4th failure, spoofing yet another address", fail(t, srv, 3, "203.0.113.9"), "")
}

// TestForwardedForFromATrustedProxyNamesTheClient sends failed logins
// through a trusted proxy (loopback): the client address is the rightmost
// untrusted hop, so two clients behind the proxy are throttled apart, and
// a client cannot escape its throttle by prepending addresses.
func TestForwardedForFromATrustedProxyNamesTheClient(t *testing.T) {
	t.Parallel()
	srv := startProxied(t, "127.0.0.0/8", "10.0.0.0/8")
	for i := range 3 {
		// The client, then an inner trusted proxy.
		if r := fail(t, srv, i, "203.0.113.1, 10.1.2.3"); r.status != 401 {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.raw)
		}
	}
	wantThrottled(t, "4th failure of 203.0.113.1", fail(t, srv, 3, "203.0.113.1"), "")
	wantThrottled(t, "203.0.113.1 prepending a forged hop", fail(t, srv, 4, "198.51.100.7, 203.0.113.1"), "")
	if r := fail(t, srv, 5, "203.0.113.2"); r.status != 401 {
		t.Errorf("another client behind the proxy: %d %s, want 401 (not throttled)", r.status, r.raw)
	}
}

// TestForwardedProtoNamesTheCatalogueScheme logs in through a trusted
// proxy that terminates TLS: the token's catalogue URLs are https; the
// same header from an untrusted peer changes nothing.
func TestForwardedProtoNamesTheCatalogueScheme(t *testing.T) {
	t.Parallel()
	catalogueURL := func(r *response) string {
		t.Helper()
		if r.status != 201 {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
		cat := r.body["token"].(map[string]any)["catalog"].([]any)
		return cat[0].(map[string]any)["endpoints"].([]any)[0].(map[string]any)["url"].(string)
	}
	headers := map[string]string{"X-Forwarded-Proto": "https"}
	trusted := startProxied(t, "127.0.0.1/32")
	if u := catalogueURL(loginVia(t, trusted, "acme", testPassword, headers)); !strings.HasPrefix(u, "https://") {
		t.Errorf("through a trusted proxy: catalogue URL %s, want https", u)
	}
	if u := catalogueURL(loginVia(t, trusted, "acme", testPassword, map[string]string{"X-Forwarded-Proto": "gopher"})); !strings.HasPrefix(u, "http://") {
		t.Errorf("an unknown scheme: catalogue URL %s, want http", u)
	}
	untrusted := startProxied(t)
	if u := catalogueURL(loginVia(t, untrusted, "acme", testPassword, headers)); !strings.HasPrefix(u, "http://") {
		t.Errorf("from an untrusted peer: catalogue URL %s, want http", u)
	}
}

// TestTLSConfigurationMistakesStopTheStart checks that a half-given or
// contradictory TLS configuration, or a pair that does not load, stops
// the control plane at start with the reason.
func TestTLSConfigurationMistakesStopTheStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := dir + "/missing.pem"
	for _, c := range []struct {
		name   string
		mutate func(*controlplane.Config)
		want   string
	}{
		{"certificate without key", func(c *controlplane.Config) { c.TLSCertFile = missing }, "needs both"},
		{"files and self-signed", func(c *controlplane.Config) { c.TLSCertFile, c.TLSKeyFile, c.TLSSelfSigned = missing, missing, true }, "not both"},
		{"files that do not load", func(c *controlplane.Config) { c.TLSCertFile, c.TLSKeyFile = missing, missing }, "missing.pem"},
	} {
		cfg := controlplane.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()}
		c.mutate(&cfg)
		srv, err := controlplane.Start(t.Context(), cfg)
		if err == nil {
			srv.Close()
			t.Errorf("%s: started", c.name)
		} else if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want it to say %q", c.name, err, c.want)
		}
	}
}
