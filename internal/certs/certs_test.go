package certs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/internal/certs"
	"github.com/opencph/opencph/internal/certs/certstest"
)

// TestReloaderKeepsTheOldPairOnABadOne reloads a renewed pair (served
// from then on) and then a broken one (refused, the renewed one stays).
func TestReloaderKeepsTheOldPairOnABadOne(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca := certstest.NewCA(t, "test CA")
	first := ca.Issue(t, certFile, keyFile)
	r, err := certs.NewReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() string {
		c, _ := r.GetCertificate(nil)
		return c.Leaf.SerialNumber.String()
	}
	if serial() != first.String() {
		t.Fatalf("serial %s, want %s", serial(), first)
	}
	second := ca.Issue(t, certFile, keyFile)
	if err := r.Reload(); err != nil || serial() != second.String() {
		t.Fatalf("after renewal: %v, serial %s, want %s", err, serial(), second)
	}
	// A key that is not the certificate's, then a truncated certificate.
	other := filepath.Join(dir, "other.key")
	ca.Issue(t, filepath.Join(dir, "other.crt"), other)
	key, _ := os.ReadFile(other)
	os.WriteFile(keyFile, key, 0o600)
	if err := r.Reload(); err == nil || serial() != second.String() {
		t.Errorf("mismatched key: %v, serial %s, want %s kept", err, serial(), second)
	}
	os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n"), 0o600)
	if err := r.Reload(); err == nil || serial() != second.String() {
		t.Errorf("broken certificate: %v, serial %s, want %s kept", err, serial(), second)
	}
}

// TestSelfSignedIsKeptAndReused generates the pair once (ECDSA P-256,
// 0600, naming localhost, 127.0.0.1 and the listen host), reuses it, and
// generates a new one for a listen host it does not name.
func TestSelfSignedIsKeptAndReused(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	certFile, keyFile, generated, err := certs.SelfSigned(dir, "cph.example.test", now)
	if err != nil || !generated {
		t.Fatalf("first: generated %v, %v", generated, err)
	}
	for _, f := range []string{certFile, keyFile} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", f, fi.Mode(), err)
		}
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf := pair.Leaf
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("key %T, want ECDSA P-256", leaf.PublicKey)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "cph.example.test"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not name %s: %v", h, err)
		}
	}
	_, _, generated, err = certs.SelfSigned(dir, "cph.example.test", now.Add(time.Hour))
	if err != nil || generated {
		t.Errorf("restart: generated %v, %v; want the pair reused", generated, err)
	}
	_, _, generated, err = certs.SelfSigned(dir, "0.0.0.0", now.Add(time.Hour))
	if err != nil || generated {
		t.Errorf("unspecified listen host: generated %v, %v; want the pair reused", generated, err)
	}
	_, _, generated, err = certs.SelfSigned(dir, "192.0.2.7", now.Add(time.Hour))
	if err != nil || !generated {
		t.Errorf("new listen address: generated %v, %v; want a new pair", generated, err)
	}
	pair2, _ := tls.LoadX509KeyPair(certFile, keyFile)
	if !pair2.Leaf.IPAddresses[len(pair2.Leaf.IPAddresses)-1].Equal(net.ParseIP("192.0.2.7")) {
		t.Errorf("new pair names %v", pair2.Leaf.IPAddresses)
	}
	sum := sha256.Sum256(pair2.Certificate[0])
	if fp := certs.Fingerprint(pair2.Certificate[0]); strings.ReplaceAll(fp, ":", "") != strings.ToUpper(hex.EncodeToString(sum[:])) || len(fp) != 95 {
		t.Errorf("fingerprint %q", fp)
	}
}
