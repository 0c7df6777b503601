package openapispec

// family says which error envelope and authentication an operation uses.
type family int

const (
	cphFamily    family = iota // X-Auth-Token, CPH error envelope
	iamFamily                  // IAM: Keystone errors, gateway envelope for authentication failures
	publicFamily               // no authentication, CPH error envelope
)

// operation is one method on one path.
type operation struct {
	method, path string
	// names are the CPH SDK operations served by this method and path
	// (several share one route, e.g. /phones/commands); empty for non-CPH
	// routes.
	names   []string
	id      string // operationId
	summary string
	tag     string
	fam     family
	params  []param
	body    M   // request body schema; nil when there is none
	status  int // success status; 200 when 0
	resp    M   // success body schema; nil when there is none
	// respHeaders are headers of the success response besides X-Request-Id.
	respHeaders M
	extension   bool // an OpenCPH extension, not part of CPH
	// authenticated marks a POST of the IAM family that needs a token
	// (IAM POSTs are unauthenticated otherwise, like POST /v3/auth/tokens).
	authenticated bool
	// restOfPath names the last path parameter when it takes the rest of
	// the path, slashes included (x-opencph-rest-of-path).
	restOfPath string
	// rawBody describes a request body of raw bytes in any content type;
	// it is documented in the description, not as a requestBody.
	rawBody string
	// respContent is the media type of the success body (application/json when empty).
	respContent string
}

const (
	objects = "/opencph/v1/{project_id}/buckets"
	// enrollmentTokens is the OpenCPH extension for agent enrollment tokens.
	enrollmentTokens = "/opencph/v1/{project_id}/enrollment-tokens"
	credentials      = "/v3.0/OS-CREDENTIAL/credentials"
	v1               = "/v1/{project_id}/cloud-phone"
	v2               = "/v2/{project_id}/cloud-phone"
	v21              = "/v2.1/{project_id}/cloud-phone"
)

// cph returns a CPH operation named name.
func cph(method, path, name, tag, summary string, params []param, body, resp M) operation {
	return operation{method: method, path: path, names: []string{name}, id: name, tag: tag, summary: summary,
		fam: cphFamily, params: params, body: body, resp: resp}
}

func ps(p ...param) []param { return p }

func cat(lists ...[]param) []param {
	var out []param
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var (
	phoneJobs        = ref("PhoneJobs")
	serverJobs       = ref("ServerJobs")
	requestIDOnly    = ref("RequestID")
	requestIDOrError = ref("RequestIDWithError")
	phoneIDPath      = path("phone_id", "Phone id (1-32 characters of [0-9a-zA-Z-]).")
	serverIDPath     = path("server_id", "Server id.")
	imageIDPath      = path("image_id", "Custom image id.")
	resourceTypePath = param{in: "path", name: "resource_type", required: true, schema: enum("string", "cph-server", "elastic-cloud-phone"), desc: "Tagged resource type: cph-server, or elastic-cloud-phone, of which there are none (empty lists, 404 CPS.0005 for one resource); another type is 400 CPS.9011."}
	resourceIDPath   = path("resource_id", "Server id.")
)

// pageInfo is the page_info of a list paged by marker: no next_marker on
// the last page.
var pageInfo = obj("next_marker string")

// orderResponse is the answer of the order-based operations.
func orderResponse(withServers bool) M {
	if withServers {
		return obj("request_id hex32!; order_id string!; product_id string!; server_ids []string!; error_code string; error_msg string")
	}
	return obj("request_id hex32!; order_id string!; product_id string!; error_code string; error_msg string")
}

// operations lists every route of the API.
func operations() []operation {
	phoneStatusQuery := query("status", typ("int32"), "Phone status (see the PhoneStatus schema); 0 matches nothing, other values not in that schema are CPS.0010.")
	ops := []operation{
		// Phones.
		cph("GET", v1+"/phones", "ListCloudPhones", "phones", "Page through the project's phones, newest first.",
			cat(paging(200), ps(query("phone_name", typ("string"), "Substring of the phone name (case-insensitive)."),
				query("server_id", typ("string"), "Hosting server."), phoneStatusQuery,
				query("type", enum("int32", 0, 1), "Phone type: 0 ordinary, 1 trial."))),
			nil, obj("request_id hex32!; count int32!; phones []@Phone!")),
		cph("GET", v1+"/phones/{phone_id}", "ShowCloudPhoneDetail", "phones", "One phone, with access information and properties.",
			ps(phoneIDPath), nil, ref("PhoneDetail")),
		cph("PUT", v1+"/phones/{phone_id}", "UpdatePhoneName", "phones", "Rename a phone.",
			ps(phoneIDPath), obj("phone_name string!", "phone_name", with(typ("string"), "minLength", 1, "maxLength", 60)), requestIDOnly),
		cph("POST", v1+"/phones/batch-restart", "RestartCloudPhone", "phones", "Restart (or start) phones, optionally with another image and properties.",
			nil, obj("image_id string; phones []@PhoneProperty!"), phoneJobs),
		cph("POST", v1+"/phones/batch-reset", "ResetCloudPhone", "phones", "Factory-reset phones, optionally with another image and properties.",
			nil, obj("image_id string; phones []@ResetPhoneProperty!"), phoneJobs),
		cph("POST", v1+"/phones/batch-stop", "StopCloudPhone", "phones", "Power phones off.",
			nil, obj("phone_ids []string!"), phoneJobs),
		cph("POST", v1+"/phones/batch-update-property", "UpdateCloudPhoneProperty", "phones", "Update phone properties.",
			nil, obj("phones []@PropertyToUpdate!"), phoneJobs),
		cph("GET", v1+"/phone-models", "ListCloudPhoneModels", "phones", "List phone flavors.",
			cat(ps(query("status", typ("int32"), "1 on sale, 0 withdrawn; absent lists all.")), paging(100)),
			nil, obj("request_id hex32!; phone_models []@PhoneModel!")),
		cph("GET", v1+"/phone-images", "ListCloudPhoneImages", "images", "List the images the project can boot phones with.",
			cat(ps(query("image_type", enum("string", "public", "private", "share", "all"), "Image type; absent means all.")), pageByMarker(500, "image_id")),
			nil, obj("request_id hex32!; phone_images []@PhoneImage!; page_info object!", "page_info", pageInfo)),
		cph("POST", v1+"/phones/batch-connection", "BatchShowPhoneConnectInfos", "phones", "Issue streaming-access tickets for phones.",
			nil, obj("phone_ids []string!; client_type string!", "client_type", enum("string", "ANDROID", "WINDOWS", "H5_MOBILE", "H5_PC", "IOS")),
			obj("request_id hex32!; connect_infos []@ConnectInfo!; errors []@ConnectErrorInfo")),
		cph("POST", v1+"/phones/expand-volume", "ExpandPhoneDataVolumeSize", "phones", "Grow phone data disks.",
			nil, obj("phones []object!", "phones", M{"type": "array", "items": obj("phone_id string!; new_size int32!")}), phoneJobs),
		cph("POST", "/v1/{project_id}/cloud-phone/phones-traffic", "ImportTraffic", "phones", "Switch phones' traffic route.",
			nil, obj("traffic_type string!; phone_ids []string!", "traffic_type", enum("string", "direct", "routing")), phoneJobs),
		cph("POST", v1+"/phones/batch-storage", "BatchExportCloudPhoneData", "phones", "Export phone files to object storage.",
			nil, obj("storage_infos []@StorageInfo!"), phoneJobs),
		cph("POST", v1+"/phones/batch-restore", "BatchImportCloudPhoneData", "phones", "Restore phone files from object storage.",
			nil, obj("restore_infos []@RestoreInfo!"), phoneJobs),

		// Servers, bandwidths, encode services.
		cph("GET", v1+"/servers", "ListCloudPhoneServers", "servers", "Page through the project's servers, newest first.",
			cat(paging(100), ps(query("server_name", typ("string"), "Substring of the server name."),
				query("server_id", typ("string"), "Exact server id."),
				query("network_version", typ("string"), "v1 or v2."),
				query("phone_model_name", typ("string"), "Exact phone flavor."),
				query("create_since", typ("int64"), "Creation time lower bound: seconds below 10^11, else milliseconds."),
				query("create_until", typ("int64"), "Creation time upper bound: seconds below 10^11, else milliseconds."),
				query("status", typ("int32"), "Server status (see the ServerStatus schema)."))),
			nil, obj("request_id hex32!; count int32!; servers []@Server!")),
		cph("GET", v1+"/servers/{server_id}", "ShowCloudPhoneServerDetail", "servers", "One server, with network, bandwidths and disks.",
			ps(serverIDPath), nil, ref("ServerDetail")),
		cph("PUT", v1+"/servers/{server_id}", "UpdateServerName", "servers", "Rename a server.",
			ps(serverIDPath), obj("server_name string!", "server_name", with(typ("string"), "minLength", 1, "maxLength", 60)), requestIDOrError),
		cph("POST", v1+"/servers/batch-restart", "RestartCloudPhoneServer", "servers", "Restart servers and their phones.",
			nil, obj("server_ids []string!"), serverJobs),
		cph("GET", v1+"/server-models", "ListCloudPhoneServerModels", "servers", "List server flavors.",
			cat(ps(query("product_type", enum("int32", 0, 1), "0 cloud phone, 1 cloud gaming; absent lists all.")), pageByMarker(100, "server_model_name")),
			nil, obj("request_id hex32!; server_models []@ServerModel!; page_info object!", "page_info", pageInfo)),
		cph("POST", v2+"/servers", "CreateNet2CloudPhoneServer", "servers", "Buy servers with phones in a customer VPC.",
			nil, obj(`server_name string!; server_model_name string!; phone_model_name string!; image_id string!; count int32!;
				keypair_name string; ports []@Port; extend_param object!; tenant_vpc_id string!; nics []@Nic!; public_ip @PublicIP!;
				phone_count_per_ip int32; phone_data_volume @DataVolume; server_share_data_volume @DataVolume; band_width @BandWidth!;
				availability_zone string; property json`,
				"extend_param", obj("charging_mode int32!; period_type int32!; period_num int32!; is_auto_pay int32; is_auto_renew int32; enterprise_project_id string")),
			orderResponse(true)),
		cph("POST", v21+"/servers", "CreateCloudPhoneSingleServer", "servers", "Buy bare servers (no phones).",
			nil, obj(`server_name string!; server_model_name string!; count int32!; order_param object!; nics []@NicForSingleServer!;
				public_ip object!; availability_zone string; data_volume object; keypair_name string!; enterprise_project_id string; image_id string`,
				"order_param", obj("charging_mode int32!; period_type int32!; period_num int32!; is_auto_pay int32; is_auto_renew int32"),
				"public_ip", obj("ids []string; type string; count int32; band_width @BandWidth!"),
				"data_volume", obj("volume_type string!; size int32!; count int32")),
			orderResponse(true)),
		cph("DELETE", v2+"/servers", "DeleteCloudPhoneServer", "servers", "Delete servers (DELETE with a JSON body).",
			nil, obj("server_ids []string!"), obj("request_id hex32!; job_id hex32!")),
		cph("POST", v2+"/servers/{server_id}/change", "ChangeCloudPhoneServer", "servers", "Swap a server for a freshly built one; phones are recreated.",
			ps(serverIDPath), obj(`phone_model_name string!; image_id string!; keypair_name string; availability_zone string; ports []@Port;
				extend_param object; tenant_vpc_id string!; nics []@Nic!; public_ip @PublicIP!; phone_count_per_ip int32;
				phone_data_volume @DataVolume; server_share_data_volume @DataVolume; band_width @BandWidth!; property json`,
				"extend_param", obj("enterprise_project_id string")),
			obj("request_id hex32!; server_id string!; job_id hex32!; error_code string; error_msg string")),
		cph("POST", v1+"/servers/change-server-model", "ChangeCloudPhoneServerModel", "servers", "Change a server's flavor.",
			nil, obj("server_id string!; server_model_name string!; phone_model_name string!; extend_param object",
				"extend_param", obj("is_auto_pay int32")),
			orderResponse(false)),
		cph("PUT", v1+"/servers/open-access", "UpdateKeypair", "servers", "Change servers' key pair.",
			nil, obj("servers []object!", "servers", M{"type": "array", "items": obj("server_id string!; keypair_name string!")}), serverJobs),
		cph("GET", v1+"/bandwidths", "ShowBandwidthDetail", "servers", "List bandwidths.",
			paging(100), nil, obj("request_id hex32!; band_widths []@Bandwidth!")),
		cph("PUT", v1+"/bandwidths/{band_width_id}", "UpdateBandwidth", "servers", "Resize a shared bandwidth.",
			ps(path("band_width_id", "Bandwidth id.")), obj("band_width_size int32!"), requestIDOrError),
		cph("GET", v1+"/encode-servers", "ListEncodeServers", "servers", "List encode services.",
			cat(paging(100), ps(query("type", enum("int32", 0, 1), "0 server, 1 container."),
				query("status", typ("int32"), "Encode service status filter: 1 running, 2 abnormal, 3 restarting, 4 frozen, 5 shut down, 100/1014/0 creating; other values are CPS.0010."),
				query("server_id", typ("string"), "Phone server."))),
			nil, obj("request_id hex32!; encode_servers []@EncodeServer!")),
		cph("POST", v1+"/encode-servers/batch-restart", "RestartEncodeServer", "servers", "Restart encode services.",
			nil, obj("encode_server_ids []string!"), ref("EncodeServerJobs")),

		// Shared storage, shared apps, ADB commands.
		{method: "POST", path: v1 + "/phones/share-files", names: []string{"PushShareFiles", "DeleteShareFiles"}, id: "PushOrDeleteShareFiles",
			tag: "storage", fam: cphFamily, summary: "PushShareFiles (body with bucket_name and object_path) or DeleteShareFiles (body with file_paths).",
			body: M{"anyOf": []any{
				obj("bucket_name string!; object_path string!; server_ids []string!"),
				obj("server_ids []string!; file_paths []string!"),
			}}, resp: serverJobs},
		cph("GET", v1+"/servers/share-files", "ListShareFiles", "storage", "List a shared-storage directory; the listing arrives in the jobs' execute_msg.",
			cat(ps(query("offset", with(typ("int32"), "minimum", 0), "Number of records to skip."),
				query("limit", with(typ("int32"), "minimum", 1, "maximum", 50), "Page size, 1-50."),
				with2(query("server_ids", typ("string"), "Comma-separated server ids."), true),
				with2(query("path", typ("string"), "Directory, e.g. /data/data."), true))),
			nil, serverJobs),
		cph("POST", v1+"/phones/share-apps", "PushShareApps", "storage", "Push an app tar into servers' shared-app area.",
			nil, obj("package_name string!; pre_install_app int32; bucket_name string!; object_path string!; server_ids []string!",
				"pre_install_app", enum("int32", 0, 1)), serverJobs),
		cph("DELETE", v1+"/phones/share-apps", "DeleteShareApps", "storage", "Remove a shared app from servers (DELETE with a JSON body).",
			nil, obj("package_name string!; server_ids []string!"), serverJobs),
		cph("POST", "/v1/{project_id}/servers/attach-share-filesystem", "AttachShareFilesystem", "storage",
			"Mount a shared file system the deployment declares on servers (1-20 distinct): one job per server; a server that cannot take it has a job that failed at once "+
				"(CPS.0016 unknown server, CPS.9001 not normal, CPS.9008 mounted with another path, CPS.9004 no such sub-directory). Unknown file system: 404 CPS.9024.",
			nil, obj("type string!; id string!; server_ids []string!; path string",
				"type", enum("string", "sfs_turbo"), "id", with(typ("string"), "minLength", 1, "maxLength", 64)), serverJobs),
		cph("POST", "/v1/{project_id}/servers/detach-share-filesystem", "DetachShareFilesystem", "storage",
			"Unmount a shared file system from servers (1-20 distinct): one job per server; a server without it succeeds unchanged.",
			nil, obj("type string!; id string!; server_ids []string!",
				"type", enum("string", "sfs_turbo"), "id", with(typ("string"), "minLength", 1, "maxLength", 64)), serverJobs),
		cph("GET", "/v1/{project_id}/servers/{server_id}/share-apps-snapshot", "ListShareAppsSnapshot", "storage",
			"The shared apps of a server's shared app area with the versionName of their base APK, by package name, computed on request.",
			ps(serverIDPath, query("limit", with(typ("int32"), "minimum", 1, "maximum", 500), "Page size, default 100."),
				query("marker", typ("string"), "next_marker of the previous page (a package name): the page starts after it."),
				query("package_name", typ("string"), "Exact package name.")),
			nil, obj("request_id hex32!; collect_time time!; share_apps []object!; page_info object!",
				"share_apps", M{"type": "array", "items": obj("package_name string!; versions []string!")},
				"page_info", obj("next_marker string"))),
		cph("GET", "/v1/{project_id}/server-model-offerings", "ListCloudPhoneServerModelOfferings", "servers",
			"Sale status of each server flavor in each availability zone the project may use, by zone then flavor; count is the number of rows.",
			ps(query("limit", with(typ("int32"), "minimum", 1, "maximum", 1000), "Page size, default 100."),
				query("marker", typ("string"), "next_marker of the previous page (opaque): the page starts after that row.")),
			nil, obj("request_id hex32!; count int32!; models []object!; page_info object!",
				"models", M{"type": "array", "items": obj("available_zone string!; model_name string!; sell_status string!",
					"sell_status", enum("string", "available", "sellout"))},
				"page_info", obj("next_marker string"))),
		{method: "GET", path: "/opencph/v1/{project_id}/servers/{server_id}/share-filesystems", id: "ListShareFilesystemMounts", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the shared file systems mounted on a server (state mounting, mounted or unmounting), by id.",
			params:  ps(serverIDPath),
			resp: obj("request_id hex32!; share_filesystems []object!", "share_filesystems", M{"type": "array",
				"items": obj("id string!; type string!; path string!; mount_point string!; state string!; mount_time time!",
					"state", enum("string", "mounting", "mounted", "unmounting"))})},
		{method: "POST", path: v1 + "/phones/commands", names: []string{"InstallApk", "UninstallApk", "PushFile", "RunShellCommand"}, id: "RunAdbCommand",
			tag: "storage", fam: cphFamily, summary: "ADB commands: InstallApk (install, install-multiple), UninstallApk (uninstall), PushFile (push), RunShellCommand (shell).",
			body: obj("command string!; content string!; phone_ids []string; server_ids []string"), resp: phoneJobs},
		cph("POST", v1+"/phones/sync-commands", "RunSyncCommand", "storage", "Run an ADB shell command and wait for its output.",
			nil, obj("command string!; content string!; phone_ids []string; server_ids []string"),
			obj("request_id hex32!; jobs []@RunSyncCommandJob!")),

		// Images and tags.
		cph("GET", v1+"/images", "ListImages", "images", "List the project's custom images and those shared with it and accepted.",
			cat(ps(query("image_type", enum("string", "private", "share"), "private (own) or share (shared with the project); absent lists both."),
				query("status", typ("int32"), "0 creating, 1 production, 2 creation failed; other values are CPS.0010.")),
				paging(100),
				ps(query("image_id", typ("string"), "Exact image id."),
					query("image_name", typ("string"), "Substring of the name (case-insensitive)."),
					query("create_since", typ("int64"), "Creation time lower bound: seconds below 10^11, else milliseconds."),
					query("create_until", typ("int64"), "Creation time upper bound: seconds below 10^11, else milliseconds."),
					query("src_project_id", typ("string"), "Owner project of shared images."))),
			nil, obj("request_id hex32!; total int32!; image_infos []@ListImagesView!")),
		cph("DELETE", v1+"/images/{image_id}", "DeleteImage", "images", "Delete a custom image and its memberships; refused (CPS.9008) while phones use it.",
			ps(imageIDPath), nil, requestIDOrError),
		cph("POST", v1+"/images/{image_id}/members", "AddImageMember", "images", "Share a custom image with another project of the same region (at most 10).",
			ps(imageIDPath), obj("member string!"), requestIDOrError),
		cph("GET", v1+"/images/{image_id}/members", "ListImageMembers", "images", "List the projects a custom image is shared with.",
			cat(ps(imageIDPath), pageByMarker(100, "member_id")), nil,
			obj("request_id hex32; members []@ListImageMembersView!; page_info object!", "page_info", pageInfo)),
		cph("PUT", v1+"/images/{image_id}/members", "UpdateImageMember", "images", "Accept or reject an image shared with the project.",
			ps(imageIDPath), obj("status string!", "status", enum("string", "accepted", "rejected")), requestIDOnly),
		cph("DELETE", v1+"/images/{image_id}/members/{member_id}", "DeleteImageMember", "images", "Stop sharing a custom image with a project.",
			ps(imageIDPath, path("member_id", "Member project id.")), nil, requestIDOrError),
		cph("GET", "/v1/{project_id}/{resource_type}/tags", "ListProjectTags", "tags", "All tag keys and values used in the project.",
			cat(ps(resourceTypePath), paging(100)), nil, obj("request_id hex32; tags []@Tags!; total_count int32!")),
		cph("GET", "/v1/{project_id}/{resource_type}/{resource_id}/tags", "ListResourceTags", "tags", "Tags of one server.",
			ps(resourceTypePath, resourceIDPath), nil, obj("request_id hex32; tags []@Tag!")),
		cph("POST", "/v1/{project_id}/{resource_type}/resource_instances/action", "ListResourceInstances", "tags", "Filter or count servers by tags.",
			ps(resourceTypePath), obj("action string!; offset string; limit string; without_any_tag bool; tags []@Tags; matches []@Match",
				"action", enum("string", "filter", "count")),
			obj("request_id hex32; resources []@Resource; total_count int32!")),
		{method: "POST", path: "/v1/{project_id}/{resource_type}/{resource_id}/tags/action", names: []string{"BatchCreateTags", "BatchDeleteTags"},
			id: "BatchCreateOrDeleteTags", tag: "tags", fam: cphFamily, summary: "BatchCreateTags (action create) or BatchDeleteTags (action delete); 204 without a body.",
			params: ps(resourceTypePath, resourceIDPath),
			body:   obj("action string!; tags []@Tag!", "action", enum("string", "create", "delete")), status: 204},

		// Jobs.
		cph("GET", v1+"/jobs", "ListJobs", "jobs", "List the jobs of one or more asynchronous requests.",
			cat(ps(query("request_id", typ("string"), "Request id of an asynchronous call."),
				query("request_ids", typ("string"), "Comma-separated request ids (at most 20); wins over request_id.")), paging(100)),
			nil, obj("request_id hex32!; jobs []@Job!")),
		cph("GET", v1+"/jobs/{job_id}", "ShowJob", "jobs", "One job.",
			ps(path("job_id", "Job id.")), nil, allOf(obj("request_id hex32!"), ref("Job"))),

		// OpenCPH extensions.
		{method: "POST", path: "/opencph/v1/{project_id}/images", id: "CreateImage", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: capture a running or stopped phone of the project as a new private image (status 1 at once).",
			body:    obj("image_name string!; phone_id string!", "image_name", with(typ("string"), "minLength", 1, "maxLength", 128)),
			resp:    obj("request_id hex32!; image_id hex32!")},
		{method: "GET", path: objects, id: "ListBuckets", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the project's buckets (the object store behind obs:// references).",
			resp:    obj("request_id hex32!; buckets []object!", "buckets", M{"type": "array", "items": obj("name string!; create_time time!")})},
		{method: "PUT", path: objects + "/{bucket}", id: "CreateBucket", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: create a bucket (no-op if the project has it).",
			params:  ps(path("bucket", "Bucket name: 3-63 of lowercase letters, digits, - and .")), resp: requestIDOnly},
		{method: "GET", path: objects + "/{bucket}/objects", id: "ListObjects", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the objects of a bucket.",
			params:  ps(path("bucket", "Bucket name."), query("prefix", typ("string"), "Keep the keys that start with it.")),
			resp:    obj("request_id hex32!; objects []object!", "objects", M{"type": "array", "items": obj("key string!; size int64!; last_modified time!")})},
		{method: "PUT", path: objects + "/{bucket}/objects/{key}", id: "PutObject", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: store an object; the request body is its content (raw bytes, any Content-Type), creating the bucket if needed.",
			params:  ps(path("bucket", "Bucket name."), path("key", "Object key; may contain slashes.")), restOfPath: "key", rawBody: "the object's content",
			resp: obj("request_id hex32!; key string!; size int64!")},
		{method: "GET", path: objects + "/{bucket}/objects/{key}", id: "GetObject", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the content of an object.",
			params:  ps(path("bucket", "Bucket name."), path("key", "Object key; may contain slashes.")), restOfPath: "key",
			respContent: "application/octet-stream", resp: M{"type": "string", "format": "binary"}},
		{method: "DELETE", path: objects + "/{bucket}/objects/{key}", id: "DeleteObject", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: remove an object.",
			params:  ps(path("bucket", "Bucket name."), path("key", "Object key; may contain slashes.")), restOfPath: "key", resp: requestIDOnly},
		{method: "POST", path: enrollmentTokens, id: "CreateEnrollmentToken", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: create an agent enrollment token of the project (project admins only); the secret is in token, shown only here. At most 20 per project (400 CPS.9010).",
			body: obj("enrollment_token object!", "enrollment_token", obj("description string; expires_at time",
				"description", with(typ("string"), "maxLength", 255))),
			status: 201, resp: obj("request_id hex32!; enrollment_token object!", "enrollment_token", enrollmentTokenSchema(true))},
		{method: "GET", path: enrollmentTokens, id: "ListEnrollmentTokens", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the project's agent enrollment tokens, oldest first, without their secrets (project admins only).",
			resp:    obj("request_id hex32!; count int32!; enrollment_tokens []object!", "enrollment_tokens", M{"type": "array", "items": enrollmentTokenSchema(false)})},
		{method: "DELETE", path: enrollmentTokens + "/{token_id}", id: "RevokeEnrollmentToken", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: revoke an enrollment token at once (project admins only); 204. Unknown token: 404 CPS.9014.",
			params:  ps(path("token_id", "Enrollment token id.")), status: 204},
		{method: "GET", path: "/opencph/v1/{project_id}/cloud-phone/phones/{phone_id}/screenshot", id: "ShowPhoneScreenshot", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: a PNG capture of a running phone's screen, at most 2 s old (any user of the project, read-only users too). " +
				"Malformed id: 400 CPS.0004; unknown phone (or one of another project): 404 CPS.0005; phone not running: 409 CPS.9015; " +
				"its server's agent offline: 503 CPS.9012; no capture within 10 s, or the runtime could not take it: 504 CPS.9016.",
			params:      ps(path("phone_id", "Phone id.")),
			respContent: "image/png", resp: M{"type": "string", "format": "binary"},
			respHeaders: M{
				"X-Screenshot-Taken-At": M{"required": true, "schema": with(typ("string"), "format", "date-time"), "description": "When the control plane received the capture (RFC 3339, UTC)."},
				"Cache-Control":         M{"required": true, "schema": typ("string"), "description": "no-store: every request asks again."},
			}},
		{method: "GET", path: "/opencph/v1/{project_id}/audit-events", id: "ListAuditEvents", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the audit trail of the project, newest first (project admins only; read-only users get 403 CPS.0001): " +
				"every mutating call and every login, success or refusal, with the account's logins not scoped to a project. " +
				"A bad filter is 400 CPS.0010, a bad offset or limit 400 CPS.0002.",
			params: ps(query("since", with(typ("string"), "format", "date-time"), "Events at or after this time (RFC 3339)."),
				query("until", with(typ("string"), "format", "date-time"), "Events before this time (RFC 3339)."),
				query("user", typ("string"), "User id or name."),
				query("operation", typ("string"), "Operation name, e.g. RestartCloudPhone."),
				query("result", enum("string", "success", "failure"), "success: status below 400; failure: 400 and above."),
				query("marker", typ("string"), "next_marker of the previous page: the page starts after that event."),
				query("offset", with(typ("int32"), "minimum", 0), "Events to skip (after the marker, if any)."),
				query("limit", with(typ("int32"), "minimum", 1, "maximum", 100), "Page size, 1-100 (default 100).")),
			resp: obj("request_id hex32!; count int32!; next_marker string; audit_events []@AuditEvent!")},
		{method: "GET", path: "/opencph/v1/{project_id}/jobs", id: "ListRecentJobs", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the project's jobs, newest first (by begin time; the jobs of one request in their order), " +
				"without naming their requests; read-only users may list. A bad status is 400 CPS.0010, a bad offset or limit 400 CPS.0002, " +
				"an overlong request id 400 CPS.9003, a malformed phone id, server id or marker (or one that names no job of the project) 400 CPS.9011.",
			params: ps(query("status", enum("string", "running", "succeeded", "failed", "1", "2", "-1"), "Jobs of this status (name or code)."),
				query("request_id", typ("string"), "Jobs of this asynchronous request."),
				query("phone_id", typ("string"), "Jobs of this phone."),
				query("server_id", typ("string"), "Jobs of this server."),
				query("marker", typ("string"), "next_marker of the previous page: the page starts after that job."),
				query("offset", with(typ("int32"), "minimum", 0), "Jobs to skip (after the marker, if any)."),
				query("limit", with(typ("int32"), "minimum", 1, "maximum", 100), "Page size, 1-100 (default 100).")),
			resp: obj("request_id hex32!; count int32!; next_marker string; jobs []@RecentJob!")},
		{method: "GET", path: "/opencph/v1/{project_id}/fleet-summary", id: "ShowFleetSummary", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the counts of the project's fleet: phones and servers by status (every documented status), " +
				"servers whose agent is connected or not, running jobs and jobs failed in the last hour. Read-only users may read it; " +
				"the counts may be a few seconds old.",
			resp: ref("FleetSummary")},
		{method: "GET", path: "/metrics", id: "Metrics", tag: "opencph", fam: publicFamily, extension: true,
			summary:     "Prometheus metrics (text exposition format), when cphd serves them on the API listener (the default; see --metrics-listen). Aggregates only: no ids, users or projects.",
			respContent: "text/plain", resp: M{"type": "string"}},
		{method: "GET", path: "/healthz", id: "Health", tag: "opencph", fam: publicFamily, extension: true,
			summary: "Health check: 200 when the database answers.", resp: obj("status string!", "status", enum("string", "ok"))},
		{method: "GET", path: "/openapi.json", id: "OpenAPIDocument", tag: "opencph", fam: publicFamily, extension: true,
			summary: "This document.", resp: typ("object")},

		// IAM.
		{method: "POST", path: "/v3/auth/tokens", id: "KeystoneCreateUserTokenByPassword", tag: "iam", fam: iamFamily,
			summary: "Issue a token (password method); the token is in X-Subject-Token.",
			params:  ps(query("nocatalog", typ("string"), "Any value omits the catalog.")),
			body: obj("auth object!", "auth", obj("identity object!; scope ?object",
				"identity", obj("methods []string!; password object!", "password", obj("user object!",
					"user", obj("id string; name string; password string!; domain @IDName"))),
				"scope", with(obj("project object; domain @IDName", "project", obj("id string; name string; domain @IDName")), "nullable", true))),
			status: 201, resp: ref("Token"),
			respHeaders: M{"X-Subject-Token": M{"required": true, "schema": typ("string"), "description": "The issued token."}}},
		{method: "GET", path: "/v3/auth/tokens", id: "KeystoneValidateToken", tag: "iam", fam: iamFamily, summary: "Show a token.",
			params: ps(header("X-Subject-Token", true, "The token to show."), query("nocatalog", typ("string"), "Any value omits the catalog.")),
			resp:   ref("Token"), respHeaders: M{"X-Subject-Token": M{"required": true, "schema": typ("string")}}},
		{method: "HEAD", path: "/v3/auth/tokens", id: "KeystoneCheckToken", tag: "iam", fam: iamFamily, summary: "Check a token: 200 without a body.",
			params: ps(header("X-Subject-Token", true, "The token to check."))},
		{method: "DELETE", path: "/v3/auth/tokens", id: "KeystoneRevokeToken", tag: "iam", fam: iamFamily, summary: "Revoke a token.",
			params: ps(header("X-Subject-Token", true, "The token to revoke.")), status: 204},
		{method: "GET", path: "/v3/projects", id: "KeystoneListProjects", tag: "iam", fam: iamFamily, summary: "List the projects of the caller's account.",
			params: ps(query("name", typ("string"), "Exact project name."), query("domain_id", typ("string"), ""), query("parent_id", typ("string"), ""),
				query("enabled", typ("string"), ""), query("is_domain", typ("string"), "")),
			resp: obj("links object!; projects []@Project!", "links", obj("self string!; previous ?string; next ?string"))},
		{method: "POST", path: "/v3/projects", id: "KeystoneCreateProject", tag: "iam", fam: iamFamily, authenticated: true,
			summary: "Create a project in the caller's account (admins) or in any account (the operator).",
			body:    obj("project object!", "project", obj("name string!; domain_id string; description string")),
			status:  201, resp: obj("project @Project!")},
		{method: "POST", path: "/v3/domains", id: "KeystoneCreateDomain", tag: "iam", fam: iamFamily, authenticated: true,
			summary: "OpenCPH account administration: create an account with its admin user and, optionally, a project (the operator only).",
			body: obj("domain object!; user object!; project object", "domain", obj("name string!"),
				"user", obj("name string; password string!"), "project", obj("name string!")),
			status: 201, resp: obj("domain @Domain!; user @User!; project @Project")},
		{method: "GET", path: "/v3/domains", id: "KeystoneListDomains", tag: "iam", fam: iamFamily,
			summary: "The caller's account (every account for the operator).",
			params:  ps(query("name", typ("string"), "Exact account name.")), resp: obj("domains []@Domain!")},
		{method: "POST", path: "/v3/users", id: "KeystoneCreateUser", tag: "iam", fam: iamFamily, authenticated: true,
			summary: "Create a user (role admin or readonly, default readonly).",
			body:    obj("user object!", "user", obj("name string!; password string!; domain_id string; role string")),
			status:  201, resp: obj("user @User!")},
		{method: "GET", path: "/v3/users", id: "KeystoneListUsers", tag: "iam", fam: iamFamily, summary: "Users of an account.",
			params: ps(query("domain_id", typ("string"), "Account; the caller's by default."), query("name", typ("string"), "Exact user name.")),
			resp:   obj("users []@User!")},
		{method: "PATCH", path: "/v3/users/{user_id}", id: "KeystoneUpdateUserByAdmin", tag: "iam", fam: iamFamily,
			summary: "Disable or enable a user (admins of its account); disabling revokes the user's tokens. 409 for the last enabled admin of an account.",
			params:  ps(path("user_id", "User id.")), body: obj("user object!", "user", obj("enabled bool!")),
			resp: obj("user @User!")},
		{method: "DELETE", path: "/v3/users/{user_id}", id: "KeystoneDeleteUser", tag: "iam", fam: iamFamily,
			summary: "Delete a user with its tokens and access keys (admins of its account). 409 for the last enabled admin of an account.",
			params:  ps(path("user_id", "User id.")), status: 204},
		{method: "POST", path: "/v3/users/{user_id}/password", id: "KeystoneUpdateUserPassword", tag: "iam", fam: iamFamily, authenticated: true,
			summary: "Change a password: a user's own (original_password required) or, for admins, any user's of the account. Revokes the user's tokens.",
			params:  ps(path("user_id", "User id.")), body: obj("user object!", "user", obj("original_password string; password string!")),
			status: 204},
		{method: "PUT", path: "/v3/users/{user_id}/password", id: "UpdateUserPassword", tag: "iam", fam: iamFamily,
			summary: "The same as POST /v3/users/{user_id}/password.",
			params:  ps(path("user_id", "User id.")), body: obj("user object!", "user", obj("original_password string; password string!")),
			status: 204},
		{method: "POST", path: credentials, id: "CreateCredential", tag: "iam", fam: iamFamily, authenticated: true,
			summary: "Create an access key (AK/SK); the secret is shown only here.",
			body:    obj("credential object!", "credential", obj("user_id string!; description string")),
			status:  201, resp: obj("credential @Credential!")},
		{method: "GET", path: credentials, id: "ListCredentials", tag: "iam", fam: iamFamily, summary: "Access keys of a user.",
			params: ps(query("user_id", typ("string"), "The user; the caller by default.")), resp: obj("credentials []@Credential!")},
		{method: "GET", path: credentials + "/{access_key}", id: "ShowCredential", tag: "iam", fam: iamFamily, summary: "One access key.",
			params: ps(path("access_key", "Access key id.")), resp: obj("credential @Credential!")},
		{method: "PUT", path: credentials + "/{access_key}", id: "UpdateCredential", tag: "iam", fam: iamFamily, summary: "Change an access key's status or description.",
			params: ps(path("access_key", "Access key id.")), body: obj("credential object!", "credential", obj("status string; description string")),
			resp: obj("credential @Credential!")},
		{method: "DELETE", path: credentials + "/{access_key}", id: "DeleteCredential", tag: "iam", fam: iamFamily, summary: "Delete an access key.",
			params: ps(path("access_key", "Access key id.")), status: 204},
		{method: "GET", path: "/v3/projects/{project_id}", id: "KeystoneShowProject", tag: "iam", fam: iamFamily, summary: "One project of the caller's account.",
			resp: obj("project @Project!")},
	}
	ops = append(ops, billingOperations()...)
	ops = append(ops, faultOperations()...)
	ops = append(ops, standInOperations()...)
	ops = append(ops, eventOperations()...)
	return ops
}

// with2 returns p marked required or not.
func with2(p param, required bool) param {
	p.required = required
	return p
}

// enrollmentTokenSchema is an enrollment token; withSecret adds the secret
// that only the creation's answer carries.
func enrollmentTokenSchema(withSecret bool) M {
	fields := "id hex32!; project_id string!; description string!; created_by string!; created_at time!; expires_at ?time!; last_used_at ?time!"
	if withSecret {
		fields += "; token string!"
	}
	return obj(fields)
}
