package controlplane

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ServerKeyFile is the name, in the data dir, of the generated key that
// encrypts access-key secrets at rest.
const ServerKeyFile = "server.key"

// ParseServerKey decodes a server key given as 64 hexadecimal characters.
func ParseServerKey(s string) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != 32 {
		return nil, errors.New("the server key must be 64 hexadecimal characters (32 bytes)")
	}
	return key, nil
}

// loadServerKey reads the server key from the data dir, generating it
// (mode 0600) on first use.
func loadServerKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, ServerKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseServerKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("controlplane: %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("controlplane: read %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("controlplane: generate server key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadServerKey(dataDir) // another process wrote it first
	} else if err != nil {
		return nil, fmt.Errorf("controlplane: create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return nil, fmt.Errorf("controlplane: write %s: %w", path, err)
	}
	return key, nil
}
