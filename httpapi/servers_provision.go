package httpapi

import (
	"net/http"

	"github.com/opencph/opencph"
)

type portReq struct {
	Name               string `json:"name"`
	ListenPort         int32  `json:"listen_port"`
	InternetAccessible string `json:"internet_accessible"`
}

func ports(in []portReq) []cph.ServerPort {
	out := make([]cph.ServerPort, len(in))
	for i, p := range in {
		out[i] = cph.ServerPort(p)
	}
	return out
}

type nicReq struct {
	SubnetID string `json:"subnet_id"`
}

func subnets(nics []nicReq) []string {
	out := make([]string, len(nics))
	for i, n := range nics {
		out[i] = n.SubnetID
	}
	return out
}

type bandwidthReq struct {
	ID         string `json:"band_width_id"`
	Size       *int32 `json:"band_width_size"`
	ChargeMode *int32 `json:"band_width_charge_mode"`
	ShareType  *int32 `json:"band_width_share_type"`
}

func (b *bandwidthReq) params() *cph.BandwidthParams {
	if b == nil {
		return nil
	}
	return &cph.BandwidthParams{ID: b.ID, Size: b.Size, ChargeMode: b.ChargeMode, ShareType: b.ShareType}
}

type volumeReq struct {
	Type string `json:"volume_type"`
	Size int32  `json:"size"`
}

func (v *volumeReq) params() *cph.VolumeParams {
	if v == nil {
		return nil
	}
	return &cph.VolumeParams{Type: v.Type, Size: v.Size}
}

type orderParam struct {
	ChargingMode *int32 `json:"charging_mode"`
	PeriodType   *int32 `json:"period_type"`
	PeriodNum    *int32 `json:"period_num"`
	IsAutoPay    int32  `json:"is_auto_pay"`
	IsAutoRenew  int32  `json:"is_auto_renew"`
}

func (o *orderParam) params() *cph.OrderParams {
	if o == nil {
		return nil
	}
	return &cph.OrderParams{ChargingMode: o.ChargingMode, PeriodType: o.PeriodType, PeriodNum: o.PeriodNum,
		IsAutoPay: o.IsAutoPay, IsAutoRenew: o.IsAutoRenew}
}

type orderResponse struct {
	RequestID string   `json:"request_id"`
	OrderID   string   `json:"order_id"`
	ProductID string   `json:"product_id"`
	ServerIDs []string `json:"server_ids,omitempty"`
}

// writeOrder writes the answer of an order-based operation, or returns
// its error.
func writeOrder(w http.ResponseWriter, o *cph.Order, err error, withServers bool) error {
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", o.RequestID)
	resp := orderResponse{RequestID: o.RequestID, OrderID: o.OrderID, ProductID: o.ProductID}
	if withServers {
		resp.ServerIDs = o.ServerIDs
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// createServers is CreateNet2CloudPhoneServer.
func (s *Server) createServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		ServerName      string        `json:"server_name"`
		ServerModelName string        `json:"server_model_name"`
		PhoneModelName  string        `json:"phone_model_name"`
		ImageID         string        `json:"image_id"`
		Count           *int          `json:"count"`
		KeypairName     string        `json:"keypair_name"`
		Ports           []portReq     `json:"ports"`
		ExtendParam     *orderParam   `json:"extend_param"`
		TenantVPCID     string        `json:"tenant_vpc_id"`
		Nics            []nicReq      `json:"nics"`
		PublicIP        *struct{}     `json:"public_ip"`
		PhoneDataVolume *volumeReq    `json:"phone_data_volume"`
		ShareVolume     *volumeReq    `json:"server_share_data_volume"`
		Bandwidth       *bandwidthReq `json:"band_width"`
		AZ              string        `json:"availability_zone"`
		Property        *string       `json:"property"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	params := cph.CreateServersParams{
		Name: req.ServerName, ServerModel: req.ServerModelName, PhoneModel: req.PhoneModelName, ImageID: req.ImageID,
		KeypairName: req.KeypairName, AZ: req.AZ, Ports: ports(req.Ports), Order: req.ExtendParam.params(),
		ServerNetwork: cph.ServerNetwork{VPCID: req.TenantVPCID, SubnetIDs: subnets(req.Nics), PublicIP: req.PublicIP != nil,
			PhoneDataVolume: req.PhoneDataVolume.params(), ShareVolume: req.ShareVolume.params(), Bandwidth: req.Bandwidth.params()},
		Property: req.Property,
	}
	if req.Count != nil {
		params.Count = *req.Count
	}
	o, err := s.cfg.Servers.CreateServers(r.Context(), params)
	return writeOrder(w, o, err, true)
}

// createSingleServers is CreateCloudPhoneSingleServer: bare
// servers without phones.
func (s *Server) createSingleServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		ServerName      string      `json:"server_name"`
		ServerModelName string      `json:"server_model_name"`
		Count           *int        `json:"count"`
		OrderParam      *orderParam `json:"order_param"`
		Nics            []nicReq    `json:"nics"`
		PublicIP        *struct {
			Bandwidth *bandwidthReq `json:"band_width"`
		} `json:"public_ip"`
		AZ          string     `json:"availability_zone"`
		DataVolume  *volumeReq `json:"data_volume"`
		KeypairName string     `json:"keypair_name"`
		ImageID     string     `json:"image_id"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	params := cph.CreateBareServersParams{
		Name: req.ServerName, ServerModel: req.ServerModelName, Order: req.OrderParam.params(), SubnetIDs: subnets(req.Nics),
		PublicIP: req.PublicIP != nil, AZ: req.AZ, DataVolume: req.DataVolume.params(), KeypairName: req.KeypairName, ImageID: req.ImageID,
	}
	if req.Count != nil {
		params.Count = *req.Count
	}
	if req.PublicIP != nil {
		params.Bandwidth = req.PublicIP.Bandwidth.params()
	}
	o, err := s.cfg.Servers.CreateBareServers(r.Context(), params)
	return writeOrder(w, o, err, true)
}

// deleteServers is DeleteCloudPhoneServer.
func (s *Server) deleteServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		ServerIDs []string `json:"server_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	t, err := s.cfg.Servers.DeleteServers(r.Context(), req.ServerIDs)
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", t.RequestID)
	writeJSON(w, http.StatusOK, struct {
		RequestID string `json:"request_id"`
		JobID     string `json:"job_id"`
	}{t.RequestID, t.JobID})
	return nil
}

// changeServer is ChangeCloudPhoneServer.
func (s *Server) changeServer(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		PhoneModelName  string        `json:"phone_model_name"`
		ImageID         string        `json:"image_id"`
		KeypairName     string        `json:"keypair_name"`
		AZ              string        `json:"availability_zone"`
		Ports           []portReq     `json:"ports"`
		TenantVPCID     string        `json:"tenant_vpc_id"`
		Nics            []nicReq      `json:"nics"`
		PublicIP        *struct{}     `json:"public_ip"`
		PhoneDataVolume *volumeReq    `json:"phone_data_volume"`
		ShareVolume     *volumeReq    `json:"server_share_data_volume"`
		Bandwidth       *bandwidthReq `json:"band_width"`
		Property        *string       `json:"property"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	t, err := s.cfg.Servers.ChangeServer(r.Context(), r.PathValue("server_id"), cph.ChangeServerParams{
		PhoneModel: req.PhoneModelName, ImageID: req.ImageID, KeypairName: req.KeypairName, AZ: req.AZ,
		Ports: ports(req.Ports),
		ServerNetwork: cph.ServerNetwork{VPCID: req.TenantVPCID, SubnetIDs: subnets(req.Nics), PublicIP: req.PublicIP != nil,
			PhoneDataVolume: req.PhoneDataVolume.params(), ShareVolume: req.ShareVolume.params(), Bandwidth: req.Bandwidth.params()},
		Property: req.Property,
	})
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", t.RequestID)
	writeJSON(w, http.StatusOK, struct {
		RequestID string `json:"request_id"`
		ServerID  string `json:"server_id"`
		JobID     string `json:"job_id"`
	}{t.RequestID, t.ServerID, t.JobID})
	return nil
}

// changeServerModel is ChangeCloudPhoneServerModel.
func (s *Server) changeServerModel(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		ServerID        string `json:"server_id"`
		ServerModelName string `json:"server_model_name"`
		PhoneModelName  string `json:"phone_model_name"`
		ExtendParam     *struct {
			IsAutoPay int32 `json:"is_auto_pay"`
		} `json:"extend_param"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	params := cph.ChangeServerModelParams{ServerID: req.ServerID, ServerModel: req.ServerModelName, PhoneModel: req.PhoneModelName}
	if req.ExtendParam != nil {
		params.IsAutoPay = req.ExtendParam.IsAutoPay
	}
	o, err := s.cfg.Servers.ChangeServerModel(r.Context(), params)
	return writeOrder(w, o, err, false)
}
