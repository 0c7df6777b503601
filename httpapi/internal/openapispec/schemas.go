package openapispec

// schemas returns components/schemas: the shared objects of the CPH API
// (jobs, phones, servers, flavors, images, encode services, tags), its
// enumerations and the error envelopes.
func schemas() M {
	phoneStatus := enum("int32", 1, 2, 3, 4, 6, 7, 8, -5, -6, -7, -8, -9)
	phoneStatus["description"] = "Phone status: 1 creating, 2 running, 3 resetting, 4 restarting, 6 frozen, 7 stopping, 8 stopped, -5 reset failed, -6 restart failed, -7 abnormal, -8 creation failed, -9 stop failed."
	serverStatus := enum("int32", 0, 1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 13)
	serverStatus["description"] = "Server status: 0/1/3/4 creating, 2 abnormal, 5 normal, 6 deleting, 8 frozen, 10 shut down, 11 shutting down, 12 shutdown failed, 13 starting."
	jobStatus := enum("int32", 1, 2, -1)
	jobStatus["description"] = "Job status: 1 running, 2 succeeded, -1 failed."
	imageStatus := enum("int32", 0, 1, 2)
	imageStatus["description"] = "Custom image status: 0 creating, 1 production (usable), 2 creation failed."
	trafficType := enum("string", "direct", "routing")
	volumeType := enum("string", "SSD", "GPSSD")
	customProperty := M{"type": "object", "additionalProperties": M{"type": "string", "maxLength": 91},
		"description": "User-defined properties: keys of 1-128 characters of [A-Za-z0-9._:-], values of at most 91 bytes; in an update \"\" removes the key."}

	jobElem := func(target string) M {
		return obj(target + " string; job_id hex32; error_code string; error_msg string")
	}
	bandWidth := obj("band_width_id string; band_width_size int32; band_width_charge_mode int32!; band_width_share_type int32!",
		"band_width_charge_mode", enum("int32", 0, 1), "band_width_share_type", enum("int32", 0, 1))
	publicIPNet2 := obj("ids []string; eip object; count int32",
		"eip", obj("type string!", "type", enum("string", "5_telcom", "5_union", "5_bgp", "5_sbgp")))
	dataVolume := obj("volume_type string!; size int32!", "volume_type", volumeType)
	port := obj("name string!; listen_port int32!; internet_accessible string!",
		"listen_port", with(typ("int32"), "minimum", 10000, "maximum", 50000))
	nic := obj("subnet_id string!; ipv6_enable bool; ipv6_bandwidth object", "ipv6_bandwidth", obj("band_width_id string!"))

	return M{
		"AuditEvent": obj("id hex32!; time string!; domain_id string!; project_id string!; user_id string!; user_name string!; " +
			"source_ip string!; operation string!; target_ids []string!; request_id hex32!; status int32!; error_code string!; injected_faults []string"),
		"Error": obj("error_code string!; error_msg string!; request_id hex32!",
			"error_code", with(typ("string"), "minLength", 1), "error_msg", with(typ("string"), "minLength", 1)),
		"KeystoneError":      obj("error object!", "error", obj("code int32!; message string!; title string!")),
		"RequestID":          obj("request_id hex32!"),
		"RequestIDWithError": obj("request_id hex32!; error_code string; error_msg string"),

		"PhoneStatus":  phoneStatus,
		"ServerStatus": serverStatus,
		"JobStatus":    jobStatus,
		"ImageStatus":  imageStatus,

		// Job elements.
		"PhoneJob":        jobElem("phone_id"),
		"ServerJob":       jobElem("server_id"),
		"EncodeServerJob": jobElem("encode_server_id"),
		"RunSyncCommandJob": obj("phone_id string!; job_id hex32; status @JobStatus; error_code ?string; error_msg ?string; execute_msg ?string",
			"execute_msg", with(typ("?string"), "maxLength", 1024)),
		"Job": obj("phone_id string; server_id string; node_id string; encode_server_id string; job_id hex32!; begin_time time!; end_time ?time!; status @JobStatus!; error_code ?string!; error_msg ?string!; execute_msg ?string!"),
		"RecentJob": obj("phone_id string; server_id string; encode_server_id string; job_id hex32!; begin_time time!; end_time ?time!; status @JobStatus!; " +
			"error_code ?string!; error_msg ?string!; execute_msg ?string!; request_id string!; kind string!"),
		"FleetSummary": obj("request_id hex32!; phones int32!; phones_by_status []object!; servers int32!; servers_by_status []object!; "+
			"agents_connected int32!; agents_disconnected int32!; jobs_running int32!; jobs_failed_last_hour int32!; at time!",
			"phones_by_status", M{"type": "array", "items": obj("status int32!; count int32!")},
			"servers_by_status", M{"type": "array", "items": obj("status int32!; count int32!")}),
		"PhoneJobs":        obj("request_id hex32!; jobs []@PhoneJob!"),
		"ServerJobs":       obj("request_id hex32!; jobs []@ServerJob!"),
		"EncodeServerJobs": obj("request_id hex32!; jobs []@EncodeServerJob!"),

		// Phones.
		"PhoneMetadata": obj("order_id string; product_id string"),
		"Phone": obj(`phone_name string!; server_id string!; phone_id string!; phone_model_name string!; image_id string!;
			image_version string!; vnc_enable string!; status @PhoneStatus!; type int32!; imei string!; traffic_type string!;
			volume_mode int32!; availability_zone string!; metadata @PhoneMetadata!; has_encrypt bool!; create_time time!; update_time time!`,
			"type", enum("int32", 0, 1), "vnc_enable", enum("string", "true", "false"), "traffic_type", trafficType, "volume_mode", enum("int32", 0, 1)),
		"PhoneAccessInfo": obj(`type string!; device_ip string; phone_ip string!; listen_port int32!; access_ip string; public_ip string!;
			intranet_ip string; server_ip string!; access_port int32!; phone_ipv6 string; server_ipv6 string`),
		"PhoneDataVolume": obj("volume_type string!; volume_size int32!"),
		"PhoneDetail": obj(`request_id hex32!; phone_name string!; server_id string!; phone_id string!; image_id string!; image_version string!;
			vnc_enable string!; phone_model_name string!; status @PhoneStatus!; access_infos []@PhoneAccessInfo!; property json!;
			metadata @PhoneMetadata!; phone_data_volume @PhoneDataVolume!; imei string!; type int32!; traffic_type string!; volume_mode int32!;
			availability_zone string!; has_encrypt bool!; create_time time!; update_time time!; custom_property object`,
			"property", with(typ("json"), "maxLength", 2048), "traffic_type", trafficType, "custom_property", customProperty),
		"PhoneProperty":      obj("phone_id string!; property json"),
		"ResetPhoneProperty": obj("phone_id string!; property json; factory_reset_enabled bool"),
		"PropertyToUpdate": obj("phone_id string!; property json!; custom_property object",
			"property", M{"type": "string", "description": "A JSON document encoded as a string; \"\" changes no system property (with custom_property)."},
			"custom_property", customProperty),

		// Servers.
		"Address":        obj("intranet_ip string; access_ip string; server_ip string!; public_ip string!"),
		"ServerMetadata": obj("product_id string; order_id string; charging_mode int32", "charging_mode", enum("int32", 0, 1)),
		"Server": obj(`server_name string!; availability_zone string!; server_id string!; server_model_name string!; phone_model_name string!;
			keypair_name string!; status @ServerStatus!; vpc_id string!; cidr string; vpc_cidr string; subnet_id string!; subnet_cidr string;
			addresses []@Address!; resource_project_id string; metadata @ServerMetadata!; network_version string!; enterprise_project_id string;
			create_time time!; update_time time!`, "network_version", enum("string", "v1", "v2")),
		"Bandwidth":       obj("band_width_name string; band_width_id string!; band_width_size int32!; band_width_charge_mode int32; band_width_share_type int32; create_time time; update_time time"),
		"Volume":          obj("volume_name string; volume_id string!; volume_size int32!; volume_type string; create_time time; update_time time"),
		"ShareVolumeInfo": obj("volume_type string; size int32; version int32", "version", enum("int32", 0, 1)),
		"ServerDetail": allOf(ref("Server"),
			obj("request_id hex32!; band_widths []@Bandwidth!; volumes []@Volume!; share_volume_info @ShareVolumeInfo; security_groups []string!")),

		// Flavors and images.
		"PhoneModel": obj(`server_model_name string!; phone_model_name string!; status int32!; cpu int32; memory int32; disk int32;
			resolution string; extend_spec string; spec_code string; phone_capacity int32; image_label string; product_type int32;
			phone_model_version int32; dpi int32; fps string; volume_mode int32; render_fps int32; stream_fps int32`,
			"status", enum("int32", 0, 1)),
		"ServerModelExtendSpec": obj("cpu string; memory string; disk string; network_interface string; gpu string; bms_flavor string; gpu_count int32; numa_count int32; os_volume object",
			"os_volume", obj("size int32; volume_type string")),
		"ServerModel": obj("server_model_name string!; server_type string; cpu int32; memory int32; extend_spec @ServerModelExtendSpec; disk_max_num int32; product_type int32; free_size int32"),
		"PhoneImage": obj("image_name string!; os_type string!; is_public int32!; os_name string!; image_label string!; image_id string!; is_support_encrypt bool!; receive_status int32",
			"is_public", enum("int32", 1, 2),
			"receive_status", with(enum("int32", 0, 1, 2), "description", "Images shared with the project only: 0 pending, 1 accepted, 2 rejected; only accepted ones boot phones."),
			"image_label", enum("string", "cloud_phone", "cloud_phone_1620", "cloud_game", "cloud_game_1620", "qemu_phone")),
		"ListImagesView": obj(`domain_id string!; image_name string!; update_time time!; create_time time!; image_size int64!; project_id string;
			image_id string!; image_version string!; image_type string!; status @ImageStatus!; src_project_id string`,
			"image_type", enum("string", "private", "share")),
		"ListImageMembersView": obj("create_time int64!; update_time int64!; image_id string!; member_id string!; status string",
			"status", enum("string", "pending", "accepted", "rejected")),

		// Encode services.
		"EncodeServerAccessInfo": obj("listen_port int32; access_ip string; intranet_ip string; public_ip string; server_ip string; access_port int32; type string; server_ipv6 string"),
		"EncodeServer": obj(`encode_server_name string; encode_server_id string!; encode_server_ip string; server_id string!; keypair_name string;
			type int32!; status int32!; access_infos []@EncodeServerAccessInfo; encode_server_ipv6 string`,
			"type", enum("int32", 0, 1), "status", enum("int32", 0, 1, 2, 3, 4, 5)),

		// Tags.
		"Tag":      obj("key string!; value string!", "key", with(typ("string"), "minLength", 1, "maxLength", 127), "value", with(typ("string"), "maxLength", 255)),
		"Tags":     obj("key string!; values []string!", "key", with(typ("string"), "minLength", 1, "maxLength", 127), "values", with(typ("[]string"), "maxItems", 10)),
		"Match":    obj("key string!; value string!", "key", enum("string", "resource_name")),
		"Resource": obj("resource_id string!; resource_detail string; resource_name string; tags []@Tag!"),

		// Network and purchase sub-objects.
		"Port":               port,
		"Nic":                nic,
		"NicForSingleServer": obj("subnet_id string!; ipv6_enable bool; ipv6_band_width_id string"),
		"BandWidth":          bandWidth,
		"PublicIP":           publicIPNet2,
		"DataVolume":         dataVolume,

		// Connection infos.
		"ConnectInfo": obj("phone_id string!; access_info object!", "access_info",
			obj("access_ip string; intranet_ip string; access_ipv6 string; access_port int32; session_id string; timestamp string; ticket string")),
		"ConnectErrorInfo": obj("phone_id string!; error_code string!; error_msg string!"),

		// Data export and import.
		"StorageInfo": obj("phone_id string!; include_files []string!; exclude_files []string; bucket_name string!; object_path string!"),
		"RestoreInfo": obj("phone_id string!; bucket_name string!; object_path string!"),

		// IAM.
		"IDName": obj("id string; name string"),
		"Token": obj("token object!", "token", obj(`expires_at itime!; issued_at itime!; methods []string!; user object!; project object;
			domain @IDName; roles []@IDName!; catalog []object`,
			"user", obj("id string!; name string!; domain @IDName!; password_expires_at string"),
			"project", obj("id string!; name string!; domain @IDName!"),
			"catalog", typ("[]@CatalogEntry"))),
		"CatalogEntry": obj("type string!; id string!; name string!; endpoints []object!",
			"endpoints", typ("[]@CatalogEndpoint")),
		"CatalogEndpoint": obj("id string!; interface string!; region string!; region_id string; url string!"),
		"Domain":          obj("id string!; name string!; enabled bool!; links object"),
		"User":            obj("id string!; name string!; domain_id string!; enabled bool!; role string!; password_expires_at ?string; links object", "role", enum("string", "admin", "readonly")),
		"Credential":      obj("access string!; secret string; status string!; user_id string!; description string!; create_time itime!; last_use_time string"),
		"Project":         obj("id string!; name string!; domain_id string!; parent_id string; enabled bool!; is_domain bool; description string; links object"),
	}
}
