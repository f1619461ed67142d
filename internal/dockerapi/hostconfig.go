package dockerapi

import "github.com/dockling/dockling/sandbox"

// HostConfig is Docker 20.10's HostConfig block, every field it prints, in its order.
type HostConfig struct {
	Binds           []string
	ContainerIDFile string
	LogConfig       LogConfig
	NetworkMode     string
	PortBindings    map[string][]PortBinding
	RestartPolicy   RestartPolicy
	AutoRemove      bool
	VolumeDriver    string
	VolumesFrom     []string
	CapAdd          []string
	CapDrop         []string
	CgroupnsMode    string
	DNS             []string `json:"Dns"`
	DNSOptions      []string `json:"DnsOptions"`
	DNSSearch       []string `json:"DnsSearch"`
	ExtraHosts      []string
	GroupAdd        []string
	IpcMode         string
	Cgroup          string
	Links           []string
	OomScoreAdj     int
	PidMode         string
	Privileged      bool
	PublishAllPorts bool
	ReadonlyRootfs  bool
	SecurityOpt     []string
	Tmpfs           map[string]string `json:",omitempty"`
	UTSMode         string
	UsernsMode      string
	ShmSize         int64
	Runtime         string
	ConsoleSize     [2]uint
	Isolation       string
	Resources
	Mounts        []Mount `json:",omitempty"`
	MaskedPaths   []string
	ReadonlyPaths []string
	Init          *bool `json:",omitempty"`
}

// Resources are the resource limits embedded in Docker's HostConfig.
type Resources struct {
	CPUShares            int64 `json:"CpuShares"`
	Memory               int64
	NanoCPUs             int64 `json:"NanoCpus"`
	CgroupParent         string
	BlkioWeight          uint16
	BlkioWeightDevice    []any
	BlkioDeviceReadBps   []any
	BlkioDeviceWriteBps  []any
	BlkioDeviceReadIOps  []any
	BlkioDeviceWriteIOps []any
	CPUPeriod            int64 `json:"CpuPeriod"`
	CPUQuota             int64 `json:"CpuQuota"`
	CPURealtimePeriod    int64 `json:"CpuRealtimePeriod"`
	CPURealtimeRuntime   int64 `json:"CpuRealtimeRuntime"`
	CpusetCpus           string
	CpusetMems           string
	Devices              []any
	DeviceCgroupRules    []string
	DeviceRequests       []any
	KernelMemory         int64
	KernelMemoryTCP      int64
	MemoryReservation    int64
	MemorySwap           int64
	MemorySwappiness     *int64
	OomKillDisable       bool
	PidsLimit            *int64
	Ulimits              []any
	CPUCount             int64 `json:"CpuCount"`
	CPUPercent           int64 `json:"CpuPercent"`
	IOMaximumIOps        uint64
	IOMaximumBandwidth   uint64
}

// LogConfig names a container's log driver.
type LogConfig struct {
	Type   string
	Config map[string]string
}

// RestartPolicy is --restart as Docker records it.
type RestartPolicy struct {
	Name              string
	MaximumRetryCount int
}

// PortBinding is one host side of a published port.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// Mount is one --mount as Docker records it in HostConfig.
type Mount struct {
	Type     string `json:",omitempty"`
	Source   string `json:",omitempty"`
	Target   string `json:",omitempty"`
	ReadOnly bool   `json:",omitempty"`
}

func hostConfigOf(c *sandbox.Container) HostConfig {
	h := c.HostConfig
	out := HostConfig{
		LogConfig:     LogConfig{Type: "json-file", Config: map[string]string{}},
		NetworkMode:   h.NetworkMode,
		PortBindings:  map[string][]PortBinding{},
		RestartPolicy: RestartPolicy{Name: "no"},
		AutoRemove:    h.AutoRemove,
		CgroupnsMode:  "host",
		DNS:           []string{}, DNSOptions: []string{}, DNSSearch: []string{},
		IpcMode:     "private",
		SecurityOpt: h.SecurityOpt,
		ShmSize:     64 << 20, // the size of the /dev/shm the runtime mounts
		Runtime:     "runc",   // the OCI runtime whose behaviour the built-in one follows
	}
	if len(out.SecurityOpt) == 0 {
		out.SecurityOpt = nil // Docker's null
	}
	out.Memory, out.NanoCPUs = h.Memory, h.NanoCpus
	if h.RestartPolicy.Name != "" {
		out.RestartPolicy = RestartPolicy(h.RestartPolicy)
	}
	if h.Init {
		out.Init = &h.Init
	}
	if h.PidsLimit > 0 {
		out.PidsLimit = &h.PidsLimit
	}
	out.Binds, out.Tmpfs, out.ReadonlyRootfs = h.Binds, h.Tmpfs, h.ReadonlyRootfs
	out.PublishAllPorts = h.PublishAllPorts
	for port, bs := range h.PortBindings {
		for _, b := range bs {
			out.PortBindings[port] = append(out.PortBindings[port], PortBinding{HostIP: b.HostIp, HostPort: b.HostPort})
		}
	}
	out.BlkioWeightDevice, out.Devices = []any{}, []any{}
	out.MaskedPaths, out.ReadonlyPaths = maskedPaths()
	return out
}
