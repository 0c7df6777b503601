package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

// Limits of the ADB commands.
const (
	maxContent          = 1024 // bytes of content, except install-multiple and shell
	maxShellContent     = 2048 // bytes of shell content
	maxContentMultiple  = 8100 // bytes of install-multiple content
	maxMultipleAPKs     = 50   // APKs of one install-multiple
	syncCallsPerMinute  = 6
	syncPollInterval    = 25 * time.Millisecond
	commandServerRefuse = "Parameter: server_id is invalid."
)

// reContent is the character set of ADB command content: letters,
// digits, '_', '.', '/', ':', '-' and the space, so control characters
// and shell metacharacters are refused; reShellContent, that of the shell
// command, adds '?', '=', '&' and '|' (quotes, ';', '$', '`', '<', '>',
// parentheses and the rest stay refused).
var (
	reContent      = regexp.MustCompile(`^[A-Za-z0-9_./: \-]+$`)
	reShellContent = regexp.MustCompile(`^[A-Za-z0-9_./: \-?=&|]+$`)
	reAppName      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$`)
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
	limit, chars := maxContent, reContent
	switch command {
	case cph.CommandInstallMultiple:
		limit = maxContentMultiple
	case cph.CommandShell:
		limit, chars = maxShellContent, reShellContent
	}
	if strings.TrimSpace(content) == "" || len(content) > limit || !chars.MatchString(content) {
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

// checkCommand validates the command and content of p; sync allows the
// shell command only.
func checkCommand(p cph.CommandParams, sync bool) error {
	if !validCommand(p.Command) || (sync && p.Command != cph.CommandShell) {
		return cph.ErrInvalidCommand()
	}
	return checkContent(p.Command, p.Content)
}

// commandTargets is the expansion of a command's targets, in order: a
// phone ID, or a refusal of an unknown server.
type commandTargets struct {
	order    []string // phone IDs, and "server:<id>" for refused servers
	phones   []cph.PhoneRef
	refusals map[string]cph.CommandJob // by order key
}

// targets resolves phone_ids, or else server_ids, to phones of projectID.
func (s *Services) targets(ctx context.Context, projectID string, p cph.CommandParams) (*commandTargets, error) {
	t := &commandTargets{refusals: map[string]cph.CommandJob{}}
	if len(p.PhoneIDs) > 0 {
		for _, id := range p.PhoneIDs {
			t.order = append(t.order, id)
			t.phones = append(t.phones, cph.PhoneRef{PhoneID: id})
		}
		return t, nil
	}
	if len(p.ServerIDs) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	if len(p.ServerIDs) > cph.MaxCommandServers {
		return nil, cph.ErrTooManyItems("server_ids", cph.MaxCommandServers)
	}
	for _, sid := range dedupe(slices.Clone(p.ServerIDs)) {
		known := cph.ValidID(sid)
		if known {
			_, err := s.db.ServerByID(ctx, projectID, sid)
			if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
				return nil, fmt.Errorf("command targets: %w", err)
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
			return nil, fmt.Errorf("command targets: %w", err)
		}
		for _, ph := range phones {
			t.order = append(t.order, ph.ID)
			t.phones = append(t.phones, cph.PhoneRef{PhoneID: ph.ID})
		}
	}
	return t, nil
}

// submitCommand queues the command on its targets and returns the
// request's ID and the engine's answers by phone.
func (s *Services) submitCommand(ctx context.Context, projectID string, p cph.CommandParams, t *commandTargets, timeout time.Duration) (string, map[string]cph.PhoneJob, error) {
	answers := map[string]cph.PhoneJob{}
	if len(t.phones) == 0 {
		return cph.NewID(), answers, nil
	}
	raw, err := json.Marshal(cph.CommandArgs{Command: p.Command, Content: p.Content, TimeoutMillis: timeout.Milliseconds()})
	if err != nil {
		return "", nil, fmt.Errorf("encode command args: %w", err)
	}
	acc, err := s.engine.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: projectID, Kind: cph.OpADBCommand, Phones: t.phones, Args: raw})
	if err != nil {
		return "", nil, err
	}
	for _, j := range acc.Jobs {
		answers[j.PhoneID] = j
	}
	return acc.RequestID, answers, nil
}

// RunCommand implements cph.PhoneService.
func (s *Services) RunCommand(ctx context.Context, p cph.CommandParams) (*cph.CommandResult, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkCommand(p, false); err != nil {
		return nil, err
	}
	t, err := s.targets(ctx, c.ProjectID, p)
	if err != nil {
		return nil, err
	}
	requestID, answers, err := s.submitCommand(ctx, c.ProjectID, p, t, 0)
	if err != nil {
		return nil, err
	}
	out := &cph.CommandResult{RequestID: requestID, Jobs: []cph.CommandJob{}}
	for _, key := range dedupe(slices.Clone(t.order)) {
		if ref, ok := t.refusals[key]; ok {
			out.Jobs = append(out.Jobs, ref)
		} else if j, ok := answers[key]; ok {
			out.Jobs = append(out.Jobs, cph.CommandJob{PhoneID: j.PhoneID, JobID: j.JobID, ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg})
		}
	}
	return out, nil
}

// RunSyncCommand implements cph.PhoneService. Its calls are counted per
// user in the database, so every replica counts the same calls.
func (s *Services) RunSyncCommand(ctx context.Context, p cph.CommandParams) (*cph.SyncCommandResult, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkCommand(p, true); err != nil {
		return nil, err
	}
	if len(p.PhoneIDs) > cph.MaxSyncCommandPhones {
		return nil, cph.ErrTooManyItems("phone_ids", cph.MaxSyncCommandPhones)
	}
	t, err := s.targets(ctx, c.ProjectID, p)
	if err != nil {
		return nil, err
	}
	if len(t.phones) > cph.MaxSyncCommandPhones {
		return nil, cph.ErrTooManyItems("phones of server_ids", cph.MaxSyncCommandPhones)
	}
	if err := s.syncCalls.allow(ctx, s.db, "sync:"+c.User.ID, cph.ErrTooManyRequests()); err != nil {
		return nil, err
	}
	requestID, answers, err := s.submitCommand(ctx, c.ProjectID, p, t, cph.SyncCommandPhoneTimeout)
	if err != nil {
		return nil, err
	}
	jobs, err := s.awaitJobs(ctx, c.ProjectID, requestID, len(answers), cph.SyncCommandWait+cph.SyncCommandPhoneTimeout)
	if err != nil {
		return nil, err
	}
	out := &cph.SyncCommandResult{RequestID: requestID, Jobs: []cph.SyncCommandJob{}}
	for _, key := range dedupe(slices.Clone(t.order)) {
		if ref, ok := t.refusals[key]; ok {
			out.Jobs = append(out.Jobs, cph.SyncCommandJob{ServerID: ref.ServerID, Status: cph.JobFailed, ErrorCode: &ref.ErrorCode, ErrorMsg: &ref.ErrorMsg})
			continue
		}
		a, ok := answers[key]
		if !ok {
			continue
		}
		if a.JobID == "" {
			out.Jobs = append(out.Jobs, cph.SyncCommandJob{PhoneID: a.PhoneID, Status: cph.JobFailed, ErrorCode: &a.ErrorCode, ErrorMsg: &a.ErrorMsg})
			continue
		}
		sj := cph.SyncCommandJob{PhoneID: a.PhoneID, JobID: a.JobID, Status: cph.JobRunning}
		if j, ok := jobs[a.JobID]; ok {
			sj.Status, sj.ErrorCode, sj.ErrorMsg, sj.ExecuteMsg = j.Status, j.ErrorCode, j.ErrorMsg, j.ExecuteMsg
		}
		out.Jobs = append(out.Jobs, sj)
	}
	return out, nil
}

// awaitJobs waits until the jobs of requestID are final, or until wait
// passes or ctx ends, and returns them by job ID as they are then.
func (s *Services) awaitJobs(ctx context.Context, projectID, requestID string, n int, wait time.Duration) (map[string]*cph.Job, error) {
	deadline := time.Now().Add(wait)
	out := map[string]*cph.Job{}
	if n == 0 {
		return out, nil
	}
	for {
		jobs, err := s.db.ListJobs(ctx, projectID, []string{requestID}, 0, 100)
		if err != nil {
			return nil, fmt.Errorf("await jobs: %w", err)
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
