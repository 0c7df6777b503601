package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencph/opencph/agentproto"
)

// Identity is what an agent keeps between runs: the server it runs and
// the credential of that server.
type Identity struct {
	ControlPlane []string `json:"control_plane,omitempty"`
	ServerID     string   `json:"server_id"`
	ServerName   string   `json:"server_name"`
	ProjectID    string   `json:"project_id"`
	Credential   string   `json:"credential"`
}

// IdentityFile is the name of the identity file in an agent's state dir.
const IdentityFile = "identity.json"

// LoadIdentity reads the identity kept in stateDir; it returns
// fs.ErrNotExist (wrapped) when the agent has not enrolled yet.
func LoadIdentity(stateDir string) (*Identity, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, IdentityFile))
	if err != nil {
		return nil, fmt.Errorf("agent: read identity: %w", err)
	}
	var id Identity
	if err := json.Unmarshal(b, &id); err != nil || id.Credential == "" || id.ServerID == "" {
		return nil, fmt.Errorf("agent: %s is corrupt", filepath.Join(stateDir, IdentityFile))
	}
	return &id, nil
}

// SaveIdentity writes the identity into stateDir with mode 0600,
// atomically.
func SaveIdentity(stateDir string, id *Identity) error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("agent: create state dir: %w", err)
	}
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(stateDir, IdentityFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("agent: write identity: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(stateDir, IdentityFile)); err != nil {
		return fmt.Errorf("agent: write identity: %w", err)
	}
	return nil
}

// Enroll registers a new server with the first control plane (of urls)
// that answers, and returns its identity. Refusals (a wrong, revoked or
// expired token, a project token used for another project, an unknown
// project, a bad name) are returned at once as *ProtocolError; connection
// failures and 5xx answers are retried with backoff until ctx ends.
func Enroll(ctx context.Context, hc *http.Client, urls []string, req agentproto.EnrollRequest) (*Identity, error) {
	if hc == nil {
		hc = &http.Client{}
	}
	a := &Agent{bases: trimmed(urls), client: hc, log: slog.New(slog.DiscardHandler), backoffMin: 200 * time.Millisecond, backoffMax: 10 * time.Second}
	bo := a.newBackoff()
	for {
		var resp agentproto.EnrollResponse
		err := a.call(ctx, agentproto.EnrollPath, 30*time.Second, req, &resp)
		if err == nil {
			return &Identity{ControlPlane: urls, ServerID: resp.ServerID, ServerName: resp.ServerName, ProjectID: resp.ProjectID, Credential: resp.Credential}, nil
		}
		var pe *ProtocolError
		if errors.As(err, &pe) && pe.Status < 500 {
			return nil, fmt.Errorf("agent: enroll: %w", err)
		}
		// A certificate the agent does not trust will not become trusted
		// by retrying: say so at once.
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) {
			return nil, fmt.Errorf("agent: enroll: the control plane's TLS certificate is not trusted (give its CA with --ca-file): %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("agent: enroll: %w", errors.Join(ctx.Err(), err))
		case <-time.After(bo.next()):
		}
	}
}

// trimmed returns urls without trailing slashes.
func trimmed(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = strings.TrimRight(u, "/")
	}
	return out
}
