package cphdcmd

import (
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// TestTLSProxyAndKeyFlags checks the TLS, proxy and key rotation flags
// and their environment variables, and the mistakes they refuse.
func TestTLSProxyAndKeyFlags(t *testing.T) {
	key1, key2 := strings.Repeat("11", 32), strings.Repeat("22", 32)
	env := map[string]string{"CPH_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7 ,fd00::/8", "CPH_TLS_SELF_SIGNED": "true",
		"CPH_SERVER_KEY": key2, "CPH_SERVER_KEY_PREVIOUS": key1}
	cfg, _, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8")}
	if !slices.Equal(cfg.TrustedProxies, want) || !cfg.TLSSelfSigned || cfg.IAM.PreviousServerKey[0] != 0x11 || cfg.IAM.ServerKey[0] != 0x22 {
		t.Errorf("config = %+v", cfg)
	}
	cfg, _, err = parseConfig([]string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--server-key", key1, "--server-key-next", key2}, func(string) string { return "" }, io.Discard)
	if err != nil || cfg.TLSCertFile != "c.pem" || cfg.TLSKeyFile != "k.pem" || cfg.IAM.NextServerKey[0] != 0x22 {
		t.Errorf("config = %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{
		{"--trusted-proxies", "10.0.0.0/33"},
		{"--trusted-proxies", "proxy.example"},
		{"--server-key-previous", key1}, // without --server-key
		{"--server-key", key1, "--server-key-previous", "abc"},
		{"--server-key", key1, "--server-key-previous", key2, "--server-key-next", key2},
	} {
		if _, _, err := parseConfig(bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
