package httpapi

import (
	"net/http"

	"github.com/opencph/opencph"
)

type requestIDResponse struct {
	RequestID string `json:"request_id"`
}

// renameServer is UpdateServerName.
func (s *Server) renameServer(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Name *string `json:"server_name"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return cph.ErrInvalidServerName()
	}
	if err := s.cfg.Servers.RenameServer(r.Context(), r.PathValue("server_id"), *req.Name); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestIDResponse{RequestID: RequestID(r)})
	return nil
}

type serverJobsResponse struct {
	RequestID string          `json:"request_id"`
	Jobs      []cph.ServerJob `json:"jobs"`
}

// restartServers is RestartCloudPhoneServer.
func (s *Server) restartServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		ServerIDs []string `json:"server_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	return writeServerJobs(w)(s.cfg.Servers.RestartServers(r.Context(), req.ServerIDs))
}

// writeServerJobs returns a function that writes the answer of an
// asynchronous server operation, or returns its error. The request's id is
// the handle for ListJobs, so it is also the response's request id.
func writeServerJobs(w http.ResponseWriter) func(*cph.ServerJobs, error) error {
	return func(acc *cph.ServerJobs, err error) error {
		if err != nil {
			return err
		}
		w.Header().Set("X-Request-Id", acc.RequestID)
		writeJSON(w, http.StatusOK, serverJobsResponse{RequestID: acc.RequestID, Jobs: acc.Jobs})
		return nil
	}
}

// updateKeypair is UpdateKeypair.
func (s *Server) updateKeypair(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Servers []cph.ServerKeypair `json:"servers"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	return writeServerJobs(w)(s.cfg.Servers.UpdateKeypairs(r.Context(), req.Servers))
}

// listServerModels is ListCloudPhoneServerModels.
func (s *Server) listServerModels(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var f cph.ServerModelFilter
	pt, present, ok := queryInt(r.URL.Query()["product_type"])
	if !ok {
		return cph.ErrInvalidParameter("product_type")
	}
	if present {
		v := int32(pt)
		f.ProductType = &v
	}
	var err error
	if f.Page, err = markerPaging(r, cph.MaxServerModelPage); err != nil {
		return err
	}
	page, err := s.cfg.Servers.ListServerModels(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID    string            `json:"request_id"`
		ServerModels []cph.ServerModel `json:"server_models"`
		PageInfo     cph.PageInfo      `json:"page_info"`
	}{RequestID(r), page.Models, cph.PageInfo{NextMarker: page.NextMarker}})
	return nil
}

// listPhoneModels is ListCloudPhoneModels.
func (s *Server) listPhoneModels(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var f cph.PhoneModelFilter
	var err error
	if f.Offset, f.Limit, err = paging(r, 100, 100); err != nil {
		return err
	}
	st, present, ok := queryInt(r.URL.Query()["status"])
	if !ok {
		return cph.ErrInvalidStatus()
	}
	if present {
		v := int32(st)
		f.Status = &v
	}
	out, err := s.cfg.Servers.ListPhoneModels(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID   string           `json:"request_id"`
		PhoneModels []cph.PhoneModel `json:"phone_models"`
	}{RequestID(r), out})
	return nil
}

// showServer is ShowCloudPhoneServerDetail.
func (s *Server) showServer(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	d, err := s.cfg.Servers.ShowServer(r.Context(), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	out := *d
	out.RequestID = RequestID(r)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listBandwidths is ShowBandwidthDetail.
func (s *Server) listBandwidths(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var f cph.BandwidthFilter
	var err error
	if f.Offset, f.Limit, err = paging(r, 100, 100); err != nil {
		return err
	}
	bws, err := s.cfg.Servers.ListBandwidths(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID  string          `json:"request_id"`
		Bandwidths []cph.Bandwidth `json:"band_widths"`
	}{RequestID(r), bws})
	return nil
}

// updateBandwidth is UpdateBandwidth.
func (s *Server) updateBandwidth(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Size *int32 `json:"band_width_size"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Size == nil {
		return cph.ErrInvalidBandwidth()
	}
	if err := s.cfg.Servers.UpdateBandwidth(r.Context(), r.PathValue("band_width_id"), *req.Size); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestIDResponse{RequestID: RequestID(r)})
	return nil
}

// listEncodeServers is ListEncodeServers.
func (s *Server) listEncodeServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var f cph.EncodeServerFilter
	var err error
	if f.Offset, f.Limit, err = paging(r, 100, 100); err != nil {
		return err
	}
	q := r.URL.Query()
	t, present, ok := queryInt(q["type"])
	if !ok {
		return cph.ErrInvalidParameter("type")
	}
	if present {
		v := int32(t)
		f.Type = &v
	}
	st, present, ok := queryInt(q["status"])
	if !ok {
		return cph.ErrInvalidStatus()
	}
	if present {
		v := cph.EncodeServerStatus(st)
		f.Status = &v
	}
	if v := q.Get("server_id"); v != "" {
		f.ServerID = &v
	}
	out, err := s.cfg.Servers.ListEncodeServers(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID     string              `json:"request_id"`
		EncodeServers []*cph.EncodeServer `json:"encode_servers"`
	}{RequestID(r), out})
	return nil
}

// restartEncodeServers is RestartEncodeServer.
func (s *Server) restartEncodeServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		IDs []string `json:"encode_server_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	acc, err := s.cfg.Servers.RestartEncodeServers(r.Context(), req.IDs)
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", acc.RequestID)
	writeJSON(w, http.StatusOK, struct {
		RequestID string                `json:"request_id"`
		Jobs      []cph.EncodeServerJob `json:"jobs"`
	}{acc.RequestID, acc.Jobs})
	return nil
}
