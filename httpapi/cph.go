package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// paging parses offset and limit: offset ≥ 0 (default 0),
// limit in [1, max] (default def). Anything else is CPS.0002.
func paging(r *http.Request, def, max int) (offset, limit int, err error) {
	q := r.URL.Query()
	offset, limit = 0, def
	if v, ok := q["offset"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 0 {
			return 0, 0, cph.ErrInvalidPaging()
		}
		offset = n
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 1 || n > max {
			return 0, 0, cph.ErrInvalidPaging()
		}
		limit = n
	}
	return offset, limit, nil
}

// markerPaging reads the marker and limit of a marker-paged list: limit
// must be 1..max (CPS.0002 otherwise); 0 is returned when it is absent, for
// the list's default.
func markerPaging(r *http.Request, max int) (cph.MarkerPage, error) {
	q := r.URL.Query()
	p := cph.MarkerPage{Marker: q.Get("marker")}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 1 || n > max {
			return cph.MarkerPage{}, cph.ErrInvalidPaging()
		}
		p.Limit = n
	}
	return p, nil
}

type listPhonesResponse struct {
	RequestID string       `json:"request_id"`
	Count     int          `json:"count"`
	Phones    []*cph.Phone `json:"phones"`
}

// encodedPage returns the encoding of page. A page is never modified and
// the service hands out the same page while the phone data keeps its
// version, so the encoding is cached by the page itself, and the
// encoding of each of its phones by the phone (phoneJSON).
func (s *Server) encodedPage(page *cph.PhonePage) phonePage {
	if page.Version == 0 {
		return phonePage{total: page.Total, phones: appendPhones(nil, page.Phones)}
	}
	if enc, hit := s.pages.Get(page, page.Version); hit {
		return enc
	}
	enc := phonePage{total: page.Total, phones: s.phones.appendPhones(make([]byte, 0, phoneJSONSize*len(page.Phones)+2), page.Phones)}
	s.pages.Put(page, page.Version, enc)
	return enc
}

// listPhones is ListCloudPhones.
func (s *Server) listPhones(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	f := cph.PhoneFilter{ProjectID: p.ProjectID}
	var err error
	if f.Offset, f.Limit, err = paging(r, 100, cph.MaxPhonePage); err != nil {
		return err
	}
	q := r.URL.Query()
	if v, ok := q["status"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 32)
		if err != nil {
			return cph.ErrInvalidStatus()
		}
		st := cph.PhoneStatus(n)
		f.Status = &st
	}
	if v, ok := q["type"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 32)
		if err != nil {
			return cph.ErrInvalidParameter("type")
		}
		t := int32(n)
		f.Type = &t
	}
	if v := q.Get("phone_name"); v != "" {
		f.NameLike = &v
	}
	if v := q.Get("server_id"); v != "" {
		f.ServerID = &v
	}
	page, err := s.cfg.Phones.ListPhones(r.Context(), f)
	if err != nil {
		return err
	}
	writeListPhones(w, RequestID(r), s.encodedPage(page))
	return nil
}

// showPhone is ShowCloudPhoneDetail.
func (s *Server) showPhone(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	d, err := s.cfg.Phones.ShowPhone(r.Context(), r.PathValue("phone_id"))
	if err != nil {
		return err
	}
	d.RequestID = RequestID(r)
	writeJSON(w, http.StatusOK, d)
	return nil
}

// showPhoneScreenshot is GET
// /opencph/v1/{project_id}/cloud-phone/phones/{phone_id}/screenshot: the
// PNG itself, never cached by the client or a proxy.
func (s *Server) showPhoneScreenshot(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	shot, err := s.cfg.Phones.ShowPhoneScreenshot(r.Context(), r.PathValue("phone_id"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(shot.PNG)))
	h.Set("Cache-Control", "no-store")
	h.Set(cph.ScreenshotTakenAtHeader, shot.TakenAt.UTC().Format(time.RFC3339Nano))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(shot.PNG)
	return nil
}

type batchResponse struct {
	RequestID string         `json:"request_id"`
	Jobs      []cph.PhoneJob `json:"jobs"`
}

// writeBatch answers an asynchronous phone operation. The request's id
// is the handle for ListJobs, so it is also the response's request id.
func writeBatch(w http.ResponseWriter, res *cph.BatchResult) {
	w.Header().Set("X-Request-Id", res.RequestID)
	writeJSON(w, http.StatusOK, batchResponse{RequestID: res.RequestID, Jobs: res.Jobs})
}

type batchPhonesRequest struct {
	ImageID *string         `json:"image_id"`
	Phones  []*cph.PhoneRef `json:"phones"`
}

// batchPhones is RestartCloudPhone and ResetCloudPhone.
func (s *Server) batchPhones(kind cph.OpKind) func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
		var req batchPhonesRequest
		if err := decodeBody(r, &req); err != nil {
			return err
		}
		refs, err := derefItems("phones", req.Phones)
		if err != nil {
			return err
		}
		res, err := s.cfg.Phones.BatchPhones(r.Context(), cph.BatchPhonesParams{Kind: kind, Phones: refs, ImageID: req.ImageID})
		if err != nil {
			return err
		}
		writeBatch(w, res)
		return nil
	}
}

// derefItems returns the items of a decoded list; a null item is a bad
// field.
func derefItems[T any](field string, items []*T) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		if it == nil {
			return nil, cph.ErrInvalidParameter(field)
		}
		out = append(out, *it)
	}
	return out, nil
}

// stopPhones is StopCloudPhone.
func (s *Server) stopPhones(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		PhoneIDs []string `json:"phone_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	refs := make([]cph.PhoneRef, len(req.PhoneIDs))
	for i, id := range req.PhoneIDs {
		refs[i] = cph.PhoneRef{PhoneID: id}
	}
	res, err := s.cfg.Phones.BatchPhones(r.Context(), cph.BatchPhonesParams{Kind: cph.OpStopPhone, Phones: refs})
	if err != nil {
		return err
	}
	writeBatch(w, res)
	return nil
}

type listJobsResponse struct {
	RequestID string     `json:"request_id"`
	Jobs      []*cph.Job `json:"jobs"`
}

// listJobs is ListJobs.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	f := cph.JobFilter{}
	var err error
	if f.Offset, f.Limit, err = paging(r, cph.MaxJobPage, cph.MaxJobPage); err != nil {
		return err
	}
	q := r.URL.Query()
	if v, ok := q["request_ids"]; ok {
		for _, id := range strings.Split(v[0], ",") {
			f.RequestIDs = append(f.RequestIDs, strings.TrimSpace(id))
		}
	} else if v := q.Get("request_id"); v != "" {
		f.RequestIDs = []string{v}
	}
	jobs, err := s.cfg.Jobs.ListJobs(r.Context(), f)
	if err != nil {
		return err
	}
	if jobs == nil {
		jobs = []*cph.Job{}
	}
	writeJSON(w, http.StatusOK, listJobsResponse{RequestID: RequestID(r), Jobs: jobs})
	return nil
}

type showJobResponse struct {
	RequestID string `json:"request_id"`
	*cph.Job
}

// showJob is ShowJob.
func (s *Server) showJob(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	j, err := s.cfg.Jobs.ShowJob(r.Context(), r.PathValue("job_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, showJobResponse{RequestID: RequestID(r), Job: j})
	return nil
}

type listServersResponse struct {
	RequestID string        `json:"request_id"`
	Count     int           `json:"count"`
	Servers   []*cph.Server `json:"servers"`
}

// listServers is ListCloudPhoneServers.
func (s *Server) listServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var f cph.ServerFilter
	var err error
	if f.Offset, f.Limit, err = paging(r, 100, cph.MaxServerPage); err != nil {
		return err
	}
	q := r.URL.Query()
	if v, ok := q["status"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 32)
		if err != nil {
			return cph.ErrInvalidStatus()
		}
		st := cph.ServerStatus(n)
		f.Status = &st
	}
	str := func(name string) *string {
		if v := q.Get(name); v != "" {
			return &v
		}
		return nil
	}
	f.NameLike, f.ServerID, f.NetworkVersion, f.PhoneModelName = str("server_name"), str("server_id"), str("network_version"), str("phone_model_name")
	for name, dst := range map[string]**cph.Time{"create_since": &f.CreateSince, "create_until": &f.CreateUntil} {
		if v := q.Get(name); v != "" {
			t, err := parseTimestamp(v)
			if err != nil {
				return cph.ErrInvalidParameter(name)
			}
			*dst = &t
		}
	}
	page, err := s.cfg.Servers.ListServers(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listServersResponse{RequestID: RequestID(r), Count: page.Total, Servers: page.Servers})
	return nil
}

// parseTimestamp reads an integer timestamp: seconds below 10^11,
// milliseconds above (Huawei documents no unit).
func parseTimestamp(v string) (cph.Time, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return cph.Time{}, errors.New("bad timestamp")
	}
	if n < 100_000_000_000 {
		n *= 1000
	}
	return cph.NewTime(timeFromMillis(n)), nil
}
