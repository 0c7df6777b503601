package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	cph "github.com/opencph/opencph"
)

// MaxPhonePageSize is the largest page ListCloudPhones serves; ListAllPhones
// uses it.
const MaxPhonePageSize = 200

// phonesPath is the collection of phones.
const phonesPath = "/v1/{project_id}/cloud-phone/phones"

// ListPhonesOptions are the query parameters of ListPhones. Nil and empty
// fields are not sent, so the server applies its defaults (offset 0, limit
// 100) and does not filter.
type ListPhonesOptions struct {
	// Offset is the number of phones to skip.
	Offset *int
	// Limit is the page size, 1 to 200.
	Limit *int
	// Name keeps the phones whose name contains it.
	Name string
	// ServerID keeps the phones of one server.
	ServerID string
	// Status keeps the phones in one status.
	Status *cph.PhoneStatus
	// Type keeps the phones of one type (0 ordinary, 1 trial).
	Type *int32
}

// query returns the options as query parameters.
func (o ListPhonesOptions) query() url.Values {
	q := url.Values{}
	setInt(q, "offset", o.Offset)
	setInt(q, "limit", o.Limit)
	if o.Name != "" {
		q.Set("phone_name", o.Name)
	}
	if o.ServerID != "" {
		q.Set("server_id", o.ServerID)
	}
	if o.Status != nil {
		q.Set("status", strconv.Itoa(int(*o.Status)))
	}
	if o.Type != nil {
		q.Set("type", strconv.Itoa(int(*o.Type)))
	}
	return q
}

// PhoneList is the body of a ListCloudPhones answer.
type PhoneList struct {
	// RequestID is the id of the call.
	RequestID string `json:"request_id"`
	// Count is the number of phones that match the filters, across pages.
	Count int `json:"count"`
	// Phones is the page, newest first.
	Phones []cph.Phone `json:"phones"`
}

// ListPhones returns one page of the project's phones (ListCloudPhones,
// GET /v1/{project_id}/cloud-phone/phones). The server answers CPS.0002 for
// a bad offset or limit and CPS.0010 for a bad status.
func (c *Client) ListPhones(ctx context.Context, opts ListPhonesOptions) (*PhoneList, error) {
	var out PhoneList
	reqID, err := c.Do(ctx, Request{Method: http.MethodGet, Path: phonesPath, Query: opts.query(), Out: &out})
	if err != nil {
		return nil, fmt.Errorf("list phones: %w", err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	if out.Phones == nil {
		out.Phones = []cph.Phone{}
	}
	return &out, nil
}

// ListAllPhones returns every phone that matches the filters of opts, paging
// through ListPhones with pages of MaxPhonePageSize; opts.Offset and
// opts.Limit are ignored. The RequestID of the result is that of the last
// page, and Count is the number of phones returned.
func (c *Client) ListAllPhones(ctx context.Context, opts ListPhonesOptions) (*PhoneList, error) {
	all := &PhoneList{Phones: []cph.Phone{}}
	seen := map[string]bool{}
	for offset := 0; ; {
		opts.Offset, opts.Limit = new(offset), new(MaxPhonePageSize)
		page, err := c.ListPhones(ctx, opts)
		if err != nil {
			return nil, err
		}
		all.RequestID = page.RequestID
		for _, p := range page.Phones {
			if !seen[p.ID] {
				seen[p.ID] = true
				all.Phones = append(all.Phones, p)
			}
		}
		offset += len(page.Phones)
		if len(page.Phones) < MaxPhonePageSize || offset >= page.Count {
			break
		}
	}
	all.Count = len(all.Phones)
	return all, nil
}

// ShowPhoneScreenshot returns a PNG capture of a running phone's screen
// (OpenCPH extension, GET
// /opencph/v1/{project_id}/cloud-phone/phones/{phone_id}/screenshot) and
// when the control plane received it. The server answers 409 CPS.9015 for
// a phone that is not running and 504 CPS.9016 when the phone did not
// deliver a capture within 10 s.
func (c *Client) ShowPhoneScreenshot(ctx context.Context, phoneID string) (*cph.PhoneScreenshot, error) {
	if phoneID == "" {
		return nil, fmt.Errorf("show screenshot: empty phone id")
	}
	h, data, err := c.doRawResponse(ctx, http.MethodGet, "/opencph/v1/{project_id}/cloud-phone/phones/"+url.PathEscape(phoneID)+"/screenshot", nil)
	if err != nil {
		return nil, fmt.Errorf("show screenshot of phone %s: %w", phoneID, err)
	}
	out := &cph.PhoneScreenshot{PNG: data}
	if v := h.Get(cph.ScreenshotTakenAtHeader); v != "" {
		if out.TakenAt, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return nil, fmt.Errorf("show screenshot of phone %s: %s header %q: %w", phoneID, cph.ScreenshotTakenAtHeader, v, err)
		}
	}
	return out, nil
}

// ShowPhone returns the details of one phone (ShowCloudPhoneDetail,
// GET /v1/{project_id}/cloud-phone/phones/{phone_id}). The server answers
// 404 CPS.0005 for an unknown phone and 400 CPS.0004 for a malformed id.
func (c *Client) ShowPhone(ctx context.Context, phoneID string) (*cph.PhoneDetail, error) {
	if phoneID == "" {
		return nil, fmt.Errorf("show phone: empty phone id")
	}
	var out cph.PhoneDetail
	reqID, err := c.Do(ctx, Request{Method: http.MethodGet, Path: phonesPath + "/" + url.PathEscape(phoneID), Out: &out})
	if err != nil {
		return nil, fmt.Errorf("show phone %s: %w", phoneID, err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	return &out, nil
}

// RestartPhonesRequest is the body of RestartCloudPhone.
type RestartPhonesRequest struct {
	// ImageID, when set, is the image every phone boots after the restart.
	ImageID string `json:"image_id,omitempty"`
	// Phones are the phones to restart, each with optional properties.
	Phones []cph.PhoneRef `json:"phones"`
}

// ResetPhonesRequest is the body of ResetCloudPhone.
type ResetPhonesRequest struct {
	// ImageID, when set, is the image every phone is reset to.
	ImageID string `json:"image_id,omitempty"`
	// Phones are the phones to reset, each with optional properties.
	Phones []cph.PhoneRef `json:"phones"`
}

// BatchResult is the answer of an asynchronous phone operation: the handle
// of the request and one entry per phone, holding either the job created
// for it or the error code of its refusal.
type BatchResult struct {
	// RequestID is the handle to pass to ListJobs or WaitJobs.
	RequestID string `json:"request_id"`
	// Jobs has one entry per requested phone, in request order.
	Jobs []cph.PhoneJob `json:"jobs"`
}

// batch posts an asynchronous phone operation.
func (c *Client) batch(ctx context.Context, op, action string, in any) (*BatchResult, error) {
	return c.postBatch(ctx, op+" phones", phonesPath+"/"+action, in)
}

// postBatch posts an asynchronous phone operation to path; what names it in
// errors.
func (c *Client) postBatch(ctx context.Context, what, path string, in any) (*BatchResult, error) {
	var out BatchResult
	reqID, err := c.Do(ctx, Request{Method: http.MethodPost, Path: path, In: in, Out: &out})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	if out.Jobs == nil {
		out.Jobs = []cph.PhoneJob{}
	}
	return &out, nil
}

// RestartPhones restarts running phones and starts stopped ones
// (RestartCloudPhone, POST /v1/{project_id}/cloud-phone/phones/batch-restart).
// Phones the server refuses (CPS.0004, CPS.0005, CPS.9001, CPS.9011) are
// reported in their entry of the result, not as an error; the whole request
// fails with CPS.0009 (no phones), CPS.0030 (bad image) or CPS.9010 (too
// many phones).
func (c *Client) RestartPhones(ctx context.Context, req RestartPhonesRequest) (*BatchResult, error) {
	return c.batch(ctx, "restart", "batch-restart", req)
}

// ResetPhones restores phones to their factory state, optionally with
// another image and properties (ResetCloudPhone,
// POST /v1/{project_id}/cloud-phone/phones/batch-reset). Errors are as for
// RestartPhones.
func (c *Client) ResetPhones(ctx context.Context, req ResetPhonesRequest) (*BatchResult, error) {
	return c.batch(ctx, "reset", "batch-reset", req)
}

// StopPhones powers phones off (StopCloudPhone,
// POST /v1/{project_id}/cloud-phone/phones/batch-stop, body
// {"phone_ids": [...]}). Refused phones are reported in the result; the
// whole request fails with CPS.0009 (no phones) or CPS.9010 (too many).
func (c *Client) StopPhones(ctx context.Context, phoneIDs []string) (*BatchResult, error) {
	if phoneIDs == nil {
		phoneIDs = []string{}
	}
	return c.batch(ctx, "stop", "batch-stop", struct {
		PhoneIDs []string `json:"phone_ids"`
	}{phoneIDs})
}

// setInt sets name to *v when v is not nil.
func setInt(q url.Values, name string, v *int) {
	if v != nil {
		q.Set(name, strconv.Itoa(*v))
	}
}
