package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.ServerService = (*Services)(nil)

// maxPage is the largest page of the server-side lists other than phones
// and servers (bandwidths, encode services, flavors, tags).
const maxPage = 100

// checkPage refuses an offset below 0 or a limit outside 1..max.
func checkPage(offset, limit, max int) error {
	if offset < 0 || limit < 1 || limit > max {
		return cph.ErrInvalidPaging()
	}
	return nil
}

// ListServers implements cph.ServerService.
func (s *Services) ListServers(ctx context.Context, f cph.ServerFilter) (*cph.ServerPage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	f.ProjectID = p.ProjectID
	if err := checkPage(f.Offset, f.Limit, cph.MaxServerPage); err != nil {
		return nil, err
	}
	if f.Status != nil && !f.Status.Valid() {
		return nil, cph.ErrInvalidStatus()
	}
	for _, c := range []struct {
		name string
		v    *string
	}{{"server_name", f.NameLike}, {"server_id", f.ServerID}, {"network_version", f.NetworkVersion}, {"phone_model_name", f.PhoneModelName}} {
		if c.v != nil && !cph.ValidText(*c.v) {
			return nil, cph.ErrInvalidParameter(c.name)
		}
	}
	servers, total, err := s.db.ListServers(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list servers: %w", err)
	}
	if servers == nil {
		servers = []*cph.Server{}
	}
	return &cph.ServerPage{Total: total, Servers: servers}, nil
}

// projectServer returns the server of projectID with that id; a malformed
// or unknown id is 404 CPS.0016.
func (s *Services) projectServer(ctx context.Context, projectID, id string) (*cph.Server, error) {
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

// ShowServer implements cph.ServerService. The volumes are the system
// disk of the server's flavor and the shared storage, if any.
func (s *Services) ShowServer(ctx context.Context, id string) (*cph.ServerDetail, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	srv, err := s.projectServer(ctx, p.ProjectID, id)
	if err != nil {
		return nil, err
	}
	bws, err := s.db.BandwidthsOfServer(ctx, id)
	if err != nil {
		return nil, err
	}
	share, err := s.db.ServerShareVolume(ctx, id)
	if err != nil {
		return nil, err
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
	return &cph.ServerDetail{Server: *srv, Bandwidths: bws, Volumes: vols, SecurityGroups: []string{}, ShareVolumeInfo: share}, nil
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

// RenameServer implements cph.ServerService.
func (s *Services) RenameServer(ctx context.Context, id, name string) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	if !validServerName(name, 60) {
		return cph.ErrInvalidServerName()
	}
	if !cph.ValidID(id) {
		return cph.ErrServerNotFound()
	}
	if err := s.db.RenameServer(ctx, p.ProjectID, id, name); errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrServerNotFound()
	} else if err != nil {
		return err
	}
	return nil
}

// submitServers submits a batch of server operations of the caller's
// project.
func (s *Services) submitServers(ctx context.Context, b engine.ServerBatch) (*cph.ServerJobs, error) {
	return s.engine.SubmitServers(ctx, b)
}

// RestartServers implements cph.ServerService.
func (s *Services) RestartServers(ctx context.Context, ids []string) (*cph.ServerJobs, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	return s.submitServers(ctx, engine.ServerBatch{ProjectID: p.ProjectID, Kind: cph.OpRestartServer, ServerIDs: ids})
}

// UpdateKeypairs implements cph.ServerService. A server named twice keeps
// its first key pair.
func (s *Services) UpdateKeypairs(ctx context.Context, servers []cph.ServerKeypair) (*cph.ServerJobs, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if len(servers) == 0 {
		return nil, cph.ErrInvalidParameter("servers")
	}
	names := map[string]string{}
	ids := make([]string, 0, len(servers))
	for _, sv := range servers {
		if !validKeypairName(sv.KeypairName) {
			return nil, cph.ErrInvalidParameter("keypair_name")
		}
		if _, dup := names[sv.ServerID]; !dup {
			names[sv.ServerID] = sv.KeypairName
		}
		ids = append(ids, sv.ServerID)
	}
	return s.submitServers(ctx, engine.ServerBatch{ProjectID: p.ProjectID, Kind: cph.OpUpdateKeypair, ServerIDs: ids,
		ArgsFor: func(id string) json.RawMessage {
			b, _ := json.Marshal(cph.KeypairArgs{KeypairName: names[id]})
			return b
		}})
}

// ListServerModels implements cph.ServerService.
func (s *Services) ListServerModels(ctx context.Context, f cph.ServerModelFilter) (*cph.ServerModelPage, error) {
	if _, err := reader(ctx); err != nil {
		return nil, err
	}
	if err := checkMarkerLimit(f.Page, cph.MaxServerModelPage); err != nil {
		return nil, err
	}
	if f.ProductType != nil && *f.ProductType != 0 && *f.ProductType != 1 {
		return nil, cph.ErrInvalidParameter("product_type")
	}
	out := []cph.ServerModel{}
	for _, m := range cph.ServerModels() {
		if f.ProductType == nil || m.ProductType == *f.ProductType {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b cph.ServerModel) int { return strings.Compare(a.ServerModelName, b.ServerModelName) })
	page, next, err := cph.PageAfterMarker(out, func(m cph.ServerModel) string { return m.ServerModelName }, f.Page, cph.MaxServerModelPage)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []cph.ServerModel{}
	}
	return &cph.ServerModelPage{Models: page, NextMarker: next}, nil
}

// ListPhoneModels implements cph.ServerService.
func (s *Services) ListPhoneModels(ctx context.Context, f cph.PhoneModelFilter) ([]cph.PhoneModel, error) {
	if _, err := reader(ctx); err != nil {
		return nil, err
	}
	if err := checkPage(f.Offset, f.Limit, maxPage); err != nil {
		return nil, err
	}
	if f.Status != nil && *f.Status != 0 && *f.Status != 1 {
		return nil, cph.ErrInvalidStatus()
	}
	var all []cph.PhoneModel
	for _, m := range cph.PhoneModels() {
		if f.Status == nil || m.Status == *f.Status {
			all = append(all, m)
		}
	}
	out := []cph.PhoneModel{}
	if f.Offset < len(all) {
		out = all[f.Offset:min(len(all), f.Offset+f.Limit)]
	}
	return out, nil
}

// ListBandwidths implements cph.ServerService.
func (s *Services) ListBandwidths(ctx context.Context, f cph.BandwidthFilter) ([]cph.Bandwidth, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkPage(f.Offset, f.Limit, maxPage); err != nil {
		return nil, err
	}
	return s.db.ListBandwidths(ctx, p.ProjectID, f.Offset, f.Limit)
}

// UpdateBandwidth implements cph.ServerService. Only shared bandwidths
// can be resized.
func (s *Services) UpdateBandwidth(ctx context.Context, id string, size int32) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	if !validBandwidthSize(size) {
		return cph.ErrInvalidBandwidth()
	}
	if id == "" || len(id) > 64 {
		return cph.ErrBandwidthNotFound()
	}
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		bw, err := tx.BandwidthByID(ctx, p.ProjectID, id)
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
	if err := s.db.SetBandwidthSize(ctx, p.ProjectID, id, size); errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrBandwidthNotFound()
	} else if err != nil {
		return err
	}
	return nil
}

// encodeFilterStatuses is the status filter enumeration of ListEncodeServers:
// 1 running, 2 abnormal, 3 restarting, 4 frozen, 5 shut down, 100/1014/0
// creating. Huawei documents a different set for the response (see
// cph.EncodeServerStatus); the filter accepts this one.
var encodeFilterStatuses = []cph.EncodeServerStatus{0, 1, 2, 3, 4, 5, 100, 1014}

// ListEncodeServers implements cph.ServerService.
func (s *Services) ListEncodeServers(ctx context.Context, f cph.EncodeServerFilter) ([]*cph.EncodeServer, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	f.ProjectID = p.ProjectID
	if err := checkPage(f.Offset, f.Limit, maxPage); err != nil {
		return nil, err
	}
	if f.Type != nil && *f.Type != 0 && *f.Type != 1 {
		return nil, cph.ErrInvalidParameter("type")
	}
	if f.Status != nil && !slices.Contains(encodeFilterStatuses, *f.Status) {
		return nil, cph.ErrInvalidStatus()
	}
	list, err := s.db.ListEncodeServers(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]*cph.EncodeServer, 0, len(list))
	for _, e := range list {
		e.AccessInfos = []cph.EncodeServerAccessInfo{{ListenPort: 8080, IntranetIP: e.IP, ServerIP: e.IP, AccessPort: 28080, Type: "cph_app_server"}}
		out = append(out, e)
	}
	return out, nil
}

// RestartEncodeServers implements cph.ServerService.
func (s *Services) RestartEncodeServers(ctx context.Context, ids []string) (*cph.EncodeServerJobs, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	return s.engine.RestartEncodeServers(ctx, p.ProjectID, ids)
}
