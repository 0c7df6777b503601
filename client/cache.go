package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// TokenCache keeps tokens between Clients and processes. Keys are opaque
// strings made of lowercase hexadecimal characters (see CacheKey).
// Implementations must be safe for concurrent use.
type TokenCache interface {
	// Load returns the token stored under key, if any. A token that cannot
	// be read is reported as absent.
	Load(key string) (*Token, bool)
	// Store stores t under key, replacing any previous token.
	Store(key string, t *Token) error
	// Delete removes the token stored under key. Deleting an absent key is
	// not an error.
	Delete(key string) error
}

// CacheKey returns the cache key of the token of one user in one project
// of one endpoint: a hash of the four values.
func CacheKey(endpoint, domain, user, project string) string {
	h := sha256.New()
	for _, s := range []string{endpoint, domain, user, project} {
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// DefaultCacheDir returns the directory where the cph command caches
// tokens: $CPH_CACHE_DIR if set, else the "opencph" directory in the
// user's cache directory (os.UserCacheDir).
func DefaultCacheDir() (string, error) {
	if dir := os.Getenv("CPH_CACHE_DIR"); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("client: token cache directory: %w", err)
	}
	return filepath.Join(dir, "opencph"), nil
}

// FileTokenCache is a TokenCache that keeps one JSON file per key, named
// <key>.json, readable by the owner only (mode 0600), in Dir, which it
// creates with mode 0700 when missing.
type FileTokenCache struct {
	// Dir is the directory of the token files.
	Dir string
}

// reKey matches the keys FileTokenCache accepts, so that a key can never
// name a file outside Dir.
var reKey = regexp.MustCompile(`^[0-9a-zA-Z_-]{1,128}$`)

// path returns the file of key.
func (fc FileTokenCache) path(key string) (string, error) {
	if fc.Dir == "" {
		return "", errors.New("token cache: no directory configured")
	}
	if !reKey.MatchString(key) {
		return "", fmt.Errorf("token cache: invalid key %q", key)
	}
	return filepath.Join(fc.Dir, key+".json"), nil
}

// Load implements TokenCache.
func (fc FileTokenCache) Load(key string) (*Token, bool) {
	p, err := fc.path(key)
	if err != nil {
		return nil, false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	var t Token
	if err := json.Unmarshal(data, &t); err != nil || t.Value == "" {
		return nil, false
	}
	return &t, true
}

// Store implements TokenCache. It writes the file atomically: readers see
// the old token or the new one, never a partial file.
func (fc FileTokenCache) Store(key string, t *Token) error {
	p, err := fc.path(key)
	if err != nil {
		return err
	}
	if t == nil {
		return errors.New("token cache: nil token")
	}
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("token cache: encode token: %w", err)
	}
	if err := os.MkdirAll(fc.Dir, 0o700); err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	f, err := os.CreateTemp(fc.Dir, "."+key+".*.tmp")
	if err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("token cache: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("token cache: write %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("token cache: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	return nil
}

// Delete implements TokenCache.
func (fc FileTokenCache) Delete(key string) error {
	p, err := fc.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("token cache: %w", err)
	}
	return nil
}
