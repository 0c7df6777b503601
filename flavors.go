package cph

import "strings"

// PhoneModel is a phone flavor.
type PhoneModel struct {
	ServerModelName   string `json:"server_model_name"`
	PhoneModelName    string `json:"phone_model_name"`
	Status            int32  `json:"status"`
	CPU               int32  `json:"cpu"`
	Memory            int32  `json:"memory"`
	Disk              int32  `json:"disk"`
	Resolution        string `json:"resolution"`
	ExtendSpec        string `json:"extend_spec"`
	SpecCode          string `json:"spec_code"`
	PhoneCapacity     int32  `json:"phone_capacity"`
	ImageLabel        string `json:"image_label"`
	ProductType       int32  `json:"product_type"`
	PhoneModelVersion int32  `json:"phone_model_version"`
	DPI               int32  `json:"dpi"`
	FPS               string `json:"fps"`
	VolumeMode        int32  `json:"volume_mode"`
	RenderFPS         int32  `json:"render_fps"`
	StreamFPS         int32  `json:"stream_fps"`

	// ShareDiskGB is the most shared storage a server of this flavor has,
	// in GB; 0 means the flavor has no shared storage.
	ShareDiskGB int32 `json:"-"`
}

// OSVolume is the system disk of a server flavor.
type OSVolume struct {
	Size       int32  `json:"size"`
	VolumeType string `json:"volume_type"`
}

// ServerModelExtendSpec is the hardware description of a server flavor.
type ServerModelExtendSpec struct {
	CPU              string   `json:"cpu"`
	Memory           string   `json:"memory"`
	Disk             string   `json:"disk"`
	NetworkInterface string   `json:"network_interface"`
	GPU              string   `json:"gpu"`
	BMSFlavor        string   `json:"bms_flavor"`
	GPUCount         int32    `json:"gpu_count"`
	NumaCount        int32    `json:"numa_count"`
	OSVolume         OSVolume `json:"os_volume"`
}

// ServerModel is a server flavor.
type ServerModel struct {
	ServerModelName string                `json:"server_model_name"`
	ServerType      string                `json:"server_type"`
	CPU             int32                 `json:"cpu"`
	Memory          int32                 `json:"memory"`
	ExtendSpec      ServerModelExtendSpec `json:"extend_spec"`
	DiskMaxNum      int32                 `json:"disk_max_num"`
	ProductType     int32                 `json:"product_type"`
	FreeSize        int32                 `json:"free_size"`
}

// Generation is the server generation of a server flavor: the flavor of
// a server may only change within its generation.
func (m ServerModel) Generation() string {
	name := strings.TrimPrefix(m.ServerModelName, "physical.")
	return strings.TrimRight(name[:strings.IndexByte(name+".", '.')], "0123456789")
}

// ServerModels returns OpenCPH's catalogue of server flavors.
func ServerModels() []ServerModel {
	return []ServerModel{
		{ServerModelName: "physical.rx1.xlarge", ServerType: "Hi1616", CPU: 64, Memory: 256, DiskMaxNum: 0, ProductType: 0, FreeSize: 1024,
			ExtendSpec: ServerModelExtendSpec{CPU: "Hi1616 64 cores", Memory: "256 GB", Disk: "2 x 1.2 TB SSD", NetworkInterface: "2 x 10GE",
				GPU: "", BMSFlavor: "physical.rx1.xlarge", NumaCount: 2, OSVolume: OSVolume{Size: 40, VolumeType: "SSD"}}},
		{ServerModelName: "physical.rx2.xlarge", ServerType: "Kunpeng920", CPU: 128, Memory: 512, DiskMaxNum: 4, ProductType: 0, FreeSize: 2048,
			ExtendSpec: ServerModelExtendSpec{CPU: "Kunpeng 920 128 cores", Memory: "512 GB", Disk: "2 x 3.2 TB NVMe", NetworkInterface: "2 x 25GE",
				GPU: "", BMSFlavor: "physical.rx2.xlarge", NumaCount: 4, OSVolume: OSVolume{Size: 100, VolumeType: "SSD"}}},
		{ServerModelName: "physical.kg1.4xlarge.a.cp", ServerType: "Kunpeng920", CPU: 128, Memory: 512, DiskMaxNum: 4, ProductType: 1, FreeSize: 2048,
			ExtendSpec: ServerModelExtendSpec{CPU: "Kunpeng 920 128 cores", Memory: "512 GB", Disk: "2 x 3.2 TB NVMe", NetworkInterface: "2 x 25GE",
				GPU: "Radeon Pro WX5100", GPUCount: 4, BMSFlavor: "physical.kg1.4xlarge.a.cp", NumaCount: 4, OSVolume: OSVolume{Size: 100, VolumeType: "SSD"}}},
		{ServerModelName: "physical.rx1.bare", ServerType: "Hi1616", CPU: 64, Memory: 256, DiskMaxNum: 2, ProductType: 0, FreeSize: 1024,
			ExtendSpec: ServerModelExtendSpec{CPU: "Hi1616 64 cores", Memory: "256 GB", Disk: "2 x 1.2 TB SSD", NetworkInterface: "2 x 10GE",
				BMSFlavor: "physical.rx1.bare", NumaCount: 2, OSVolume: OSVolume{Size: 40, VolumeType: "SSD"}}},
	}
}

// PhoneModels returns OpenCPH's catalogue of phone flavors, each tied to a
// server flavor of ServerModels.
func PhoneModels() []PhoneModel {
	return []PhoneModel{
		{ServerModelName: "physical.rx1.xlarge", PhoneModelName: "rx1.cp.c15.d46.e1v1", Status: 1, CPU: 4, Memory: 4096, Disk: 46,
			Resolution: "720x1280", ExtendSpec: `{"cpu_type":"Hi1616"}`, SpecCode: "rx1.cp.c15.d46.e1v1", PhoneCapacity: 3, ImageLabel: "cloud_phone",
			DPI: 320, FPS: "30", RenderFPS: 30, StreamFPS: 30},
		{ServerModelName: "physical.rx1.xlarge", PhoneModelName: "rx1.cp.c60.d46.e1v1", Status: 0, CPU: 2, Memory: 2048, Disk: 46,
			Resolution: "720x1280", ExtendSpec: `{"cpu_type":"Hi1616"}`, SpecCode: "rx1.cp.c60.d46.e1v1", PhoneCapacity: 6, ImageLabel: "cloud_phone",
			DPI: 320, FPS: "30", RenderFPS: 30, StreamFPS: 30},
		{ServerModelName: "physical.rx2.xlarge", PhoneModelName: "rx2.cp.c6.d64.e2v1", Status: 1, CPU: 8, Memory: 8192, Disk: 64,
			Resolution: "1080x1920", ExtendSpec: `{"cpu_type":"Kunpeng920","max_share_disk_size_g":100}`, SpecCode: "rx2.cp.c6.d64.e2v1",
			PhoneCapacity: 3, ImageLabel: "cloud_phone", PhoneModelVersion: 1, DPI: 480, FPS: "60", VolumeMode: 1, RenderFPS: 60, StreamFPS: 60,
			ShareDiskGB: 100},
		{ServerModelName: "physical.kg1.4xlarge.a.cp", PhoneModelName: "kg1.cp.c2.d64.g1", Status: 1, CPU: 16, Memory: 16384, Disk: 64,
			Resolution: "1080x1920", ExtendSpec: `{"gpu":"Radeon Pro WX5100","max_share_disk_size_g":200}`, SpecCode: "kg1.cp.c2.d64.g1",
			PhoneCapacity: 2, ImageLabel: "cloud_game", ProductType: 1, PhoneModelVersion: 1, DPI: 480, FPS: "60", VolumeMode: 1,
			RenderFPS: 60, StreamFPS: 60, ShareDiskGB: 200},
	}
}

// LookupServerModel returns the server flavor with that name.
func LookupServerModel(name string) (ServerModel, bool) {
	for _, m := range ServerModels() {
		if m.ServerModelName == name {
			return m, true
		}
	}
	return ServerModel{}, false
}

// LookupPhoneModel returns the phone flavor with that name.
func LookupPhoneModel(name string) (PhoneModel, bool) {
	for _, m := range PhoneModels() {
		if m.PhoneModelName == name {
			return m, true
		}
	}
	return PhoneModel{}, false
}
