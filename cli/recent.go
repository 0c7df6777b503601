package cli

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// recentFile is the file in the cache directory that remembers the
// request ids of the last asynchronous operations this user started, for
// the completion of request and job ids (the API lists jobs only by
// request id).
const recentFile = "recent-requests.txt"

// maxRecent is how many request ids are remembered: as many as one
// ListJobs call accepts.
const maxRecent = 20

// reRequestID matches a request id.
var reRequestID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// rememberRequest adds id to the recent requests of s's cache directory.
// It is best effort: a completion aid must never fail a command.
func rememberRequest(s settings, id string) {
	if s.CacheDir == "" || !reRequestID.MatchString(id) {
		return
	}
	ids := append([]string{id}, recentRequests(s)...)
	var b bytes.Buffer
	seen := map[string]bool{}
	for _, r := range ids {
		if !seen[r] && len(seen) < maxRecent {
			seen[r] = true
			b.WriteString(r + "\n")
		}
	}
	if err := os.MkdirAll(s.CacheDir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(s.CacheDir, recentFile+".*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b.Bytes())
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), filepath.Join(s.CacheDir, recentFile)) != nil {
		os.Remove(tmp.Name())
	}
}

// recentRequests returns the remembered request ids, newest first.
func recentRequests(s settings) []string {
	f, err := os.Open(filepath.Join(s.CacheDir, recentFile))
	if err != nil {
		return nil
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(ids) < maxRecent {
		if id := strings.TrimSpace(sc.Text()); reRequestID.MatchString(id) {
			ids = append(ids, id)
		}
	}
	return ids
}
