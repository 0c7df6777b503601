package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	cph "github.com/opencph/opencph"
)

// ServerBatchResult is the answer of an asynchronous server operation: the
// handle of the request and one entry per server, holding either the job
// created for it or the error code of its refusal.
type ServerBatchResult struct {
	// RequestID is the handle to pass to ListJobs or WaitJobs.
	RequestID string `json:"request_id"`
	// Jobs has one entry per requested server, in request order.
	Jobs []cph.ServerJob `json:"jobs"`
}

// serverBatch sends r, a request answered with a ServerBatchResult;
// what names the request in errors.
func (c *Client) serverBatch(ctx context.Context, what string, r Request) (*ServerBatchResult, error) {
	var out ServerBatchResult
	r.Out = &out
	reqID, err := c.Do(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	if out.Jobs == nil {
		out.Jobs = []cph.ServerJob{}
	}
	return &out, nil
}

// RenameServer renames a server (UpdateServerName,
// PUT /v1/{project_id}/cloud-phone/servers/{server_id}). The server answers
// CPS.9007 for a bad name and 404 CPS.0016 for an unknown server.
func (c *Client) RenameServer(ctx context.Context, serverID, name string) error {
	_, err := c.Do(ctx, Request{Method: http.MethodPut, Path: serversPath + "/" + url.PathEscape(serverID), In: map[string]string{"server_name": name}})
	if err != nil {
		return fmt.Errorf("rename server %s: %w", serverID, err)
	}
	return nil
}

// RestartServers restarts servers and every phone on them
// (RestartCloudPhoneServer, POST /v1/{project_id}/cloud-phone/servers/batch-restart).
// Refused servers (CPS.0016, CPS.9001) are reported in their entry.
func (c *Client) RestartServers(ctx context.Context, serverIDs []string) (*ServerBatchResult, error) {
	return c.serverBatch(ctx, "restart servers", Request{Method: http.MethodPost, Path: serversPath + "/batch-restart", In: map[string][]string{"server_ids": nonNil(serverIDs)}})
}

// ServerKeypair names the key pair to give one server.
type ServerKeypair struct {
	ServerID    string `json:"server_id"`
	KeypairName string `json:"keypair_name"`
}

// UpdateKeypairs changes the key pair of servers (UpdateKeypair,
// PUT /v1/{project_id}/cloud-phone/servers/open-access).
func (c *Client) UpdateKeypairs(ctx context.Context, servers []ServerKeypair) (*ServerBatchResult, error) {
	if servers == nil {
		servers = []ServerKeypair{}
	}
	return c.serverBatch(ctx, "update key pairs", Request{Method: http.MethodPut, Path: serversPath + "/open-access", In: map[string]any{"servers": servers}})
}

// ListServerModels lists server flavors by name
// (ListCloudPhoneServerModels), every page; a nil productType lists all.
func (c *Client) ListServerModels(ctx context.Context, productType *int) ([]cph.ServerModel, error) {
	return allPages(ctx, func(ctx context.Context, marker string) ([]cph.ServerModel, string, error) {
		return c.ListServerModelsPage(ctx, productType, cph.MarkerPage{Marker: marker})
	})
}

// ListServerModelsPage reads one page of ListCloudPhoneServerModels: the
// flavors after the one p.Marker names (a server_model_name; "" for the
// first page), at most p.Limit (1..100; 0 sends none, the server's 100),
// and the marker of the next page ("" on the last).
func (c *Client) ListServerModelsPage(ctx context.Context, productType *int, p cph.MarkerPage) ([]cph.ServerModel, string, error) {
	q := url.Values{}
	setInt(q, "product_type", productType)
	markerQuery(q, p)
	var out struct {
		ServerModels []cph.ServerModel `json:"server_models"`
		PageInfo     cph.PageInfo      `json:"page_info"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/cloud-phone/server-models", Query: q, Out: &out}); err != nil {
		return nil, "", fmt.Errorf("list server models: %w", err)
	}
	if out.ServerModels == nil {
		out.ServerModels = []cph.ServerModel{}
	}
	return out.ServerModels, out.PageInfo.NextMarker, nil
}

// ListPhoneModelsOptions are the query parameters of ListPhoneModels.
type ListPhoneModelsOptions struct {
	Offset *int
	Limit  *int
	// Status keeps the flavors on sale (1) or withdrawn (0).
	Status *int
}

// ListPhoneModels lists phone flavors (ListCloudPhoneModels,
// GET /v1/{project_id}/cloud-phone/phone-models).
func (c *Client) ListPhoneModels(ctx context.Context, opts ListPhoneModelsOptions) ([]cph.PhoneModel, error) {
	q := url.Values{}
	setInt(q, "offset", opts.Offset)
	setInt(q, "limit", opts.Limit)
	setInt(q, "status", opts.Status)
	var out struct {
		PhoneModels []cph.PhoneModel `json:"phone_models"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/cloud-phone/phone-models", Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("list phone models: %w", err)
	}
	return out.PhoneModels, nil
}

// Bandwidth is the band_width object of server creation and change.
type Bandwidth struct {
	ID         string `json:"band_width_id,omitempty"`
	Size       *int32 `json:"band_width_size,omitempty"`
	ChargeMode int32  `json:"band_width_charge_mode"`
	ShareType  int32  `json:"band_width_share_type"`
}

// ExtendParam is the order parameter object of server creation.
type ExtendParam struct {
	ChargingMode int32 `json:"charging_mode"`
	PeriodType   int32 `json:"period_type"`
	PeriodNum    int32 `json:"period_num"`
	IsAutoPay    int32 `json:"is_auto_pay,omitempty"`
	IsAutoRenew  int32 `json:"is_auto_renew,omitempty"`
}

// Nic is a network interface of a new server.
type Nic struct {
	SubnetID string `json:"subnet_id"`
}

// PublicIP is the public_ip object of server creation and change.
type PublicIP struct {
	IDs   []string `json:"ids,omitempty"`
	Count *int32   `json:"count,omitempty"`
}

// Volume is a disk of a new server.
type Volume struct {
	VolumeType string `json:"volume_type"`
	Size       int32  `json:"size"`
}

// CreateServersRequest is the body of CreateNet2CloudPhoneServer.
type CreateServersRequest struct {
	ServerName      string       `json:"server_name"`
	ServerModelName string       `json:"server_model_name"`
	PhoneModelName  string       `json:"phone_model_name"`
	ImageID         string       `json:"image_id"`
	Count           int          `json:"count"`
	KeypairName     string       `json:"keypair_name,omitempty"`
	ExtendParam     ExtendParam  `json:"extend_param"`
	TenantVPCID     string       `json:"tenant_vpc_id"`
	Nics            []Nic        `json:"nics"`
	PublicIP        PublicIP     `json:"public_ip"`
	PhoneDataVolume *Volume      `json:"phone_data_volume,omitempty"`
	ShareVolume     *Volume      `json:"server_share_data_volume,omitempty"`
	Bandwidth       Bandwidth    `json:"band_width"`
	AZ              string       `json:"availability_zone,omitempty"`
	Property        string       `json:"property,omitempty"`
	Ports           []ServerPort `json:"ports,omitempty"`
}

// ServerPort is an application port of a new server.
type ServerPort struct {
	Name               string `json:"name"`
	ListenPort         int32  `json:"listen_port"`
	InternetAccessible string `json:"internet_accessible"`
}

// Order is the answer of an order-based operation.
type Order struct {
	RequestID string   `json:"request_id"`
	OrderID   string   `json:"order_id"`
	ProductID string   `json:"product_id"`
	ServerIDs []string `json:"server_ids"`
}

// CreateServers buys servers with phones (CreateNet2CloudPhoneServer,
// POST /v2/{project_id}/cloud-phone/servers). The servers are created in
// the background; watch their status with ShowServer.
func (c *Client) CreateServers(ctx context.Context, req CreateServersRequest) (*Order, error) {
	var out Order
	reqID, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v2/{project_id}/cloud-phone/servers", In: req, Out: &out})
	if err != nil {
		return nil, fmt.Errorf("create servers: %w", err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	return &out, nil
}

// CreateBareServersRequest is the body of CreateCloudPhoneSingleServer.
type CreateBareServersRequest struct {
	ServerName      string      `json:"server_name"`
	ServerModelName string      `json:"server_model_name"`
	Count           int         `json:"count"`
	OrderParam      ExtendParam `json:"order_param"`
	Nics            []Nic       `json:"nics"`
	PublicIP        struct {
		Bandwidth Bandwidth `json:"band_width"`
	} `json:"public_ip"`
	AZ          string  `json:"availability_zone,omitempty"`
	DataVolume  *Volume `json:"data_volume,omitempty"`
	KeypairName string  `json:"keypair_name"`
	ImageID     string  `json:"image_id,omitempty"`
}

// CreateBareServers buys servers without phones
// (CreateCloudPhoneSingleServer, POST /v2.1/{project_id}/cloud-phone/servers).
func (c *Client) CreateBareServers(ctx context.Context, req CreateBareServersRequest) (*Order, error) {
	var out Order
	reqID, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v2.1/{project_id}/cloud-phone/servers", In: req, Out: &out})
	if err != nil {
		return nil, fmt.Errorf("create bare servers: %w", err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	return &out, nil
}

// SingleJob is the answer of DeleteCloudPhoneServer and ChangeCloudPhoneServer.
type SingleJob struct {
	RequestID string `json:"request_id"`
	ServerID  string `json:"server_id,omitempty"`
	JobID     string `json:"job_id"`
}

// DeleteServers deletes servers and their phones with one job
// (DeleteCloudPhoneServer, DELETE /v2/{project_id}/cloud-phone/servers).
func (c *Client) DeleteServers(ctx context.Context, serverIDs []string) (*SingleJob, error) {
	var out SingleJob
	if _, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: "/v2/{project_id}/cloud-phone/servers", In: map[string][]string{"server_ids": nonNil(serverIDs)}, Out: &out}); err != nil {
		return nil, fmt.Errorf("delete servers: %w", err)
	}
	return &out, nil
}

// ChangeServerRequest is the body of ChangeCloudPhoneServer.
type ChangeServerRequest struct {
	PhoneModelName  string       `json:"phone_model_name"`
	ImageID         string       `json:"image_id"`
	KeypairName     string       `json:"keypair_name,omitempty"`
	AZ              string       `json:"availability_zone,omitempty"`
	Ports           []ServerPort `json:"ports,omitempty"`
	TenantVPCID     string       `json:"tenant_vpc_id"`
	Nics            []Nic        `json:"nics"`
	PublicIP        PublicIP     `json:"public_ip"`
	PhoneDataVolume *Volume      `json:"phone_data_volume,omitempty"`
	ShareVolume     *Volume      `json:"server_share_data_volume,omitempty"`
	Bandwidth       Bandwidth    `json:"band_width"`
	Property        string       `json:"property,omitempty"`
}

// ChangeServer rebuilds a server with a new phone flavor and image; its
// phones are recreated (ChangeCloudPhoneServer,
// POST /v2/{project_id}/cloud-phone/servers/{server_id}/change).
func (c *Client) ChangeServer(ctx context.Context, serverID string, req ChangeServerRequest) (*SingleJob, error) {
	var out SingleJob
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v2/{project_id}/cloud-phone/servers/" + url.PathEscape(serverID) + "/change", In: req, Out: &out}); err != nil {
		return nil, fmt.Errorf("change server %s: %w", serverID, err)
	}
	return &out, nil
}

// ChangeServerModel changes a server's flavor (ChangeCloudPhoneServerModel,
// POST /v1/{project_id}/cloud-phone/servers/change-server-model).
func (c *Client) ChangeServerModel(ctx context.Context, serverID, serverModel, phoneModel string) (*Order, error) {
	var out Order
	in := map[string]string{"server_id": serverID, "server_model_name": serverModel, "phone_model_name": phoneModel}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: serversPath + "/change-server-model", In: in, Out: &out}); err != nil {
		return nil, fmt.Errorf("change server model: %w", err)
	}
	return &out, nil
}

// ListBandwidths lists the project's bandwidths (ShowBandwidthDetail,
// GET /v1/{project_id}/cloud-phone/bandwidths).
func (c *Client) ListBandwidths(ctx context.Context, offset, limit *int) ([]cph.Bandwidth, error) {
	q := url.Values{}
	setInt(q, "offset", offset)
	setInt(q, "limit", limit)
	var out struct {
		Bandwidths []cph.Bandwidth `json:"band_widths"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/cloud-phone/bandwidths", Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("list bandwidths: %w", err)
	}
	return out.Bandwidths, nil
}

// UpdateBandwidth resizes a shared bandwidth (UpdateBandwidth,
// PUT /v1/{project_id}/cloud-phone/bandwidths/{band_width_id}). The server
// answers CPS.0031 for a bad size and 404 CPS.9005 for an unknown bandwidth.
func (c *Client) UpdateBandwidth(ctx context.Context, id string, size int32) error {
	if _, err := c.Do(ctx, Request{Method: http.MethodPut, Path: "/v1/{project_id}/cloud-phone/bandwidths/" + url.PathEscape(id), In: map[string]int32{"band_width_size": size}}); err != nil {
		return fmt.Errorf("update bandwidth %s: %w", id, err)
	}
	return nil
}

// ListEncodeServersOptions are the query parameters of ListEncodeServers.
type ListEncodeServersOptions struct {
	Offset   *int
	Limit    *int
	Type     *int
	Status   *int
	ServerID string
}

// ListEncodeServers lists encode services (ListEncodeServers,
// GET /v1/{project_id}/cloud-phone/encode-servers).
func (c *Client) ListEncodeServers(ctx context.Context, opts ListEncodeServersOptions) ([]cph.EncodeServer, error) {
	q := url.Values{}
	setInt(q, "offset", opts.Offset)
	setInt(q, "limit", opts.Limit)
	setInt(q, "type", opts.Type)
	setInt(q, "status", opts.Status)
	if opts.ServerID != "" {
		q.Set("server_id", opts.ServerID)
	}
	var out struct {
		EncodeServers []cph.EncodeServer `json:"encode_servers"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/cloud-phone/encode-servers", Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("list encode servers: %w", err)
	}
	return out.EncodeServers, nil
}

// EncodeBatchResult is the answer of RestartEncodeServers.
type EncodeBatchResult struct {
	RequestID string                `json:"request_id"`
	Jobs      []cph.EncodeServerJob `json:"jobs"`
}

// RestartEncodeServers restarts encode services (RestartEncodeServer,
// POST /v1/{project_id}/cloud-phone/encode-servers/batch-restart). Unknown
// services are refused per entry with CPS.9006.
func (c *Client) RestartEncodeServers(ctx context.Context, ids []string) (*EncodeBatchResult, error) {
	var out EncodeBatchResult
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v1/{project_id}/cloud-phone/encode-servers/batch-restart", In: map[string][]string{"encode_server_ids": nonNil(ids)}, Out: &out}); err != nil {
		return nil, fmt.Errorf("restart encode servers: %w", err)
	}
	return &out, nil
}

// PushShareFiles pushes a tar from object storage into the servers' shared
// storage (PushShareFiles, POST /v1/{project_id}/cloud-phone/phones/share-files).
func (c *Client) PushShareFiles(ctx context.Context, bucket, object string, serverIDs []string) (*ServerBatchResult, error) {
	in := map[string]any{"bucket_name": bucket, "object_path": object, "server_ids": nonNil(serverIDs)}
	return c.serverBatch(ctx, "push share files", Request{Method: http.MethodPost, Path: "/v1/{project_id}/cloud-phone/phones/share-files", In: in})
}

// DeleteShareFiles deletes files of the servers' shared storage
// (DeleteShareFiles, POST /v1/{project_id}/cloud-phone/phones/share-files).
func (c *Client) DeleteShareFiles(ctx context.Context, paths, serverIDs []string) (*ServerBatchResult, error) {
	in := map[string]any{"file_paths": nonNil(paths), "server_ids": nonNil(serverIDs)}
	return c.serverBatch(ctx, "delete share files", Request{Method: http.MethodPost, Path: "/v1/{project_id}/cloud-phone/phones/share-files", In: in})
}

// ListShareFiles starts the listing of a shared-storage directory
// (ListShareFiles, GET /v1/{project_id}/cloud-phone/servers/share-files);
// each job's execute_msg holds the paths, one per line.
func (c *Client) ListShareFiles(ctx context.Context, path string, serverIDs []string, offset, limit *int) (*ServerBatchResult, error) {
	q := url.Values{"path": {path}, "server_ids": {strings.Join(serverIDs, ",")}}
	setInt(q, "offset", offset)
	setInt(q, "limit", limit)
	return c.serverBatch(ctx, "list share files", Request{Method: http.MethodGet, Path: serversPath + "/share-files", Query: q})
}

// PushShareAppsParams names an application tar (an object of a bucket)
// to push into the shared app area of servers.
type PushShareAppsParams struct {
	PackageName string
	BucketName  string
	ObjectPath  string
	// PreInstall also installs the application into the phones.
	PreInstall bool
	ServerIDs  []string
}

// PushShareApps pushes an application tar into the servers' shared app
// area (PushShareApps, POST /v1/{project_id}/cloud-phone/phones/share-apps).
func (c *Client) PushShareApps(ctx context.Context, p PushShareAppsParams) (*ServerBatchResult, error) {
	pre := 0
	if p.PreInstall {
		pre = 1
	}
	in := map[string]any{"package_name": p.PackageName, "bucket_name": p.BucketName, "object_path": p.ObjectPath, "pre_install_app": pre, "server_ids": nonNil(p.ServerIDs)}
	return c.serverBatch(ctx, "push share apps", Request{Method: http.MethodPost, Path: "/v1/{project_id}/cloud-phone/phones/share-apps", In: in})
}

// DeleteShareApps removes an application from the servers' shared app
// area (DeleteShareApps, DELETE /v1/{project_id}/cloud-phone/phones/share-apps).
func (c *Client) DeleteShareApps(ctx context.Context, pkg string, serverIDs []string) (*ServerBatchResult, error) {
	in := map[string]any{"package_name": pkg, "server_ids": nonNil(serverIDs)}
	return c.serverBatch(ctx, "delete share apps", Request{Method: http.MethodDelete, Path: "/v1/{project_id}/cloud-phone/phones/share-apps", In: in})
}

// tagsPath is the tag API of servers.
const tagsPath = "/v1/{project_id}/cph-server"

// ServerTags returns the tags of a server (ListResourceTags).
func (c *Client) ServerTags(ctx context.Context, serverID string) ([]cph.Tag, error) {
	var out struct {
		Tags []cph.Tag `json:"tags"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: tagsPath + "/" + url.PathEscape(serverID) + "/tags", Out: &out}); err != nil {
		return nil, fmt.Errorf("list tags of server %s: %w", serverID, err)
	}
	return out.Tags, nil
}

// AddServerTags creates or overwrites tags of a server (BatchCreateTags).
func (c *Client) AddServerTags(ctx context.Context, serverID string, tags []cph.Tag) error {
	return c.tagAction(ctx, serverID, "create", tags)
}

// DeleteServerTags removes tags of a server (BatchDeleteTags).
func (c *Client) DeleteServerTags(ctx context.Context, serverID string, tags []cph.Tag) error {
	return c.tagAction(ctx, serverID, "delete", tags)
}

func (c *Client) tagAction(ctx context.Context, serverID, action string, tags []cph.Tag) error {
	if tags == nil {
		tags = []cph.Tag{}
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: tagsPath + "/" + url.PathEscape(serverID) + "/tags/action", In: map[string]any{"action": action, "tags": tags}}); err != nil {
		return fmt.Errorf("%s tags of server %s: %w", action, serverID, err)
	}
	return nil
}

// ProjectTags lists the tag keys of the project with their values
// (ListProjectTags) and the number of keys.
func (c *Client) ProjectTags(ctx context.Context, offset, limit *int) ([]cph.Tags, int, error) {
	return c.ProjectTagsOf(ctx, cph.ResourceTypeServer, offset, limit)
}

// tagTypePath is the tag API of a resource type ("" is cph-server).
func tagTypePath(resourceType string) string {
	if resourceType == "" {
		return tagsPath
	}
	return "/v1/{project_id}/" + url.PathEscape(resourceType)
}

// ProjectTagsOf is ProjectTags for a resource type: cph.ResourceTypeServer,
// or cph.ResourceTypeElasticPhone, which OpenCPH has no tags of. Another
// type is 400 CPS.9011.
func (c *Client) ProjectTagsOf(ctx context.Context, resourceType string, offset, limit *int) ([]cph.Tags, int, error) {
	q := url.Values{}
	setInt(q, "offset", offset)
	setInt(q, "limit", limit)
	var out struct {
		Tags  []cph.Tags `json:"tags"`
		Total int        `json:"total_count"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: tagTypePath(resourceType) + "/tags", Query: q, Out: &out}); err != nil {
		return nil, 0, fmt.Errorf("list project tags: %w", err)
	}
	return out.Tags, out.Total, nil
}

// ElasticPhoneTags calls ListResourceTags (change false) or
// BatchCreateTags with no tags (change true) on an elastic cloud phone.
// OpenCPH hosts none: the answer is 404 CPS.0005.
func (c *Client) ElasticPhoneTags(ctx context.Context, phoneID string, change bool) error {
	path := tagTypePath(cph.ResourceTypeElasticPhone) + "/" + url.PathEscape(phoneID) + "/tags"
	req := Request{Method: http.MethodGet, Path: path}
	if change {
		req = Request{Method: http.MethodPost, Path: path + "/action", In: map[string]any{"action": "create", "tags": []cph.Tag{}}}
	}
	if _, err := c.Do(ctx, req); err != nil {
		return fmt.Errorf("tags of elastic cloud phone %s: %w", phoneID, err)
	}
	return nil
}

// ResourceQuery is the body of ListResourceInstances.
type ResourceQuery struct {
	// ResourceType is the path's resource type: "" (cph-server) or
	// cph.ResourceTypeElasticPhone.
	ResourceType string
	// Count asks only for the number of matches.
	Count       bool
	Offset      *int
	Limit       *int
	WithoutTags bool
	Tags        []cph.Tags
	// Name keeps the server with exactly this name.
	Name string
}

// ListResourceInstances filters or counts servers by tags
// (ListResourceInstances, POST /v1/{project_id}/cph-server/resource_instances/action).
func (c *Client) ListResourceInstances(ctx context.Context, q ResourceQuery) ([]cph.TagResource, int, error) {
	in := map[string]any{"action": "filter"}
	if q.Count {
		in["action"] = "count"
	}
	if q.Offset != nil {
		in["offset"] = strconv.Itoa(*q.Offset)
	}
	if q.Limit != nil {
		in["limit"] = strconv.Itoa(*q.Limit)
	}
	if q.WithoutTags {
		in["without_any_tag"] = true
	}
	if len(q.Tags) > 0 {
		in["tags"] = q.Tags
	}
	if q.Name != "" {
		in["matches"] = []cph.Tag{{Key: "resource_name", Value: q.Name}}
	}
	var out struct {
		Resources []cph.TagResource `json:"resources"`
		Total     int               `json:"total_count"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: tagTypePath(q.ResourceType) + "/resource_instances/action", In: in, Out: &out}); err != nil {
		return nil, 0, fmt.Errorf("list resource instances: %w", err)
	}
	return out.Resources, out.Total, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ShareFilesystemParams names a shared file system and the servers to
// mount it on or unmount it from; Path (attach only) is the sub-directory
// to mount, "" for the root.
type ShareFilesystemParams struct {
	Type      string // "sfs_turbo"
	ID        string
	ServerIDs []string
	Path      string
}

func (p ShareFilesystemParams) body(attach bool) map[string]any {
	in := map[string]any{"type": p.Type, "id": p.ID, "server_ids": nonNil(p.ServerIDs)}
	if attach && p.Path != "" {
		in["path"] = p.Path
	}
	return in
}

// AttachShareFilesystem mounts a shared file system on servers
// (AttachShareFilesystem, POST /v1/{project_id}/servers/attach-share-filesystem):
// one job per server; a server that cannot take it has a job that failed.
func (c *Client) AttachShareFilesystem(ctx context.Context, p ShareFilesystemParams) (*ServerBatchResult, error) {
	return c.serverBatch(ctx, "attach shared file system", Request{Method: http.MethodPost, Path: "/v1/{project_id}/servers/attach-share-filesystem", In: p.body(true)})
}

// DetachShareFilesystem unmounts a shared file system from servers
// (DetachShareFilesystem, POST /v1/{project_id}/servers/detach-share-filesystem).
func (c *Client) DetachShareFilesystem(ctx context.Context, p ShareFilesystemParams) (*ServerBatchResult, error) {
	return c.serverBatch(ctx, "detach shared file system", Request{Method: http.MethodPost, Path: "/v1/{project_id}/servers/detach-share-filesystem", In: p.body(false)})
}

// ShareFilesystems returns the shared file systems mounted on a server
// (an OpenCPH extension, GET /opencph/v1/{project_id}/servers/{server_id}/share-filesystems).
func (c *Client) ShareFilesystems(ctx context.Context, serverID string) ([]cph.ShareFilesystemMount, error) {
	var out struct {
		ShareFilesystems []cph.ShareFilesystemMount `json:"share_filesystems"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/opencph/v1/{project_id}/servers/" + url.PathEscape(serverID) + "/share-filesystems", Out: &out}); err != nil {
		return nil, fmt.Errorf("list shared file systems of server %s: %w", serverID, err)
	}
	if out.ShareFilesystems == nil {
		out.ShareFilesystems = []cph.ShareFilesystemMount{}
	}
	return out.ShareFilesystems, nil
}

// ShareAppsSnapshot is one page of a server's shared-app snapshot.
type ShareAppsSnapshot struct {
	RequestID   string         `json:"request_id"`
	CollectTime cph.Time       `json:"collect_time"`
	ShareApps   []cph.ShareApp `json:"share_apps"`
	PageInfo    cph.PageInfo   `json:"page_info"`
}

// ShareAppsSnapshot returns a page of the shared apps of a server with
// their versions (ListShareAppsSnapshot,
// GET /v1/{project_id}/servers/{server_id}/share-apps-snapshot).
// packageName, if not empty, selects one package; marker is the previous
// page's next_marker ("" for the first page); a nil limit takes the
// server's default (100).
func (c *Client) ShareAppsSnapshot(ctx context.Context, serverID, packageName, marker string, limit *int) (*ShareAppsSnapshot, error) {
	q := url.Values{}
	if packageName != "" {
		q.Set("package_name", packageName)
	}
	if marker != "" {
		q.Set("marker", marker)
	}
	setInt(q, "limit", limit)
	var out ShareAppsSnapshot
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/servers/" + url.PathEscape(serverID) + "/share-apps-snapshot", Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("shared-app snapshot of server %s: %w", serverID, err)
	}
	if out.ShareApps == nil {
		out.ShareApps = []cph.ShareApp{}
	}
	return &out, nil
}

// ServerModelOfferings is one page of ListCloudPhoneServerModelOfferings.
type ServerModelOfferings struct {
	RequestID string                    `json:"request_id"`
	Count     int                       `json:"count"`
	Models    []cph.ServerModelOffering `json:"models"`
	PageInfo  cph.PageInfo              `json:"page_info"`
}

// ServerModelOfferings returns a page of the sale status of each server
// flavor in each availability zone (ListCloudPhoneServerModelOfferings,
// GET /v1/{project_id}/server-model-offerings).
func (c *Client) ServerModelOfferings(ctx context.Context, marker string, limit *int) (*ServerModelOfferings, error) {
	q := url.Values{}
	if marker != "" {
		q.Set("marker", marker)
	}
	setInt(q, "limit", limit)
	var out ServerModelOfferings
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/server-model-offerings", Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("server model offerings: %w", err)
	}
	if out.Models == nil {
		out.Models = []cph.ServerModelOffering{}
	}
	return &out, nil
}
