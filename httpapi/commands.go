package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

// Limits of the ADB commands.
const (
	maxContent          = 1024 // bytes of content, except install-multiple
	maxContentMultiple  = 8100 // bytes of install-multiple content
	maxMultipleAPKs     = 50   // APKs of one install-multiple
	maxCommandServers   = 100  // server_ids of one command
	maxSyncPhones       = 15   // phones of one RunSyncCommand
	syncPhoneTimeout    = 2 * time.Second
	syncCallTimeout     = 30 * time.Second
	syncCallsPerMinute  = 6
	syncPollInterval    = 25 * time.Millisecond
	commandServerRefuse = "Parameter: server_id is invalid."
)

// reContent is the character set of ADB command content: letters,
// digits, '_', '.', '/', ':', '-' and the space, for every command
// (shell included), so control characters and shell metacharacters are
// refused.
var (
	reContent = regexp.MustCompile(`^[A-Za-z0-9_./: \-]+$`)
	reAppName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$`)
)

// validCommand reports whether command is one of the ADB commands.
func validCommand(command string) bool {
	switch command {
	case cph.CommandInstall, cph.CommandInstallMultiple, cph.CommandUninstall, cph.CommandPush, cph.CommandShell:
		return true
	}
	return false
}

// checkContent validates the content of an ADB command (CPS.0118).
func checkContent(command, content string) error {
	limit := maxContent
	if command == cph.CommandInstallMultiple {
		limit = maxContentMultiple
	}
	if strings.TrimSpace(content) == "" || len(content) > limit || !reContent.MatchString(content) {
		return cph.ErrInvalidContent()
	}
	fields := strings.Fields(content)
	objectOK := func(u, ext string) bool {
		_, key, err := objstore.ParseURL(u)
		return err == nil && strings.HasSuffix(key, ext) && len(key) > len(ext)
	}
	switch command {
	case cph.CommandInstall, cph.CommandInstallMultiple:
		var urls []string
		for _, f := range fields {
			switch {
			case strings.HasPrefix(f, "obs://"):
				urls = append(urls, f)
			case strings.HasPrefix(f, "-") && len(f) > 1:
				// an install flag such as -r or -t
			default:
				return cph.ErrInvalidContent()
			}
		}
		if len(urls) == 0 {
			return cph.ErrInvalidContent()
		}
		if command == cph.CommandInstall {
			urls = urls[:1]
		} else if len(urls) > maxMultipleAPKs {
			return cph.ErrInvalidContent()
		}
		for _, u := range urls {
			if !objectOK(u, ".apk") {
				return cph.ErrInvalidContent()
			}
		}
	case cph.CommandUninstall:
		for _, f := range fields[:len(fields)-1] {
			if !strings.HasPrefix(f, "-") {
				return cph.ErrInvalidContent()
			}
		}
		if name := fields[len(fields)-1]; len(name) > 128 || !reAppName.MatchString(name) {
			return cph.ErrInvalidContent()
		}
	case cph.CommandPush:
		if len(fields) != 1 || !objectOK(fields[0], ".tar") {
			return cph.ErrInvalidContent()
		}
	}
	return nil
}

// commandRequest is the body of /phones/commands and /phones/sync-commands.
type commandRequest struct {
	Command   *string  `json:"command"`
	Content   *string  `json:"content"`
	PhoneIDs  []string `json:"phone_ids"`
	ServerIDs []string `json:"server_ids"`
}

// commandTargets is the expansion of a command's targets, in order: a
// phone ID, or a refusal of an unknown server.
type commandTargets struct {
	order    []string // phone IDs, and "server:<id>" for refused servers
	phones   []cph.PhoneRef
	refusals map[string]cph.CommandJob // by order key
}

// targets resolves phone_ids, or else server_ids, to phones.
func (s *Server) targets(ctx context.Context, projectID string, req *commandRequest) (*commandTargets, error) {
	t := &commandTargets{refusals: map[string]cph.CommandJob{}}
	if len(req.PhoneIDs) > 0 {
		for _, id := range req.PhoneIDs {
			t.order = append(t.order, id)
			t.phones = append(t.phones, cph.PhoneRef{PhoneID: id})
		}
		return t, nil
	}
	if len(req.ServerIDs) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	if len(req.ServerIDs) > maxCommandServers {
		return nil, cph.ErrTooManyItems("server_ids", maxCommandServers)
	}
	for _, sid := range dedupe(slices.Clone(req.ServerIDs)) {
		known := cph.ValidID(sid)
		if known {
			_, err := s.db.ServerByID(ctx, projectID, sid)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			known = err == nil
		}
		if !known {
			key := "server:" + sid
			t.order = append(t.order, key)
			t.refusals[key] = cph.CommandJob{ServerID: sid, ErrorCode: cph.CodeCommandServerInvalid, ErrorMsg: commandServerRefuse}
			continue
		}
		phones, err := s.db.PhonesByServer(ctx, sid)
		if err != nil {
			return nil, err
		}
		for _, ph := range phones {
			t.order = append(t.order, ph.ID)
			t.phones = append(t.phones, cph.PhoneRef{PhoneID: ph.ID})
		}
	}
	return t, nil
}

func isNotFound(err error) bool { return errors.Is(err, sqlstore.ErrNotFound) }

// decodeCommand decodes and validates the command and content of a
// command request.
func decodeCommand(r *http.Request, sync bool) (*commandRequest, error) {
	var req commandRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Command == nil || !validCommand(*req.Command) || (sync && *req.Command != cph.CommandShell) {
		return nil, cph.ErrInvalidCommand()
	}
	if req.Content == nil {
		return nil, cph.ErrInvalidContent()
	}
	if err := checkContent(*req.Command, *req.Content); err != nil {
		return nil, err
	}
	return &req, nil
}

// submitCommand queues the command on its targets.
func (s *Server) submitCommand(ctx context.Context, p *cph.Principal, req *commandRequest, t *commandTargets, timeout time.Duration) (*engine.Accepted, map[string]cph.PhoneJob, error) {
	answers := map[string]cph.PhoneJob{}
	acc := &engine.Accepted{RequestID: cph.NewID()}
	if len(t.phones) == 0 {
		return acc, answers, nil
	}
	raw, err := json.Marshal(cph.CommandArgs{Command: *req.Command, Content: *req.Content, TimeoutMillis: timeout.Milliseconds()})
	if err != nil {
		return nil, nil, fmt.Errorf("encode command args: %w", err)
	}
	acc, err = s.engine.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpADBCommand, Phones: t.phones, Args: raw})
	if err != nil {
		return nil, nil, err
	}
	for _, j := range acc.Jobs {
		answers[j.PhoneID] = j
	}
	return acc, answers, nil
}

type commandResponse struct {
	RequestID string           `json:"request_id"`
	Jobs      []cph.CommandJob `json:"jobs"`
}

// runCommand is InstallApk, UninstallApk, PushFile and RunShellCommand.
func (s *Server) runCommand(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	req, err := decodeCommand(r, false)
	if err != nil {
		return err
	}
	t, err := s.targets(r.Context(), p.ProjectID, req)
	if err != nil {
		return err
	}
	acc, answers, err := s.submitCommand(r.Context(), p, req, t, 0)
	if err != nil {
		return err
	}
	resp := commandResponse{RequestID: acc.RequestID, Jobs: []cph.CommandJob{}}
	for _, key := range dedupe(slices.Clone(t.order)) {
		if ref, ok := t.refusals[key]; ok {
			resp.Jobs = append(resp.Jobs, ref)
		} else if j, ok := answers[key]; ok {
			resp.Jobs = append(resp.Jobs, cph.CommandJob{PhoneID: j.PhoneID, JobID: j.JobID, ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg})
		}
	}
	w.Header().Set("X-Request-Id", acc.RequestID)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type syncCommandResponse struct {
	RequestID string               `json:"request_id"`
	Jobs      []cph.SyncCommandJob `json:"jobs"`
}

// syncCommand is RunSyncCommand: a shell command on at most
// 15 phones, answered when every job has finished or after 30 s (plus
// the 2 s each phone has), with the jobs as they are then.
func (s *Server) syncCommand(lim *rateLimiter) func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
		req, err := decodeCommand(r, true)
		if err != nil {
			return err
		}
		if len(req.PhoneIDs) > maxSyncPhones {
			return cph.ErrTooManyItems("phone_ids", maxSyncPhones)
		}
		t, err := s.targets(r.Context(), p.ProjectID, req)
		if err != nil {
			return err
		}
		if len(t.phones) > maxSyncPhones {
			return cph.ErrTooManyItems("phones of server_ids", maxSyncPhones)
		}
		if err := lim.allow(r.Context(), s.db, "sync:"+p.User.ID, cph.ErrTooManyRequests()); err != nil {
			return err
		}
		acc, answers, err := s.submitCommand(r.Context(), p, req, t, syncPhoneTimeout)
		if err != nil {
			return err
		}
		jobs, err := s.awaitJobs(r.Context(), p.ProjectID, acc.RequestID, len(answers), syncCallTimeout+syncPhoneTimeout)
		if err != nil {
			return err
		}
		resp := syncCommandResponse{RequestID: acc.RequestID, Jobs: []cph.SyncCommandJob{}}
		for _, key := range dedupe(slices.Clone(t.order)) {
			if ref, ok := t.refusals[key]; ok {
				resp.Jobs = append(resp.Jobs, cph.SyncCommandJob{ServerID: ref.ServerID, Status: cph.JobFailed, ErrorCode: &ref.ErrorCode, ErrorMsg: &ref.ErrorMsg})
				continue
			}
			a, ok := answers[key]
			if !ok {
				continue
			}
			if a.JobID == "" {
				resp.Jobs = append(resp.Jobs, cph.SyncCommandJob{PhoneID: a.PhoneID, Status: cph.JobFailed, ErrorCode: &a.ErrorCode, ErrorMsg: &a.ErrorMsg})
				continue
			}
			sj := cph.SyncCommandJob{PhoneID: a.PhoneID, JobID: a.JobID, Status: cph.JobRunning}
			if j, ok := jobs[a.JobID]; ok {
				sj.Status, sj.ErrorCode, sj.ErrorMsg, sj.ExecuteMsg = j.Status, j.ErrorCode, j.ErrorMsg, j.ExecuteMsg
			}
			resp.Jobs = append(resp.Jobs, sj)
		}
		w.Header().Set("X-Request-Id", acc.RequestID)
		writeJSON(w, http.StatusOK, resp)
		return nil
	}
}

// awaitJobs waits until the jobs of requestID are final, or until wait
// passes or ctx ends, and returns them by job ID as they are then.
func (s *Server) awaitJobs(ctx context.Context, projectID, requestID string, n int, wait time.Duration) (map[string]*cph.Job, error) {
	deadline := time.Now().Add(wait)
	out := map[string]*cph.Job{}
	if n == 0 {
		return out, nil
	}
	for {
		jobs, err := s.db.ListJobs(ctx, projectID, []string{requestID}, 0, 100)
		if err != nil {
			return nil, err
		}
		final := true
		for _, j := range jobs {
			out[j.ID] = j
			final = final && j.Status.Final()
		}
		if final || time.Now().After(deadline) {
			return out, nil
		}
		t := time.NewTimer(syncPollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return out, nil
		case <-t.C:
		}
	}
}
