package controlplane

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/opencph/opencph/internal/certs"
)

// loadTLS returns the certificate source of the API listener, or nil for
// plain HTTP.
func loadTLS(cfg Config, log *slog.Logger) (*certs.Reloader, error) {
	files := cfg.TLSCertFile != "" || cfg.TLSKeyFile != ""
	switch {
	case files && cfg.TLSSelfSigned:
		return nil, errors.New("controlplane: give either a certificate and key or the self-signed option, not both")
	case files && (cfg.TLSCertFile == "" || cfg.TLSKeyFile == ""):
		return nil, errors.New("controlplane: a TLS certificate needs both its certificate file and its key file")
	case files:
		r, err := certs.NewReloader(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("controlplane: TLS: %w", err)
		}
		return r, nil
	case cfg.TLSSelfSigned:
		host, _, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("controlplane: listen address %q: %w", cfg.Listen, err)
		}
		certFile, keyFile, generated, err := certs.SelfSigned(cfg.DataDir, host, time.Now())
		if err != nil {
			return nil, fmt.Errorf("controlplane: TLS: %w", err)
		}
		r, err := certs.NewReloader(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("controlplane: TLS: %w", err)
		}
		if generated {
			log.Info("generated a self-signed TLS certificate", "cert_file", certFile)
		}
		return r, nil
	}
	return nil, nil
}

// TLS describes the certificate the API serves.
type TLS struct {
	CertFile    string // the certificate file (for a self-signed pair: the file clients trust)
	SelfSigned  bool
	Fingerprint string // SHA-256 of the certificate, as openssl prints it
	NotAfter    time.Time
}

// TLS describes the certificate served now, or returns nil when the API
// is plain HTTP.
func (s *Server) TLS() *TLS {
	if s.tls == nil {
		return nil
	}
	c := s.tls.Certificate()
	t := &TLS{CertFile: s.cfg.TLSCertFile, SelfSigned: s.cfg.TLSSelfSigned, Fingerprint: certs.Fingerprint(c.Certificate[0])}
	if t.SelfSigned {
		t.CertFile = filepath.Join(s.cfg.DataDir, certs.SelfSignedCertFile)
	}
	if c.Leaf != nil {
		t.NotAfter = c.Leaf.NotAfter
	}
	return t
}

// ReloadTLS reads the certificate and key files again and serves the new
// pair to new connections; connections already open keep theirs and the
// listener is not touched. If the new pair does not load, the old one
// stays and the error is returned (and logged). Without TLS it does
// nothing.
func (s *Server) ReloadTLS() error {
	if s.tls == nil {
		return nil
	}
	if err := s.tls.Reload(); err != nil {
		s.log.Error("TLS certificate not reloaded; the previous one is still served", "err", err)
		return err
	}
	s.log.Info("TLS certificate reloaded", "fingerprint_sha256", s.TLS().Fingerprint)
	return nil
}
