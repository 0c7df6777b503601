package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
)

type portReq struct {
	Name               string `json:"name"`
	ListenPort         int32  `json:"listen_port"`
	InternetAccessible string `json:"internet_accessible"`
}

type nicReq struct {
	SubnetID string `json:"subnet_id"`
}

type bandwidthReq struct {
	ID         string `json:"band_width_id"`
	Size       *int32 `json:"band_width_size"`
	ChargeMode *int32 `json:"band_width_charge_mode"`
	ShareType  *int32 `json:"band_width_share_type"`
}

type volumeReq struct {
	Type string `json:"volume_type"`
	Size int32  `json:"size"`
}

type orderParam struct {
	ChargingMode *int32 `json:"charging_mode"`
	PeriodType   *int32 `json:"period_type"`
	PeriodNum    *int32 `json:"period_num"`
	IsAutoPay    int32  `json:"is_auto_pay"`
	IsAutoRenew  int32  `json:"is_auto_renew"`
}

// check validates the order parameters (extend_param of the creation
// body); billing has no effect: every order is treated as paid.
func (o *orderParam) check(field string) error {
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

func checkBandwidth(b *bandwidthReq) (*engine.BandwidthSpec, error) {
	if b == nil || b.ChargeMode == nil || b.ShareType == nil || (*b.ChargeMode != 0 && *b.ChargeMode != 1) {
		return nil, cph.ErrInvalidBandwidth()
	}
	spec := &engine.BandwidthSpec{ChargeMode: *b.ChargeMode, ShareType: *b.ShareType}
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

func checkPorts(ports []portReq) error {
	for _, p := range ports {
		if p.Name == "" || len(p.Name) > 16 || p.Name == "adb" || p.Name == "vnc" || p.ListenPort < 10000 || p.ListenPort > 50000 {
			return cph.ErrInvalidParameter("ports")
		}
	}
	return nil
}

func checkVolume(v *volumeReq, field string, minSize int32) (string, int32, error) {
	if v == nil {
		return "", 0, nil
	}
	if v.Type != "SSD" && v.Type != "GPSSD" || v.Size < minSize || v.Size > 32768 {
		return "", 0, cph.ErrInvalidParameter(field)
	}
	return v.Type, v.Size, nil
}

func checkNics(nics []nicReq) (string, error) {
	if len(nics) == 0 {
		return "", cph.ErrInvalidParameter("nics")
	}
	for _, n := range nics {
		if !validUUID(n.SubnetID) {
			return "", cph.ErrInvalidParameter("nics.subnet_id")
		}
	}
	return nics[0].SubnetID, nil
}

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

// checkPhoneFlavor validates a server and phone flavor pair for servers
// with phones.
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

type orderResponse struct {
	RequestID string   `json:"request_id"`
	OrderID   string   `json:"order_id"`
	ProductID string   `json:"product_id"`
	ServerIDs []string `json:"server_ids,omitempty"`
}

func writeOrder(w http.ResponseWriter, o *engine.Order, withServers bool) {
	w.Header().Set("X-Request-Id", o.RequestID)
	resp := orderResponse{RequestID: o.RequestID, OrderID: o.OrderID, ProductID: o.ProductID}
	if withServers {
		resp.ServerIDs = o.ServerIDs
	}
	writeJSON(w, http.StatusOK, resp)
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
	if !validServerName(req.ServerName, 60) {
		return cph.ErrInvalidServerName()
	}
	if err := checkFlavors(req.ServerModelName, req.PhoneModelName); err != nil {
		return err
	}
	if req.ImageID == "" {
		return cph.ErrEmptyImageID()
	}
	if len(req.ImageID) > 32 || !cph.ValidText(req.ImageID) {
		return cph.ErrInvalidImage()
	}
	if req.Count == nil || *req.Count < 1 || *req.Count > 10 {
		return cph.ErrInvalidCount()
	}
	if req.KeypairName != "" && !validKeypairName(req.KeypairName) {
		return cph.ErrInvalidParameter("keypair_name")
	}
	if !validZone(req.AZ) {
		return cph.ErrInvalidParameter("availability_zone")
	}
	if err := checkPorts(req.Ports); err != nil {
		return err
	}
	if err := req.ExtendParam.check("extend_param"); err != nil {
		return err
	}
	if !validUUID(req.TenantVPCID) {
		return cph.ErrInvalidParameter("tenant_vpc_id")
	}
	subnet, err := checkNics(req.Nics)
	if err != nil {
		return err
	}
	if req.PublicIP == nil {
		return cph.ErrInvalidParameter("public_ip")
	}
	volType, volSize, err := checkVolume(req.PhoneDataVolume, "phone_data_volume", 1)
	if err != nil {
		return err
	}
	if _, _, err := checkVolume(req.ShareVolume, "server_share_data_volume", 10); err != nil {
		return err
	}
	bw, err := checkBandwidth(req.Bandwidth)
	if err != nil {
		return err
	}
	props, err := checkProperty(req.Property)
	if err != nil {
		return err
	}
	o, err := s.engine.CreateServers(r.Context(), engine.ServerSpec{
		ProjectID: p.ProjectID, Name: req.ServerName, Count: *req.Count, ServerModel: req.ServerModelName, PhoneModel: req.PhoneModelName,
		ImageID: req.ImageID, KeypairName: req.KeypairName, AZ: req.AZ, Property: props, NetworkVersion: "v2",
		VPCID: req.TenantVPCID, SubnetID: subnet, Bandwidth: bw, DataVolumeType: volType, DataVolumeSize: volSize,
	})
	if err != nil {
		return err
	}
	writeOrder(w, o, true)
	return nil
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
	if !validServerName(req.ServerName, 60) {
		return cph.ErrInvalidServerName()
	}
	if req.ServerModelName == "" {
		return cph.ErrEmptyServerModel()
	}
	if _, ok := cph.LookupServerModel(req.ServerModelName); !ok {
		return cph.ErrInvalidServerModel()
	}
	if req.Count == nil || *req.Count < 1 || *req.Count > 10 {
		return cph.ErrInvalidCount()
	}
	if err := req.OrderParam.check("order_param"); err != nil {
		return err
	}
	subnet, err := checkNics(req.Nics)
	if err != nil {
		return err
	}
	if req.PublicIP == nil {
		return cph.ErrInvalidParameter("public_ip")
	}
	bw, err := checkBandwidth(req.PublicIP.Bandwidth)
	if err != nil {
		return err
	}
	if _, _, err := checkVolume(req.DataVolume, "data_volume", 1); err != nil {
		return err
	}
	if !validKeypairName(req.KeypairName) {
		return cph.ErrInvalidParameter("keypair_name")
	}
	if !validZone(req.AZ) {
		return cph.ErrInvalidParameter("availability_zone")
	}
	if len(req.ImageID) > 36 {
		return cph.ErrInvalidImage()
	}
	o, err := s.engine.CreateServers(r.Context(), engine.ServerSpec{
		ProjectID: p.ProjectID, Name: req.ServerName, Count: *req.Count, ServerModel: req.ServerModelName,
		KeypairName: req.KeypairName, AZ: req.AZ, NetworkVersion: "v2", SubnetID: subnet, Bandwidth: bw,
	})
	if err != nil {
		return err
	}
	writeOrder(w, o, true)
	return nil
}

// maxDeleteServers is the most servers one DeleteCloudPhoneServer call takes.
const maxDeleteServers = 10

// deleteServers is DeleteCloudPhoneServer.
func (s *Server) deleteServers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		ServerIDs []string `json:"server_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.ServerIDs) == 0 {
		return cph.ErrInvalidParameter("server_ids")
	}
	if len(dedupe(slices.Clone(req.ServerIDs))) > maxDeleteServers {
		return cph.ErrTooManyItems("server_ids", maxDeleteServers)
	}
	reqID, jobID, err := s.engine.DeleteServers(r.Context(), p.ProjectID, req.ServerIDs)
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", reqID)
	writeJSON(w, http.StatusOK, struct {
		RequestID string `json:"request_id"`
		JobID     string `json:"job_id"`
	}{reqID, jobID})
	return nil
}

// changeServer is ChangeCloudPhoneServer.
func (s *Server) changeServer(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	id := r.PathValue("server_id")
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
	if !cph.ValidID(id) {
		return cph.ErrServerNotFound()
	}
	if req.PhoneModelName == "" {
		return cph.ErrEmptyPhoneModel()
	}
	if len(req.PhoneModelName) > 64 {
		return cph.ErrInvalidPhoneModel()
	}
	if req.ImageID == "" {
		return cph.ErrEmptyImageID()
	}
	if len(req.ImageID) > 32 || !cph.ValidText(req.ImageID) {
		return cph.ErrInvalidImage()
	}
	if req.KeypairName != "" && !validKeypairName(req.KeypairName) {
		return cph.ErrInvalidParameter("keypair_name")
	}
	if !validZone(req.AZ) {
		return cph.ErrInvalidParameter("availability_zone")
	}
	if err := checkPorts(req.Ports); err != nil {
		return err
	}
	if !validUUID(req.TenantVPCID) {
		return cph.ErrInvalidParameter("tenant_vpc_id")
	}
	if _, err := checkNics(req.Nics); err != nil {
		return err
	}
	if req.PublicIP == nil {
		return cph.ErrInvalidParameter("public_ip")
	}
	volType, volSize, err := checkVolume(req.PhoneDataVolume, "phone_data_volume", 10)
	if err != nil {
		return err
	}
	if _, _, err := checkVolume(req.ShareVolume, "server_share_data_volume", 10); err != nil {
		return err
	}
	if _, err := checkBandwidth(req.Bandwidth); err != nil {
		return err
	}
	props, err := checkProperty(req.Property)
	if err != nil {
		return err
	}
	reqID, jobID, err := s.engine.ChangeServer(r.Context(), id, engine.ServerSpec{
		ProjectID: p.ProjectID, PhoneModel: req.PhoneModelName, ImageID: req.ImageID, KeypairName: req.KeypairName,
		AZ: req.AZ, Property: props, DataVolumeType: volType, DataVolumeSize: volSize,
	})
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", reqID)
	writeJSON(w, http.StatusOK, struct {
		RequestID string `json:"request_id"`
		ServerID  string `json:"server_id"`
		JobID     string `json:"job_id"`
	}{reqID, id, jobID})
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
	if req.ServerID == "" {
		return cph.ErrInvalidServerID()
	}
	if strings.TrimSpace(req.ServerModelName) == "" {
		return cph.ErrEmptyServerModel()
	}
	if req.PhoneModelName == "" {
		return cph.ErrEmptyPhoneModel()
	}
	if req.ExtendParam != nil && req.ExtendParam.IsAutoPay != 0 && req.ExtendParam.IsAutoPay != 1 {
		return cph.ErrInvalidParameter("extend_param.is_auto_pay")
	}
	o, err := s.engine.ChangeServerModel(r.Context(), p.ProjectID, req.ServerID, req.ServerModelName, req.PhoneModelName)
	if err != nil {
		return err
	}
	writeOrder(w, o, false)
	return nil
}
