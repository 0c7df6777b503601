package console

import (
	"encoding/json"
	"net/http"
	"strings"

	cph "github.com/opencph/opencph"
)

// phonePage is the data of a phone's detail page.
type phonePage struct {
	Phone *cph.PhoneDetail
	// Properties are the phone's properties, by key, when Property is a
	// JSON object.
	Properties map[string]any
	Buckets    []*cph.Bucket
	// Shell is the answer to the shell box's command, if one ran.
	Shell *shellResult
	// Jobs are the phone's most recent jobs.
	Jobs []*cph.Job
	// Request is the request ID of an action just taken on the phone.
	Request string
	LiveURL string
}

// phoneJobs is the most jobs a phone's page lists.
const phoneJobs = 10

// shellResult is the answer of one shell command.
type shellResult struct {
	Command string
	Status  string
	Output  string
	Code    string
	Error   string
}

// phoneID returns the phone ID of the request's path, or refuses it.
func phoneID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !cph.ValidID(id) {
		return "", cph.ErrPhoneNotFound()
	}
	return id, nil
}

func (c *Console) phone(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderPhone(w, r, s, nil, "", "")
}

// renderPhone renders a phone's page, with the answer of an action just
// taken (shell output, a request ID, a message).
func (c *Console) renderPhone(w http.ResponseWriter, r *http.Request, s *session, sh *shellResult, requestID, flash string) error {
	id, err := phoneID(r)
	if err != nil {
		return err
	}
	ph, err := c.cfg.Phones.ShowPhone(s.ctx(r), id)
	if err != nil {
		return err
	}
	d := phonePage{Phone: ph, Shell: sh, Request: requestID, LiveURL: Prefix + "phones/" + id}
	jobs, err := c.cfg.Jobs.ListRecentJobs(s.ctx(r), cph.RecentJobFilter{PhoneID: id, Limit: phoneJobs})
	if err != nil {
		return err
	}
	d.Jobs = jobs.Jobs
	if err := json.Unmarshal([]byte(ph.Property), &d.Properties); err != nil {
		d.Properties = nil
	}
	if s.CanWrite() && r.URL.Query().Get("fragment") == "" {
		if d.Buckets, err = c.cfg.Buckets.ListBuckets(s.ctx(r)); err != nil {
			return err
		}
	}
	v := view{Title: ph.Name, Session: s, Nav: "phone", Path: r.URL.RequestURI(), Data: d, Flash: flash, FlashOK: flash != ""}
	c.renderView(w, r, http.StatusOK, "phone", v)
	return nil
}

// shell runs one shell command on the phone (RunSyncCommand) and shows
// its output.
func (c *Console) shell(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := phoneID(r)
	if err != nil {
		return err
	}
	cmd := strings.TrimSpace(r.PostFormValue("command"))
	sh := &shellResult{Command: cmd}
	res, err := c.cfg.Phones.RunSyncCommand(s.ctx(r), cph.CommandParams{Command: cph.CommandShell, Content: cmd, PhoneIDs: []string{id}})
	c.auditAction(r, s, "RunSyncCommand", []string{id}, requestIDOfSync(res), err)
	switch {
	case err != nil:
		sh.Code, sh.Error = cph.ErrorCode(err), plainError(err)
	case len(res.Jobs) == 0:
		sh.Error = "The phone did not answer."
	default:
		j := res.Jobs[0]
		sh.Status = j.Status.String()
		sh.Output = deref(j.ExecuteMsg)
		if j.ErrorCode != nil && *j.ErrorCode != "" {
			sh.Code = *j.ErrorCode
			sh.Error = strings.TrimSpace(meaning(*j.ErrorCode) + ": " + deref(j.ErrorMsg))
		} else if j.Status == cph.JobRunning {
			sh.Error = "The command is still running; its output will be in its job."
		}
	}
	return c.renderPhone(w, r, s, sh, "", "")
}

func requestIDOfSync(res *cph.SyncCommandResult) string {
	if res == nil {
		return ""
	}
	return res.RequestID
}

// install installs an APK from one of the project's buckets (an install
// command, asynchronous).
func (c *Console) install(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := phoneID(r)
	if err != nil {
		return err
	}
	bucket, key := strings.TrimSpace(r.PostFormValue("bucket")), strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("key")), "/")
	if bucket == "" || key == "" {
		return userError{http.StatusBadRequest, "Choose a bucket and enter the APK's object key."}
	}
	res, err := c.cfg.Phones.RunCommand(s.ctx(r), cph.CommandParams{Command: cph.CommandInstall, Content: "obs://" + bucket + "/" + key, PhoneIDs: []string{id}})
	reqID := ""
	if res != nil {
		reqID = res.RequestID
	}
	c.auditAction(r, s, "RunAdbCommand", []string{id}, reqID, err)
	if err != nil {
		return err
	}
	if len(res.Jobs) == 1 && res.Jobs[0].JobID == "" {
		j := res.Jobs[0]
		return cph.Ef(j.ErrorCode, "%s", j.ErrorMsg)
	}
	return c.renderPhone(w, r, s, nil, reqID, "The install of obs://"+bucket+"/"+key+" is queued.")
}

// properties changes the phone's properties (UpdateCloudPhoneProperty):
// the form sends them as a JSON object.
func (c *Console) properties(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := phoneID(r)
	if err != nil {
		return err
	}
	prop := strings.TrimSpace(r.PostFormValue("property"))
	var obj map[string]any
	if err := json.Unmarshal([]byte(prop), &obj); err != nil || obj == nil {
		return userError{http.StatusBadRequest, `The properties must be a JSON object, such as {"com.cph.mainkeys":"1"}.`}
	}
	res, err := c.cfg.Phones.UpdatePhoneProperties(s.ctx(r), []cph.PhoneRef{{PhoneID: id, Property: prop}})
	c.auditAction(r, s, "UpdateCloudPhoneProperty", []string{id}, requestIDOf(res), err)
	if err != nil {
		return err
	}
	if len(res.Jobs) == 1 && res.Jobs[0].JobID == "" {
		j := res.Jobs[0]
		return cph.Ef(j.ErrorCode, "%s", j.ErrorMsg)
	}
	return c.renderPhone(w, r, s, nil, res.RequestID, "The property change is queued; the phone restarts to apply it.")
}

// renamePhone changes the phone's name.
func (c *Console) renamePhone(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := phoneID(r)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	err = c.cfg.Phones.UpdatePhone(s.ctx(r), id, cph.PhoneUpdate{Name: &name})
	c.auditAction(r, s, "UpdatePhoneName", []string{id}, "", err)
	if err != nil {
		return err
	}
	return c.renderPhone(w, r, s, nil, "", "The phone is now named "+name+".")
}

// auditAction records an action of the console in the audit trail, under
// the name of the API operation it performs.
func (c *Console) auditAction(r *http.Request, s *session, operation string, targets []string, requestID string, err error) {
	status, code := http.StatusOK, ""
	if err != nil {
		e := cph.AsError(err)
		status, code = e.Status, e.Code
	}
	if len(targets) > cph.MaxAuditTargets {
		targets = targets[:cph.MaxAuditTargets]
	}
	c.audit(&cph.AuditEvent{Source: c.cfg.ClientAddr(r), Operation: operation, UserID: s.caller.User.ID, UserName: s.caller.User.Name,
		DomainID: s.caller.Domain.ID, ProjectID: s.caller.ProjectID, TargetIDs: targets, RequestID: requestID, Status: status, ErrorCode: code}, "")
}
