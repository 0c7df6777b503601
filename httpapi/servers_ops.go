package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

type requestIDResponse struct {
	RequestID string `json:"request_id"`
}

// renameServer is UpdateServerName.
func (s *Server) renameServer(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	id := r.PathValue("server_id")
	var req struct {
		Name *string `json:"server_name"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Name == nil || !validServerName(*req.Name, 60) {
		return cph.ErrInvalidServerName()
	}
	if !cph.ValidID(id) {
		return cph.ErrServerNotFound()
	}
	if err := s.db.RenameServer(r.Context(), p.ProjectID, id, *req.Name); errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrServerNotFound()
	} else if err != nil {
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
	return s.submitServersReq(w, r, engine.ServerBatch{ProjectID: p.ProjectID, Kind: cph.OpRestartServer, ServerIDs: req.ServerIDs})
}

func (s *Server) submitServersReq(w http.ResponseWriter, r *http.Request, b engine.ServerBatch) error {
	acc, err := s.engine.SubmitServers(r.Context(), b)
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", acc.RequestID)
	writeJSON(w, http.StatusOK, serverJobsResponse{RequestID: acc.RequestID, Jobs: acc.Jobs})
	return nil
}

// updateKeypair is UpdateKeypair.
func (s *Server) updateKeypair(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Servers []struct {
			ServerID    string `json:"server_id"`
			KeypairName string `json:"keypair_name"`
		} `json:"servers"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Servers) == 0 {
		return cph.ErrInvalidParameter("servers")
	}
	names := map[string]string{}
	ids := make([]string, 0, len(req.Servers))
	for _, sv := range req.Servers {
		if !validKeypairName(sv.KeypairName) {
			return cph.ErrInvalidParameter("keypair_name")
		}
		if _, dup := names[sv.ServerID]; !dup {
			names[sv.ServerID] = sv.KeypairName
		}
		ids = append(ids, sv.ServerID)
	}
	return s.submitServersReq(w, r, engine.ServerBatch{ProjectID: p.ProjectID, Kind: cph.OpUpdateKeypair, ServerIDs: ids,
		ArgsFor: func(id string) json.RawMessage {
			b, _ := json.Marshal(cph.KeypairArgs{KeypairName: names[id]})
			return b
		}})
}

// listServerModels is ListCloudPhoneServerModels.
func (s *Server) listServerModels(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	pt, present, ok := queryInt(r.URL.Query()["product_type"])
	if !ok || present && pt != 0 && pt != 1 {
		return cph.ErrInvalidParameter("product_type")
	}
	out := []cph.ServerModel{}
	for _, m := range cph.ServerModels() {
		if !present || int64(m.ProductType) == pt {
			out = append(out, m)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID    string            `json:"request_id"`
		ServerModels []cph.ServerModel `json:"server_models"`
	}{RequestID(r), out})
	return nil
}

// listPhoneModels is ListCloudPhoneModels.
func (s *Server) listPhoneModels(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	offset, limit, err := paging(r, 100, 100)
	if err != nil {
		return err
	}
	st, present, ok := queryInt(r.URL.Query()["status"])
	if !ok || present && st != 0 && st != 1 {
		return cph.ErrInvalidStatus()
	}
	var all []cph.PhoneModel
	for _, m := range cph.PhoneModels() {
		if !present || int64(m.Status) == st {
			all = append(all, m)
		}
	}
	out := []cph.PhoneModel{}
	if offset < len(all) {
		out = all[offset:min(len(all), offset+limit)]
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID   string           `json:"request_id"`
		PhoneModels []cph.PhoneModel `json:"phone_models"`
	}{RequestID(r), out})
	return nil
}

// showServer is ShowCloudPhoneServerDetail.
func (s *Server) showServer(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	id := r.PathValue("server_id")
	srv, err := s.projectServer(r.Context(), p.ProjectID, id)
	if err != nil {
		return err
	}
	bws, err := s.db.BandwidthsOfServer(r.Context(), id)
	if err != nil {
		return err
	}
	share, err := s.db.ServerShareVolume(r.Context(), id)
	if err != nil {
		return err
	}
	vols := []cph.Volume{}
	if sm, ok := cph.LookupServerModel(srv.ModelName); ok {
		vols = append(vols, cph.Volume{Name: srv.Name + "-system", ID: derivedID(srv.ID, "system"), Size: sm.ExtendSpec.OSVolume.Size,
			Type: sm.ExtendSpec.OSVolume.VolumeType, CreateTime: srv.CreateTime, UpdateTime: srv.CreateTime})
	}
	if share != nil {
		vols = append(vols, cph.Volume{Name: srv.Name + "-share", ID: derivedID(srv.ID, "share"), Size: share.Size,
			Type: share.VolumeType, CreateTime: srv.CreateTime, UpdateTime: srv.UpdateTime})
	}
	writeJSON(w, http.StatusOK, cph.ServerDetail{RequestID: RequestID(r), Server: *srv, Bandwidths: bws, Volumes: vols,
		SecurityGroups: []string{}, ShareVolumeInfo: share})
	return nil
}

// projectServer returns the server of projectID with that id; a malformed
// or unknown id is 404 CPS.0016.
func (s *Server) projectServer(ctx context.Context, projectID, id string) (*cph.Server, error) {
	if !cph.ValidID(id) {
		return nil, cph.ErrServerNotFound()
	}
	srv, err := s.db.ServerByID(ctx, projectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrServerNotFound()
	} else if err != nil {
		return nil, err
	}
	return srv, nil
}

// derivedID returns a stable 32-hex ID for a part of a resource.
func derivedID(id, part string) string {
	h := []byte(id + part)
	const hexd = "0123456789abcdef"
	out := make([]byte, 32)
	var acc uint32 = 2166136261
	for i := range out {
		for _, c := range h {
			acc = (acc ^ uint32(c)) * 16777619
		}
		acc = (acc ^ uint32(i)) * 16777619
		out[i] = hexd[acc%16]
	}
	return string(out)
}

// listBandwidths is ShowBandwidthDetail.
func (s *Server) listBandwidths(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	offset, limit, err := paging(r, 100, 100)
	if err != nil {
		return err
	}
	bws, err := s.db.ListBandwidths(r.Context(), p.ProjectID, offset, limit)
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
	id := r.PathValue("band_width_id")
	var req struct {
		Size *int32 `json:"band_width_size"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Size == nil || !validBandwidthSize(*req.Size) {
		return cph.ErrInvalidBandwidth()
	}
	if id == "" || len(id) > 64 {
		return cph.ErrBandwidthNotFound()
	}
	err := s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		bw, err := tx.BandwidthByID(r.Context(), p.ProjectID, id)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrBandwidthNotFound()
		} else if err != nil {
			return err
		}
		if bw.ShareType != 1 {
			return cph.ErrOperationNotAllowed("only shared bandwidths can be resized")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.db.SetBandwidthSize(r.Context(), p.ProjectID, id, *req.Size); errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrBandwidthNotFound()
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestIDResponse{RequestID: RequestID(r)})
	return nil
}

// encodeFilterStatuses is the status filter enumeration of ListEncodeServers:
// 1 running, 2 abnormal, 3 restarting, 4 frozen, 5 shut down, 100/1014/0
// creating. Huawei documents a different set for the response (see
// cph.EncodeServerStatus); the filter accepts this one.
var encodeFilterStatuses = []int64{0, 1, 2, 3, 4, 5, 100, 1014}

// listEncodeServers is ListEncodeServers.
func (s *Server) listEncodeServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	f := cph.EncodeServerFilter{ProjectID: p.ProjectID}
	var err error
	if f.Offset, f.Limit, err = paging(r, 100, 100); err != nil {
		return err
	}
	q := r.URL.Query()
	t, present, ok := queryInt(q["type"])
	if !ok || present && t != 0 && t != 1 {
		return cph.ErrInvalidParameter("type")
	}
	if present {
		v := int32(t)
		f.Type = &v
	}
	st, present, ok := queryInt(q["status"])
	if !ok || present && !slices.Contains(encodeFilterStatuses, st) {
		return cph.ErrInvalidStatus()
	}
	if present {
		v := cph.EncodeServerStatus(st)
		f.Status = &v
	}
	if v := q.Get("server_id"); v != "" {
		f.ServerID = &v
	}
	list, err := s.db.ListEncodeServers(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]*cph.EncodeServer, 0, len(list))
	for _, e := range list {
		e.AccessInfos = []cph.EncodeServerAccessInfo{{ListenPort: 8080, IntranetIP: e.IP, ServerIP: e.IP, AccessPort: 28080, Type: "cph_app_server"}}
		out = append(out, e)
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
	acc, err := s.engine.RestartEncodeServers(r.Context(), p.ProjectID, req.IDs)
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
