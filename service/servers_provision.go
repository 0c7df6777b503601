package service

import (
	"context"
	"slices"
	"strings"

	cph "github.com/opencph/opencph"
)

// maxNewServers is the most servers one order buys.
const maxNewServers = 10

// maxDeleteServers is the most servers one DeleteServers call takes.
const maxDeleteServers = 10

// checkOrder validates the order parameters named field; billing has no
// effect: every order is treated as paid.
func checkOrder(o *cph.OrderParams, field string) error {
	if o == nil || o.ChargingMode == nil || o.PeriodType == nil || o.PeriodNum == nil {
		return cph.ErrInvalidParameter(field)
	}
	if *o.ChargingMode != 0 && *o.ChargingMode != 1 {
		return cph.ErrInvalidParameter(field + ".charging_mode")
	}
	switch {
	case *o.PeriodType == 2 && *o.PeriodNum >= 1 && *o.PeriodNum <= 9:
	case *o.PeriodType == 3 && *o.PeriodNum >= 1 && *o.PeriodNum <= 10:
	default:
		return cph.ErrInvalidParameter(field + ".period_num")
	}
	if o.IsAutoPay != 0 && o.IsAutoPay != 1 || o.IsAutoRenew != 0 && o.IsAutoRenew != 1 {
		return cph.ErrInvalidParameter(field)
	}
	return nil
}

// checkBandwidth validates the bandwidth of new servers: a dedicated one
// of 1 to 2000 Mbit/s or a shared one by ID.
func checkBandwidth(b *cph.BandwidthParams) (*cph.BandwidthSpec, error) {
	if b == nil || b.ChargeMode == nil || b.ShareType == nil || (*b.ChargeMode != 0 && *b.ChargeMode != 1) {
		return nil, cph.ErrInvalidBandwidth()
	}
	spec := &cph.BandwidthSpec{ChargeMode: *b.ChargeMode, ShareType: *b.ShareType}
	switch *b.ShareType {
	case 0:
		if b.Size == nil || *b.Size < 1 || *b.Size > 2000 {
			return nil, cph.ErrInvalidBandwidth()
		}
		spec.Size = *b.Size
	case 1:
		if b.ID == "" || len(b.ID) > 64 {
			return nil, cph.ErrInvalidBandwidth()
		}
		spec.ID = b.ID
	default:
		return nil, cph.ErrInvalidBandwidth()
	}
	return spec, nil
}

// checkPorts validates application ports: a name of 1 to 16 bytes other
// than adb and vnc, a port in 10000..50000.
func checkPorts(ports []cph.ServerPort) error {
	for _, p := range ports {
		if p.Name == "" || len(p.Name) > 16 || p.Name == "adb" || p.Name == "vnc" || p.ListenPort < 10000 || p.ListenPort > 50000 {
			return cph.ErrInvalidParameter("ports")
		}
	}
	return nil
}

// checkVolume validates an optional disk: SSD or GPSSD, minSize to 32768 GB.
func checkVolume(v *cph.VolumeParams, field string, minSize int32) (string, int32, error) {
	if v == nil {
		return "", 0, nil
	}
	if v.Type != "SSD" && v.Type != "GPSSD" || v.Size < minSize || v.Size > 32768 {
		return "", 0, cph.ErrInvalidParameter(field)
	}
	return v.Type, v.Size, nil
}

// checkNics validates the subnets of new servers and returns the first.
func checkNics(subnets []string) (string, error) {
	if len(subnets) == 0 {
		return "", cph.ErrInvalidParameter("nics")
	}
	for _, n := range subnets {
		if !validUUID(n) {
			return "", cph.ErrInvalidParameter("nics.subnet_id")
		}
	}
	return subnets[0], nil
}

// network is a checked cph.ServerNetwork.
type network struct {
	subnet     string
	volumeType string
	volumeSize int32
	bandwidth  *cph.BandwidthSpec
}

// checkNetwork checks the network, storage and bandwidth of servers to
// create or rebuild; a phone data volume must have at least
// minPhoneVolume GB.
func checkNetwork(n cph.ServerNetwork, minPhoneVolume int32) (network, error) {
	var out network
	if !validUUID(n.VPCID) {
		return out, cph.ErrInvalidParameter("tenant_vpc_id")
	}
	var err error
	if out.subnet, err = checkNics(n.SubnetIDs); err != nil {
		return out, err
	}
	if !n.PublicIP {
		return out, cph.ErrInvalidParameter("public_ip")
	}
	if out.volumeType, out.volumeSize, err = checkVolume(n.PhoneDataVolume, "phone_data_volume", minPhoneVolume); err != nil {
		return out, err
	}
	if _, _, err := checkVolume(n.ShareVolume, "server_share_data_volume", 10); err != nil {
		return out, err
	}
	if out.bandwidth, err = checkBandwidth(n.Bandwidth); err != nil {
		return out, err
	}
	return out, nil
}

// checkProperty parses an optional property JSON object of 1 to 8192 bytes.
func checkProperty(p *string) (map[string]string, error) {
	if p == nil {
		return nil, nil
	}
	if len(*p) < 1 || len(*p) > 8192 {
		return nil, cph.ErrInvalidParameter("property")
	}
	props, err := cph.ParseProperty(*p)
	if err != nil {
		return nil, cph.ErrInvalidParameter("property")
	}
	return props, nil
}

// checkFlavors validates a server and phone flavor pair for servers with
// phones: the phone flavor is one of the server flavor's, on sale.
func checkFlavors(serverModel, phoneModel string) error {
	if serverModel == "" {
		return cph.ErrEmptyServerModel()
	}
	if _, ok := cph.LookupServerModel(serverModel); !ok {
		return cph.ErrInvalidServerModel()
	}
	if phoneModel == "" {
		return cph.ErrEmptyPhoneModel()
	}
	if pm, ok := cph.LookupPhoneModel(phoneModel); !ok || pm.ServerModelName != serverModel || pm.Status != 1 {
		return cph.ErrInvalidPhoneModel()
	}
	return nil
}

// checkImageID validates the image a server's phones run.
func checkImageID(id string) error {
	if id == "" {
		return cph.ErrEmptyImageID()
	}
	if len(id) > 32 || !cph.ValidText(id) {
		return cph.ErrInvalidImage()
	}
	return nil
}

// CreateServers implements cph.ServerService.
func (s *Services) CreateServers(ctx context.Context, p cph.CreateServersParams) (*cph.Order, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !validServerName(p.Name, 60) {
		return nil, cph.ErrInvalidServerName()
	}
	if err := checkFlavors(p.ServerModel, p.PhoneModel); err != nil {
		return nil, err
	}
	if err := checkImageID(p.ImageID); err != nil {
		return nil, err
	}
	if p.Count < 1 || p.Count > maxNewServers {
		return nil, cph.ErrInvalidCount()
	}
	if p.KeypairName != "" && !validKeypairName(p.KeypairName) {
		return nil, cph.ErrInvalidParameter("keypair_name")
	}
	if !validZone(p.AZ) {
		return nil, cph.ErrInvalidParameter("availability_zone")
	}
	if err := checkPorts(p.Ports); err != nil {
		return nil, err
	}
	if err := checkOrder(p.Order, "extend_param"); err != nil {
		return nil, err
	}
	n, err := checkNetwork(p.ServerNetwork, 1)
	if err != nil {
		return nil, err
	}
	props, err := checkProperty(p.Property)
	if err != nil {
		return nil, err
	}
	return s.engine.CreateServers(ctx, cph.ServerSpec{
		ProjectID: c.ProjectID, Name: p.Name, Count: p.Count, ServerModel: p.ServerModel, PhoneModel: p.PhoneModel,
		ImageID: p.ImageID, KeypairName: p.KeypairName, AZ: p.AZ, Property: props, NetworkVersion: "v2",
		VPCID: p.VPCID, SubnetID: n.subnet, Bandwidth: n.bandwidth, DataVolumeType: n.volumeType, DataVolumeSize: n.volumeSize,
	})
}

// CreateBareServers implements cph.ServerService.
func (s *Services) CreateBareServers(ctx context.Context, p cph.CreateBareServersParams) (*cph.Order, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !validServerName(p.Name, 60) {
		return nil, cph.ErrInvalidServerName()
	}
	if p.ServerModel == "" {
		return nil, cph.ErrEmptyServerModel()
	}
	if _, ok := cph.LookupServerModel(p.ServerModel); !ok {
		return nil, cph.ErrInvalidServerModel()
	}
	if p.Count < 1 || p.Count > maxNewServers {
		return nil, cph.ErrInvalidCount()
	}
	if err := checkOrder(p.Order, "order_param"); err != nil {
		return nil, err
	}
	subnet, err := checkNics(p.SubnetIDs)
	if err != nil {
		return nil, err
	}
	if !p.PublicIP {
		return nil, cph.ErrInvalidParameter("public_ip")
	}
	bw, err := checkBandwidth(p.Bandwidth)
	if err != nil {
		return nil, err
	}
	if _, _, err := checkVolume(p.DataVolume, "data_volume", 1); err != nil {
		return nil, err
	}
	if !validKeypairName(p.KeypairName) {
		return nil, cph.ErrInvalidParameter("keypair_name")
	}
	if !validZone(p.AZ) {
		return nil, cph.ErrInvalidParameter("availability_zone")
	}
	if len(p.ImageID) > 36 {
		return nil, cph.ErrInvalidImage()
	}
	return s.engine.CreateServers(ctx, cph.ServerSpec{
		ProjectID: c.ProjectID, Name: p.Name, Count: p.Count, ServerModel: p.ServerModel,
		KeypairName: p.KeypairName, AZ: p.AZ, NetworkVersion: "v2", SubnetID: subnet, Bandwidth: bw,
	})
}

// DeleteServers implements cph.ServerService.
func (s *Services) DeleteServers(ctx context.Context, ids []string) (*cph.ServerTask, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, cph.ErrInvalidParameter("server_ids")
	}
	distinct := slices.Clone(ids)
	slices.Sort(distinct)
	if len(slices.Compact(distinct)) > maxDeleteServers {
		return nil, cph.ErrTooManyItems("server_ids", maxDeleteServers)
	}
	reqID, jobID, err := s.engine.DeleteServers(ctx, c.ProjectID, ids)
	if err != nil {
		return nil, err
	}
	return &cph.ServerTask{RequestID: reqID, JobID: jobID}, nil
}

// ChangeServer implements cph.ServerService.
func (s *Services) ChangeServer(ctx context.Context, id string, p cph.ChangeServerParams) (*cph.ServerTask, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !cph.ValidID(id) {
		return nil, cph.ErrServerNotFound()
	}
	if p.PhoneModel == "" {
		return nil, cph.ErrEmptyPhoneModel()
	}
	if len(p.PhoneModel) > 64 {
		return nil, cph.ErrInvalidPhoneModel()
	}
	if err := checkImageID(p.ImageID); err != nil {
		return nil, err
	}
	if p.KeypairName != "" && !validKeypairName(p.KeypairName) {
		return nil, cph.ErrInvalidParameter("keypair_name")
	}
	if !validZone(p.AZ) {
		return nil, cph.ErrInvalidParameter("availability_zone")
	}
	if err := checkPorts(p.Ports); err != nil {
		return nil, err
	}
	n, err := checkNetwork(p.ServerNetwork, 10)
	if err != nil {
		return nil, err
	}
	props, err := checkProperty(p.Property)
	if err != nil {
		return nil, err
	}
	reqID, jobID, err := s.engine.ChangeServer(ctx, id, cph.ServerSpec{
		ProjectID: c.ProjectID, PhoneModel: p.PhoneModel, ImageID: p.ImageID, KeypairName: p.KeypairName,
		AZ: p.AZ, Property: props, DataVolumeType: n.volumeType, DataVolumeSize: n.volumeSize,
	})
	if err != nil {
		return nil, err
	}
	return &cph.ServerTask{RequestID: reqID, ServerID: id, JobID: jobID}, nil
}

// ChangeServerModel implements cph.ServerService.
func (s *Services) ChangeServerModel(ctx context.Context, p cph.ChangeServerModelParams) (*cph.Order, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if p.ServerID == "" {
		return nil, cph.ErrInvalidServerID()
	}
	if strings.TrimSpace(p.ServerModel) == "" {
		return nil, cph.ErrEmptyServerModel()
	}
	if p.PhoneModel == "" {
		return nil, cph.ErrEmptyPhoneModel()
	}
	if p.IsAutoPay != 0 && p.IsAutoPay != 1 {
		return nil, cph.ErrInvalidParameter("extend_param.is_auto_pay")
	}
	return s.engine.ChangeServerModel(ctx, c.ProjectID, p.ServerID, p.ServerModel, p.PhoneModel)
}
