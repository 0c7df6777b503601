// Package certs provides the TLS material of cphd and its clients: a
// server certificate loaded from files and swapped atomically when it is
// reloaded (so that a listener keeps serving across a renewal), a
// generated self-signed pair kept in the data dir, SHA-256 fingerprints,
// and client trust built from a CA file.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Reloader serves a certificate loaded from a certificate file and a key
// file. Reload reads the files again; a pair that does not load keeps the
// certificate served so far. It is safe for concurrent use.
type Reloader struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// NewReloader loads the pair once; it fails if the pair does not load.
func NewReloader(certFile, keyFile string) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the pair again and, if it loads (the files parse and the
// key matches the certificate), serves it to new connections from now on.
func (r *Reloader) Reload() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("certs: load %s and %s: %w", r.certFile, r.keyFile, err)
	}
	r.cur.Store(&c)
	return nil
}

// Certificate is the certificate served now.
func (r *Reloader) Certificate() *tls.Certificate { return r.cur.Load() }

// GetCertificate is a tls.Config.GetCertificate returning the current
// certificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// Fingerprint returns the SHA-256 fingerprint of a DER certificate in
// the form openssl x509 -fingerprint -sha256 prints (upper-case hex
// pairs separated by colons).
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// Self-signed pair file names in the data dir.
const (
	SelfSignedCertFile = "tls-self-signed.crt"
	SelfSignedKeyFile  = "tls-self-signed.key"
)

// selfSignedValidity is how long a generated certificate is valid.
const selfSignedValidity = 5 * 365 * 24 * time.Hour

// SelfSigned returns the self-signed pair kept in dir, generating it
// (ECDSA P-256, both files mode 0600) when there is none, when it has
// expired, or when it does not name listenHost. The certificate names
// localhost, 127.0.0.1 and listenHost (a host name or IP address; empty
// or unspecified addresses add nothing). generated says whether this call
// wrote a new pair.
func SelfSigned(dir, listenHost string, now time.Time) (certFile, keyFile string, generated bool, err error) {
	certFile, keyFile = filepath.Join(dir, SelfSignedCertFile), filepath.Join(dir, SelfSignedKeyFile)
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	switch {
	case err == nil:
		if leaf := c.Leaf; leaf != nil && now.Before(leaf.NotAfter) && covers(leaf, listenHost) {
			return certFile, keyFile, false, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", "", false, fmt.Errorf("certs: self-signed pair in %s: %w", dir, err)
	}
	certPEM, keyPEM, err := generate(listenHost, now)
	if err != nil {
		return "", "", false, err
	}
	// The key first: a certificate file never names a key that is not there.
	if err := writeFile0600(keyFile, keyPEM); err != nil {
		return "", "", false, err
	}
	if err := writeFile0600(certFile, certPEM); err != nil {
		return "", "", false, err
	}
	return certFile, keyFile, true, nil
}

// covers reports whether leaf names host (nothing to name counts as covered).
func covers(leaf *x509.Certificate, host string) bool {
	if sanHost(host) == "" {
		return true
	}
	return leaf.VerifyHostname(host) == nil
}

// sanHost is host if it should be named in the certificate: not empty and
// not an unspecified address (0.0.0.0, ::).
func sanHost(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return ""
	}
	return host
}

func generate(listenHost string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("certs: serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"OpenCPH"}, CommonName: "cphd self-signed"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // it is its own trust anchor: clients give it as their CA file
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if h := sanHost(listenHost); h != "" {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.Equal(net.IPv4(127, 0, 0, 1)) {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if h != "localhost" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeFile0600 replaces path with data, mode 0600 whatever the umask,
// through a temporary file renamed into place.
func writeFile0600(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	return nil
}

// CAPool reads a PEM file of one or more CA certificates.
func CAPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}

// ClientConfig returns a TLS client configuration that trusts only the
// CA certificates of file.
func ClientConfig(file string) (*tls.Config, error) {
	pool, err := CAPool(file)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
