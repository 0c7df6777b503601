package client

import (
	"context"
	"time"

	cph "github.com/opencph/opencph"
)

var _ cph.ServerService = (*Services)(nil)

// ListServers implements cph.ServerService.
func (s *Services) ListServers(ctx context.Context, f cph.ServerFilter) (*cph.ServerPage, error) {
	opts := ListServersOptions{Offset: new(f.Offset), Limit: new(f.Limit), Status: f.Status}
	for _, c := range []struct {
		dst *string
		v   *string
	}{{&opts.Name, f.NameLike}, {&opts.ServerID, f.ServerID}, {&opts.NetworkVersion, f.NetworkVersion}, {&opts.PhoneModelName, f.PhoneModelName}} {
		if c.v != nil {
			*c.dst = *c.v
		}
	}
	for _, c := range []struct {
		dst *time.Time
		v   *cph.Time
	}{{&opts.CreateSince, f.CreateSince}, {&opts.CreateUntil, f.CreateUntil}} {
		if c.v != nil {
			*c.dst = c.v.Time
		}
	}
	list, err := s.c.ListServers(ctx, opts)
	if err != nil {
		return nil, err
	}
	page := &cph.ServerPage{Total: list.Count, Servers: make([]*cph.Server, len(list.Servers))}
	for i := range list.Servers {
		page.Servers[i] = &list.Servers[i]
	}
	return page, nil
}

// ShowServer implements cph.ServerService.
func (s *Services) ShowServer(ctx context.Context, id string) (*cph.ServerDetail, error) {
	return s.c.ShowServer(ctx, id)
}

// RenameServer implements cph.ServerService.
func (s *Services) RenameServer(ctx context.Context, id, name string) error {
	return s.c.RenameServer(ctx, id, name)
}

func serverJobs(r *ServerBatchResult, err error) (*cph.ServerJobs, error) {
	if err != nil {
		return nil, err
	}
	return &cph.ServerJobs{RequestID: r.RequestID, Jobs: r.Jobs}, nil
}

// RestartServers implements cph.ServerService.
func (s *Services) RestartServers(ctx context.Context, ids []string) (*cph.ServerJobs, error) {
	return serverJobs(s.c.RestartServers(ctx, ids))
}

// UpdateKeypairs implements cph.ServerService.
func (s *Services) UpdateKeypairs(ctx context.Context, servers []cph.ServerKeypair) (*cph.ServerJobs, error) {
	in := make([]ServerKeypair, len(servers))
	for i, sv := range servers {
		in[i] = ServerKeypair(sv)
	}
	return serverJobs(s.c.UpdateKeypairs(ctx, in))
}

// intOf returns v as an *int.
func intOf(v *int32) *int {
	if v == nil {
		return nil
	}
	return new(int(*v))
}

// ListServerModels implements cph.ServerService.
func (s *Services) ListServerModels(ctx context.Context, f cph.ServerModelFilter) (*cph.ServerModelPage, error) {
	out, next, err := s.c.ListServerModelsPage(ctx, intOf(f.ProductType), f.Page)
	if err != nil {
		return nil, err
	}
	return &cph.ServerModelPage{Models: out, NextMarker: next}, nil
}

// ListPhoneModels implements cph.ServerService.
func (s *Services) ListPhoneModels(ctx context.Context, f cph.PhoneModelFilter) ([]cph.PhoneModel, error) {
	out, err := s.c.ListPhoneModels(ctx, ListPhoneModelsOptions{Offset: new(f.Offset), Limit: new(f.Limit), Status: intOf(f.Status)})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []cph.PhoneModel{}
	}
	return out, nil
}

func order(o *Order, err error) (*cph.Order, error) {
	if err != nil {
		return nil, err
	}
	return &cph.Order{RequestID: o.RequestID, OrderID: o.OrderID, ProductID: o.ProductID, ServerIDs: o.ServerIDs}, nil
}

func orderParam(o *cph.OrderParams) ExtendParam {
	var e ExtendParam
	if o == nil {
		return e
	}
	for _, c := range []struct {
		dst *int32
		v   *int32
	}{{&e.ChargingMode, o.ChargingMode}, {&e.PeriodType, o.PeriodType}, {&e.PeriodNum, o.PeriodNum}} {
		if c.v != nil {
			*c.dst = *c.v
		}
	}
	e.IsAutoPay, e.IsAutoRenew = o.IsAutoPay, o.IsAutoRenew
	return e
}

func bandwidth(b *cph.BandwidthParams) Bandwidth {
	var out Bandwidth
	if b == nil {
		return out
	}
	out.ID, out.Size = b.ID, b.Size
	if b.ChargeMode != nil {
		out.ChargeMode = *b.ChargeMode
	}
	if b.ShareType != nil {
		out.ShareType = *b.ShareType
	}
	return out
}

func volume(v *cph.VolumeParams) *Volume {
	if v == nil {
		return nil
	}
	return &Volume{VolumeType: v.Type, Size: v.Size}
}

func nics(subnets []string) []Nic {
	out := make([]Nic, len(subnets))
	for i, id := range subnets {
		out[i] = Nic{SubnetID: id}
	}
	return out
}

func serverPorts(ports []cph.ServerPort) []ServerPort {
	out := make([]ServerPort, len(ports))
	for i, p := range ports {
		out[i] = ServerPort(p)
	}
	return out
}

func property(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// CreateServers implements cph.ServerService. A public IP is always asked
// for.
func (s *Services) CreateServers(ctx context.Context, p cph.CreateServersParams) (*cph.Order, error) {
	return order(s.c.CreateServers(ctx, CreateServersRequest{
		ServerName: p.Name, ServerModelName: p.ServerModel, PhoneModelName: p.PhoneModel, ImageID: p.ImageID, Count: p.Count,
		KeypairName: p.KeypairName, ExtendParam: orderParam(p.Order), TenantVPCID: p.VPCID, Nics: nics(p.SubnetIDs),
		PhoneDataVolume: volume(p.PhoneDataVolume), ShareVolume: volume(p.ShareVolume), Bandwidth: bandwidth(p.Bandwidth),
		AZ: p.AZ, Property: property(p.Property), Ports: serverPorts(p.Ports),
	}))
}

// CreateBareServers implements cph.ServerService. A public IP is always
// asked for.
func (s *Services) CreateBareServers(ctx context.Context, p cph.CreateBareServersParams) (*cph.Order, error) {
	req := CreateBareServersRequest{
		ServerName: p.Name, ServerModelName: p.ServerModel, Count: p.Count, OrderParam: orderParam(p.Order),
		Nics: nics(p.SubnetIDs), AZ: p.AZ, DataVolume: volume(p.DataVolume), KeypairName: p.KeypairName, ImageID: p.ImageID,
	}
	req.PublicIP.Bandwidth = bandwidth(p.Bandwidth)
	return order(s.c.CreateBareServers(ctx, req))
}

func task(j *SingleJob, err error) (*cph.ServerTask, error) {
	if err != nil {
		return nil, err
	}
	return &cph.ServerTask{RequestID: j.RequestID, ServerID: j.ServerID, JobID: j.JobID}, nil
}

// DeleteServers implements cph.ServerService.
func (s *Services) DeleteServers(ctx context.Context, ids []string) (*cph.ServerTask, error) {
	return task(s.c.DeleteServers(ctx, ids))
}

// ChangeServer implements cph.ServerService. A public IP is always asked
// for.
func (s *Services) ChangeServer(ctx context.Context, id string, p cph.ChangeServerParams) (*cph.ServerTask, error) {
	return task(s.c.ChangeServer(ctx, id, ChangeServerRequest{
		PhoneModelName: p.PhoneModel, ImageID: p.ImageID, KeypairName: p.KeypairName, AZ: p.AZ, Ports: serverPorts(p.Ports),
		TenantVPCID: p.VPCID, Nics: nics(p.SubnetIDs), PhoneDataVolume: volume(p.PhoneDataVolume), ShareVolume: volume(p.ShareVolume),
		Bandwidth: bandwidth(p.Bandwidth), Property: property(p.Property),
	}))
}

// ChangeServerModel implements cph.ServerService.
func (s *Services) ChangeServerModel(ctx context.Context, p cph.ChangeServerModelParams) (*cph.Order, error) {
	return order(s.c.ChangeServerModel(ctx, p.ServerID, p.ServerModel, p.PhoneModel))
}

// ListBandwidths implements cph.ServerService.
func (s *Services) ListBandwidths(ctx context.Context, f cph.BandwidthFilter) ([]cph.Bandwidth, error) {
	out, err := s.c.ListBandwidths(ctx, new(f.Offset), new(f.Limit))
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []cph.Bandwidth{}
	}
	return out, nil
}

// UpdateBandwidth implements cph.ServerService.
func (s *Services) UpdateBandwidth(ctx context.Context, id string, size int32) error {
	return s.c.UpdateBandwidth(ctx, id, size)
}

// ListEncodeServers implements cph.ServerService.
func (s *Services) ListEncodeServers(ctx context.Context, f cph.EncodeServerFilter) ([]*cph.EncodeServer, error) {
	opts := ListEncodeServersOptions{Offset: new(f.Offset), Limit: new(f.Limit), Type: intOf(f.Type)}
	if f.Status != nil {
		opts.Status = new(int(*f.Status))
	}
	if f.ServerID != nil {
		opts.ServerID = *f.ServerID
	}
	list, err := s.c.ListEncodeServers(ctx, opts)
	if err != nil {
		return nil, err
	}
	out := make([]*cph.EncodeServer, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out, nil
}

// RestartEncodeServers implements cph.ServerService.
func (s *Services) RestartEncodeServers(ctx context.Context, ids []string) (*cph.EncodeServerJobs, error) {
	r, err := s.c.RestartEncodeServers(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &cph.EncodeServerJobs{RequestID: r.RequestID, Jobs: r.Jobs}, nil
}

// PushShareFiles implements cph.ServerService.
func (s *Services) PushShareFiles(ctx context.Context, p cph.PushShareFilesParams) (*cph.ServerJobs, error) {
	return serverJobs(s.c.PushShareFiles(ctx, p.BucketName, p.ObjectPath, p.ServerIDs))
}

// DeleteShareFiles implements cph.ServerService.
func (s *Services) DeleteShareFiles(ctx context.Context, p cph.DeleteShareFilesParams) (*cph.ServerJobs, error) {
	return serverJobs(s.c.DeleteShareFiles(ctx, p.FilePaths, p.ServerIDs))
}

// ListShareFiles implements cph.ServerService.
func (s *Services) ListShareFiles(ctx context.Context, f cph.ShareFileFilter) (*cph.ServerJobs, error) {
	return serverJobs(s.c.ListShareFiles(ctx, f.Path, f.ServerIDs, new(f.Offset), new(f.Limit)))
}

// PushShareApps implements cph.ServerService. A pre_install_app other
// than 0 is sent as 1.
func (s *Services) PushShareApps(ctx context.Context, p cph.PushShareAppsParams) (*cph.ServerJobs, error) {
	return serverJobs(s.c.PushShareApps(ctx, PushShareAppsParams{PackageName: p.PackageName, BucketName: p.BucketName, ObjectPath: p.ObjectPath, PreInstall: p.PreInstallApp != 0, ServerIDs: p.ServerIDs}))
}

// DeleteShareApps implements cph.ServerService.
func (s *Services) DeleteShareApps(ctx context.Context, p cph.DeleteShareAppsParams) (*cph.ServerJobs, error) {
	return serverJobs(s.c.DeleteShareApps(ctx, p.PackageName, p.ServerIDs))
}

// ListProjectTags implements cph.ServerService.
func (s *Services) ListProjectTags(ctx context.Context, f cph.TagFilter) (*cph.TagPage, error) {
	tags, total, err := s.c.ProjectTagsOf(ctx, f.ResourceType, new(f.Offset), new(f.Limit))
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []cph.Tags{}
	}
	return &cph.TagPage{Total: total, Tags: tags}, nil
}

// ListServerTags implements cph.ServerService.
func (s *Services) ListServerTags(ctx context.Context, serverID string) ([]cph.Tag, error) {
	tags, err := s.c.ServerTags(ctx, serverID)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []cph.Tag{}
	}
	return tags, nil
}

// CreateServerTags implements cph.ServerService.
func (s *Services) CreateServerTags(ctx context.Context, serverID string, tags []cph.Tag) error {
	return s.c.AddServerTags(ctx, serverID, tags)
}

// DeleteServerTags implements cph.ServerService.
func (s *Services) DeleteServerTags(ctx context.Context, serverID string, tags []cph.Tag) error {
	return s.c.DeleteServerTags(ctx, serverID, tags)
}

// ElasticPhoneTags implements cph.ServerService.
func (s *Services) ElasticPhoneTags(ctx context.Context, phoneID string, change bool) error {
	return s.c.ElasticPhoneTags(ctx, phoneID, change)
}

// ListTaggedServers implements cph.ServerService.
func (s *Services) ListTaggedServers(ctx context.Context, f cph.ResourceFilter) (*cph.TagResourcePage, error) {
	q := ResourceQuery{ResourceType: f.ResourceType, Offset: new(f.Offset), Limit: new(f.Limit), WithoutTags: f.WithoutTags, Tags: f.Tags}
	if f.ResourceName != nil {
		q.Name = *f.ResourceName
	}
	res, total, err := s.c.ListResourceInstances(ctx, q)
	if err != nil {
		return nil, err
	}
	if res == nil {
		res = []cph.TagResource{}
	}
	return &cph.TagResourcePage{Total: total, Resources: res}, nil
}

// FleetSummary implements cph.ServerService.
func (s *Services) FleetSummary(ctx context.Context) (*cph.FleetSummary, error) {
	return s.c.FleetSummary(ctx)
}

// AttachShareFilesystem implements cph.ServerService.
func (s *Services) AttachShareFilesystem(ctx context.Context, p cph.ShareFilesystemParams) (*cph.ServerJobs, error) {
	return serverJobs(s.c.AttachShareFilesystem(ctx, ShareFilesystemParams{Type: p.Type, ID: p.ID, ServerIDs: p.ServerIDs, Path: p.Path}))
}

// DetachShareFilesystem implements cph.ServerService.
func (s *Services) DetachShareFilesystem(ctx context.Context, p cph.ShareFilesystemParams) (*cph.ServerJobs, error) {
	return serverJobs(s.c.DetachShareFilesystem(ctx, ShareFilesystemParams{Type: p.Type, ID: p.ID, ServerIDs: p.ServerIDs}))
}

// ListShareFilesystemMounts implements cph.ServerService.
func (s *Services) ListShareFilesystemMounts(ctx context.Context, serverID string) ([]cph.ShareFilesystemMount, error) {
	return s.c.ShareFilesystems(ctx, serverID)
}

// ListShareAppsSnapshot implements cph.ServerService.
func (s *Services) ListShareAppsSnapshot(ctx context.Context, f cph.ShareAppsFilter) (*cph.ShareAppsSnapshot, error) {
	var limit *int
	if f.Page.Limit != 0 {
		limit = &f.Page.Limit
	}
	out, err := s.c.ShareAppsSnapshot(ctx, f.ServerID, f.PackageName, f.Page.Marker, limit)
	if err != nil {
		return nil, err
	}
	return &cph.ShareAppsSnapshot{CollectTime: out.CollectTime.Time, Apps: out.ShareApps, NextMarker: out.PageInfo.NextMarker}, nil
}

// ListServerModelOfferings implements cph.ServerService.
func (s *Services) ListServerModelOfferings(ctx context.Context, p cph.MarkerPage) (*cph.ServerModelOfferings, error) {
	var limit *int
	if p.Limit != 0 {
		limit = &p.Limit
	}
	out, err := s.c.ServerModelOfferings(ctx, p.Marker, limit)
	if err != nil {
		return nil, err
	}
	return &cph.ServerModelOfferings{Count: out.Count, Models: out.Models, NextMarker: out.PageInfo.NextMarker}, nil
}
