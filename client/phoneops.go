package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// RenamePhone gives a phone a new name (UpdatePhoneName,
// PUT /v1/{project_id}/cloud-phone/phones/{phone_id}). The server answers
// CPS.0025 for a name that breaks the rule (1–60 letters, digits, Chinese
// characters, '-', '_'), CPS.0026 for a name another phone of the project
// has, 404 CPS.0005 for an unknown phone and CPS.0004 for a malformed ID.
func (c *Client) RenamePhone(ctx context.Context, phoneID, name string) error {
	if phoneID == "" {
		return errors.New("rename phone: empty phone id")
	}
	in := struct {
		PhoneName string `json:"phone_name"`
	}{name}
	if _, err := c.Do(ctx, Request{Method: http.MethodPut, Path: phonesPath + "/" + url.PathEscape(phoneID), In: in}); err != nil {
		return fmt.Errorf("rename phone %s: %w", phoneID, err)
	}
	return nil
}

// UpdatePhoneProperties changes phone properties (UpdateCloudPhoneProperty,
// POST /v1/{project_id}/cloud-phone/phones/batch-update-property). Each
// PhoneRef's Property is a JSON object string of CPH phone property keys
// ("" with CustomProperty: no system property changes), its
// CustomProperty is merged into the phone's custom properties ("" removes
// a key). Phones
// refused by the server (CPS.0004, CPS.0005, CPS.9001, CPS.9011) are
// reported in their entry of the result.
func (c *Client) UpdatePhoneProperties(ctx context.Context, phones []cph.PhoneRef) (*BatchResult, error) {
	if phones == nil {
		phones = []cph.PhoneRef{}
	}
	in := struct {
		Phones []propertyRef `json:"phones"`
	}{}
	for _, p := range phones {
		in.Phones = append(in.Phones, propertyRef{p.PhoneID, p.Property, p.CustomProperty})
	}
	if in.Phones == nil {
		in.Phones = []propertyRef{}
	}
	return c.batch(ctx, "update properties of", "batch-update-property", in)
}

// propertyRef is an element of a property update: property is mandatory
// there, so it is always sent.
type propertyRef struct {
	PhoneID        string            `json:"phone_id"`
	Property       string            `json:"property"`
	CustomProperty map[string]string `json:"custom_property,omitempty"`
}

// ExpandPhoneVolumes grows phone data volumes (ExpandPhoneDataVolumeSize,
// POST /v1/{project_id}/cloud-phone/phones/expand-volume). A size below the
// current one or above 32768 GiB refuses the phone with CPS.9011.
func (c *Client) ExpandPhoneVolumes(ctx context.Context, phones []cph.PhoneDataVolumeSize) (*BatchResult, error) {
	if phones == nil {
		phones = []cph.PhoneDataVolumeSize{}
	}
	return c.batch(ctx, "expand volumes of", "expand-volume", struct {
		Phones []cph.PhoneDataVolumeSize `json:"phones"`
	}{phones})
}

// ImportTraffic sets the traffic route of phones, "direct" or "routing"
// (ImportTraffic, POST /v1/{project_id}/cloud-phone/phones-traffic).
func (c *Client) ImportTraffic(ctx context.Context, trafficType string, phoneIDs []string) (*BatchResult, error) {
	if phoneIDs == nil {
		phoneIDs = []string{}
	}
	in := struct {
		TrafficType string   `json:"traffic_type"`
		PhoneIDs    []string `json:"phone_ids"`
	}{trafficType, phoneIDs}
	return c.postBatch(ctx, "import traffic", "/v1/{project_id}/cloud-phone/phones-traffic", in)
}

// ExportPhoneData packs phone data into objects (BatchExportCloudPhoneData,
// POST /v1/{project_id}/cloud-phone/phones/batch-storage). A missing bucket
// fails the phone's job with CPS.9201.
func (c *Client) ExportPhoneData(ctx context.Context, infos []cph.StorageInfo) (*BatchResult, error) {
	if infos == nil {
		infos = []cph.StorageInfo{}
	}
	return c.batch(ctx, "export data of", "batch-storage", struct {
		StorageInfos []cph.StorageInfo `json:"storage_infos"`
	}{infos})
}

// ImportPhoneData restores exported data into phones
// (BatchImportCloudPhoneData, POST /v1/{project_id}/cloud-phone/phones/batch-restore).
// A missing bucket or object fails the phone's job with CPS.9201 or
// CPS.9202.
func (c *Client) ImportPhoneData(ctx context.Context, infos []cph.RestoreInfo) (*BatchResult, error) {
	if infos == nil {
		infos = []cph.RestoreInfo{}
	}
	return c.batch(ctx, "import data into", "batch-restore", struct {
		RestoreInfos []cph.RestoreInfo `json:"restore_infos"`
	}{infos})
}

// ConnectInfos returns access tickets of phones for a streaming client
// (BatchShowPhoneConnectInfos,
// POST /v1/{project_id}/cloud-phone/phones/batch-connection). clientType is
// ANDROID, WINDOWS, H5_MOBILE, H5_PC or IOS. Phones that cannot be
// connected are listed in the answer's Errors.
func (c *Client) ConnectInfos(ctx context.Context, clientType string, phoneIDs []string) (*cph.ConnectInfos, error) {
	if phoneIDs == nil {
		phoneIDs = []string{}
	}
	in := struct {
		PhoneIDs   []string `json:"phone_ids"`
		ClientType string   `json:"client_type"`
	}{phoneIDs, clientType}
	var out cph.ConnectInfos
	reqID, err := c.Do(ctx, Request{Method: http.MethodPost, Path: phonesPath + "/batch-connection", In: in, Out: &out})
	if err != nil {
		return nil, fmt.Errorf("connection info of phones: %w", err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	return &out, nil
}

// Command is an ADB command for RunCommand and RunSyncCommand. Give
// PhoneIDs, or ServerIDs for every phone of those servers.
type Command struct {
	// Command is install, install-multiple, uninstall, push or shell.
	Command string `json:"command"`
	// Content is the command's argument: obs:// APK references, a package
	// name, an obs:// tar reference or a shell command line.
	Content   string   `json:"content"`
	PhoneIDs  []string `json:"phone_ids,omitempty"`
	ServerIDs []string `json:"server_ids,omitempty"`
}

// CommandResult is the answer of RunCommand.
type CommandResult struct {
	// RequestID is the handle to pass to ListJobs or WaitJobs.
	RequestID string `json:"request_id"`
	// Jobs has one entry per phone, and one per unknown server of
	// ServerIDs (CPS.0097).
	Jobs []cph.CommandJob `json:"jobs"`
}

// RunCommand queues an ADB command (InstallApk, UninstallApk, PushFile,
// RunShellCommand: POST /v1/{project_id}/cloud-phone/phones/commands).
// The whole request fails with CPS.0117 (unknown command), CPS.0118
// (invalid content) or CPS.0009 (no targets). The output of each phone's
// command is its job's execute_msg.
func (c *Client) RunCommand(ctx context.Context, cmd Command) (*CommandResult, error) {
	var out CommandResult
	reqID, err := c.Do(ctx, Request{Method: http.MethodPost, Path: phonesPath + "/commands", In: cmd, Out: &out})
	if err != nil {
		return nil, fmt.Errorf("run %s command: %w", cmd.Command, err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	if out.Jobs == nil {
		out.Jobs = []cph.CommandJob{}
	}
	return &out, nil
}

// SyncCommandResult is the answer of RunSyncCommand.
type SyncCommandResult struct {
	// RequestID is the id of the call; its jobs can be listed with ListJobs.
	RequestID string `json:"request_id"`
	// Jobs has one entry per phone, finished (or still running if the
	// call's time ran out).
	Jobs []cph.SyncCommandJob `json:"jobs"`
}

// MaxSyncCommandPhones is the most phones of one RunSyncCommand call.
const MaxSyncCommandPhones = 15

// SyncCommandTimeout is how long a RunSyncCommand call may take on the
// server; a client should allow at least this long.
const SyncCommandTimeout = 35 * time.Second

// RunSyncCommand runs a shell command and waits for its output
// (RunSyncCommand, POST /v1/{project_id}/cloud-phone/phones/sync-commands).
// At most 15 phones (CPS.9010) and 6 calls per user and minute (429
// CPS.9009).
func (c *Client) RunSyncCommand(ctx context.Context, cmd Command) (*SyncCommandResult, error) {
	if cmd.Command == "" {
		cmd.Command = cph.CommandShell
	}
	var out SyncCommandResult
	reqID, err := c.Do(ctx, Request{Method: http.MethodPost, Path: phonesPath + "/sync-commands", In: cmd, Out: &out})
	if err != nil {
		return nil, fmt.Errorf("run sync command: %w", err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	return &out, nil
}

// bucketsPath is the collection of object storage buckets (an OpenCPH
// extension, not part of the CPH API).
const bucketsPath = "/opencph/v1/{project_id}/buckets"

// Bucket is an object storage bucket of the project.
type Bucket struct {
	Name       string   `json:"name"`
	CreateTime cph.Time `json:"create_time"`
}

// Object is an object of a bucket.
type Object struct {
	Key          string   `json:"key"`
	Size         int64    `json:"size"`
	LastModified cph.Time `json:"last_modified"`
}

// objectPath returns the path of an object, with each key segment escaped.
func objectPath(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return bucketsPath + "/" + url.PathEscape(bucket) + "/objects/" + strings.Join(segs, "/")
}

// ListBuckets returns the project's buckets, by name.
func (c *Client) ListBuckets(ctx context.Context) ([]Bucket, error) {
	var out struct {
		Buckets []Bucket `json:"buckets"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: bucketsPath, Out: &out}); err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return out.Buckets, nil
}

// CreateBucket creates a bucket owned by the project; creating an own
// bucket again succeeds. A bucket of another project is 403 CPS.0001.
func (c *Client) CreateBucket(ctx context.Context, bucket string) error {
	if _, err := c.Do(ctx, Request{Method: http.MethodPut, Path: bucketsPath + "/" + url.PathEscape(bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// ListObjects returns the objects of a bucket whose key starts with
// prefix, by key. An unknown bucket is 404 CPS.9201.
func (c *Client) ListObjects(ctx context.Context, bucket, prefix string) ([]Object, error) {
	var q url.Values
	if prefix != "" {
		q = url.Values{"prefix": {prefix}}
	}
	var out struct {
		Objects []Object `json:"objects"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: bucketsPath + "/" + url.PathEscape(bucket) + "/objects", Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", bucket, err)
	}
	return out.Objects, nil
}

// PutObject stores data as an object, creating the bucket if the project
// has none of that name. Bodies over the server's request limit (1 MiB)
// are refused with 413.
func (c *Client) PutObject(ctx context.Context, bucket, key string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	if _, err := c.doRaw(ctx, http.MethodPut, objectPath(bucket, key), data); err != nil {
		return fmt.Errorf("put obs://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// GetObject returns the content of an object. An unknown bucket or object
// is 404 CPS.9201 or CPS.9202.
func (c *Client) GetObject(ctx context.Context, bucket, key string) ([]byte, error) {
	data, err := c.doRaw(ctx, http.MethodGet, objectPath(bucket, key), nil)
	if err != nil {
		return nil, fmt.Errorf("get obs://%s/%s: %w", bucket, key, err)
	}
	return data, nil
}

// DeleteObject removes an object.
func (c *Client) DeleteObject(ctx context.Context, bucket, key string) error {
	if _, err := c.doRaw(ctx, http.MethodDelete, objectPath(bucket, key), nil); err != nil {
		return fmt.Errorf("delete obs://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// doRaw sends a request with a raw body and returns the raw answer,
// logging in again once if a reused token is refused.
func (c *Client) doRaw(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	_, data, err := c.doRawResponse(ctx, method, path, body)
	return data, err
}

// doRawResponse is doRaw that also returns the answer's headers.
func (c *Client) doRawResponse(ctx context.Context, method, path string, body []byte) (http.Header, []byte, error) {
	send := func(tok *Token) (http.Header, []byte, error) {
		p := strings.ReplaceAll(path, "{project_id}", url.PathEscape(tok.ProjectID))
		hdr := http.Header{}
		hdr.Set("X-Auth-Token", tok.Value)
		resp, data, err := c.send(ctx, httpRequest{Method: method, Path: p, Header: hdr, Body: body})
		if err != nil {
			return nil, nil, err
		}
		return resp.Header, data, nil
	}
	tok, fresh, err := c.currentToken(ctx)
	if err != nil {
		return nil, nil, err
	}
	h, data, err := send(tok)
	var apiErr *APIError
	if err == nil || fresh || !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || c.password == "" {
		return h, data, err
	}
	c.dropToken(ctx, tok)
	if tok, err = c.Login(ctx); err != nil {
		return nil, nil, err
	}
	return send(tok)
}
