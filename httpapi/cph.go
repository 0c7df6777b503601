package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
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

type listPhonesResponse struct {
	RequestID string       `json:"request_id"`
	Count     int          `json:"count"`
	Phones    []*cph.Phone `json:"phones"`
}

// encodedPage returns the encoding of page, from the cache while the
// phone data has the version the page was read at.
func (s *Server) encodedPage(key string, page *cph.PhonePage) phonePage {
	if page.Version != 0 {
		if enc, hit := s.pages.Get(key, page.Version); hit {
			return enc
		}
	}
	enc := phonePage{total: page.Total, phones: appendPhones(nil, page.Phones)}
	if page.Version != 0 {
		s.pages.Put(key, page.Version, enc)
	}
	return enc
}

// phoneFilterKey identifies a phone list query.
func phoneFilterKey(f cph.PhoneFilter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%d", f.ProjectID, f.Offset, f.Limit)
	if f.NameLike != nil {
		fmt.Fprintf(&b, "|name=%q", *f.NameLike)
	}
	if f.ServerID != nil {
		fmt.Fprintf(&b, "|server=%q", *f.ServerID)
	}
	if f.Status != nil {
		fmt.Fprintf(&b, "|status=%d", *f.Status)
	}
	if f.Type != nil {
		fmt.Fprintf(&b, "|type=%d", *f.Type)
	}
	return b.String()
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
	writeListPhones(w, RequestID(r), s.encodedPage(phoneFilterKey(f), page))
	return nil
}

// adbListenPort is the port adbd listens on inside a phone.
const adbListenPort = 5555

// phoneServerIPs returns the server IP and the public IP of the server of
// ph, in projectID; both are "" when the server has no address.
func (s *Server) phoneServerIPs(ctx context.Context, projectID string, ph *cph.Phone) (serverIP, publicIP string, err error) {
	srv, err := s.db.ServerByID(ctx, projectID, ph.ServerID)
	if err != nil {
		return "", "", err
	}
	if len(srv.Addresses) > 0 {
		serverIP, publicIP = srv.Addresses[0].ServerIP, srv.Addresses[0].PublicIP
	}
	return serverIP, publicIP, nil
}

// phoneAccessPort is the port of the server's public IP that leads to ph.
func phoneAccessPort(ph *cph.Phone) int32 {
	return int32(20000 + ph.Index)
}

// showPhone is ShowCloudPhoneDetail.
func (s *Server) showPhone(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	id := r.PathValue("phone_id")
	if !cph.ValidID(id) {
		return cph.ErrInvalidPhoneID()
	}
	ph, err := s.db.PhoneByID(r.Context(), p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrPhoneNotFound()
	} else if err != nil {
		return err
	}
	serverIP, publicIP, err := s.phoneServerIPs(r.Context(), p.ProjectID, ph)
	if err != nil {
		return err
	}
	property := ph.Property
	if property == "" {
		property = "{}"
	}
	ai := cph.PhoneAccessInfo{
		Type: "adb", DeviceIP: ph.IP, PhoneIP: ph.IP, ListenPort: adbListenPort,
		AccessIP: publicIP, PublicIP: publicIP, IntranetIP: serverIP, ServerIP: serverIP,
		AccessPort: phoneAccessPort(ph),
	}
	if a, ok, err := s.db.PhoneAccess(r.Context(), ph.ID); err != nil {
		return err
	} else if ok {
		// The runtime reported where the phone really is (a container's
		// published ADB port and its own address).
		ai.AccessIP, ai.PublicIP, ai.AccessPort = a.AccessIP, a.AccessIP, int32(a.AccessPort)
		if a.IntranetIP != "" {
			ai.IntranetIP, ai.DeviceIP, ai.PhoneIP = a.IntranetIP, a.IntranetIP, a.IntranetIP
		}
	}
	d := cph.PhoneDetail{
		RequestID: RequestID(r), Name: ph.Name, ServerID: ph.ServerID, ID: ph.ID, ImageID: ph.ImageID,
		ImageVersion: ph.ImageVersion, VNCEnable: ph.VNCEnable, ModelName: ph.ModelName, Status: ph.Status,
		AccessInfos: []cph.PhoneAccessInfo{ai},
		Property:    property, Metadata: ph.Metadata,
		DataVolume: cph.PhoneDataVolume{VolumeType: ph.DataVolumeType, VolumeSize: ph.DataVolumeSize},
		IMEI:       ph.IMEI, Type: ph.Type, TrafficType: ph.TrafficType, VolumeMode: ph.VolumeMode,
		AvailabilityZone: ph.AvailabilityZone, HasEncrypt: ph.HasEncrypt, CreateTime: ph.CreateTime, UpdateTime: ph.UpdateTime,
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

type batchResponse struct {
	RequestID string         `json:"request_id"`
	Jobs      []cph.PhoneJob `json:"jobs"`
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
		if len(req.Phones) == 0 {
			return cph.ErrEmptyPhoneList()
		}
		refs := make([]cph.PhoneRef, 0, len(req.Phones))
		for _, ref := range req.Phones {
			if ref == nil {
				return cph.ErrInvalidParameter("phones")
			}
			refs = append(refs, *ref)
		}
		b := engine.PhoneBatch{ProjectID: p.ProjectID, Kind: kind, Phones: refs}
		if req.ImageID != nil {
			if *req.ImageID == "" || len(*req.ImageID) > 32 {
				return cph.ErrInvalidImage()
			}
			b.ImageID = *req.ImageID
		}
		return s.submit(w, r, b)
	}
}

// stopPhones is StopCloudPhone.
func (s *Server) stopPhones(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		PhoneIDs []string `json:"phone_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.PhoneIDs) == 0 {
		return cph.ErrEmptyPhoneList()
	}
	refs := make([]cph.PhoneRef, len(req.PhoneIDs))
	for i, id := range req.PhoneIDs {
		refs[i] = cph.PhoneRef{PhoneID: id}
	}
	return s.submit(w, r, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpStopPhone, Phones: refs})
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, b engine.PhoneBatch) error {
	acc, err := s.engine.SubmitPhones(r.Context(), b)
	if err != nil {
		return err
	}
	// The asynchronous request's id is the handle for ListJobs, so it is
	// also this response's request id.
	w.Header().Set("X-Request-Id", acc.RequestID)
	writeJSON(w, http.StatusOK, batchResponse{RequestID: acc.RequestID, Jobs: acc.Jobs})
	return nil
}

type listJobsResponse struct {
	RequestID string     `json:"request_id"`
	Jobs      []*cph.Job `json:"jobs"`
}

// maxRequestIDs is the most request ids one ListJobs call takes.
const maxRequestIDs = 20

// listJobs is ListJobs.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	offset, limit, err := paging(r, 100, 100)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var ids []string
	if v, ok := q["request_ids"]; ok {
		for _, id := range strings.Split(v[0], ",") {
			id = strings.TrimSpace(id)
			if id == "" || len(id) > 64 {
				return cph.ErrInvalidRequestID()
			}
			ids = append(ids, id)
		}
	} else if v := q.Get("request_id"); v != "" {
		ids = []string{v}
	}
	if len(ids) == 0 || len(ids) > maxRequestIDs {
		return cph.ErrInvalidRequestID()
	}
	ids = dedupe(ids)
	jobs, err := s.db.ListJobs(r.Context(), p.ProjectID, ids, offset, limit)
	if err != nil {
		return err
	}
	if jobs == nil {
		jobs = []*cph.Job{}
	}
	writeJSON(w, http.StatusOK, listJobsResponse{RequestID: RequestID(r), Jobs: jobs})
	return nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

type showJobResponse struct {
	RequestID string `json:"request_id"`
	*cph.Job
}

// showJob is ShowJob.
func (s *Server) showJob(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	id := r.PathValue("job_id")
	if !cph.ValidID(id) {
		return cph.ErrJobNotFound()
	}
	j, err := s.db.JobByID(r.Context(), p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrJobNotFound()
	} else if err != nil {
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
