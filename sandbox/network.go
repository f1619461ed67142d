package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/dockling/dockling/sandbox/runtime"
)

// ErrNoSuchNetwork: --network named a network dockling does not have.
var ErrNoSuchNetwork = errors.New("network not found")

// The networks every sandbox has, as Docker has them. bridge is the default: a network
// namespace of the container's own, connected to the outside through pasta. host
// shares the machine's; none is a namespace with only lo.
const (
	NetworkBridge  = "bridge"
	NetworkHost    = "host"
	NetworkNone    = "none"
	NetworkDefault = "default" // what Docker records when --network is not given
)

// The default bridge network's addresses, as Docker's docker0 has them.
var (
	bridgeSubnet  = netip.MustParsePrefix("172.17.0.0/16")
	bridgeGateway = netip.MustParseAddr("172.17.0.1")
)

// NetworkNotFoundError names the refused network, in Docker's words.
type NetworkNotFoundError struct{ Name string }

func (e *NetworkNotFoundError) Error() string {
	return fmt.Sprintf("network %s not found", e.Name)
}

func (e *NetworkNotFoundError) Is(target error) bool { return target == ErrNoSuchNetwork }

// NetworkSettings is Docker's NetworkSettings block of a container's record.
type NetworkSettings struct {
	Bridge                 string
	SandboxID              string
	HairpinMode            bool
	LinkLocalIPv6Address   string
	LinkLocalIPv6PrefixLen int
	Ports                  PortMap
	SandboxKey             string
	SecondaryIPAddresses   []string
	SecondaryIPv6Addresses []string
	DefaultNetworkSettings
	Networks map[string]*EndpointSettings

	recorded *NetworkSettings // what settle blanked: the container starts with it
}

// record is the settings as recorded, whatever settle blanked for display.
func (ns *NetworkSettings) record() *NetworkSettings {
	if ns.recorded != nil {
		return ns.recorded
	}
	return ns
}

// DefaultNetworkSettings is the default bridge network's endpoint, which Docker also
// shows at NetworkSettings' top level.
type DefaultNetworkSettings struct {
	EndpointID          string
	Gateway             string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	MacAddress          string
}

// EndpointSettings is a container's place on one network, in Docker's shape.
type EndpointSettings struct {
	IPAMConfig          *struct{}
	Links               []string
	Aliases             []string
	NetworkID           string
	EndpointID          string
	Gateway             string
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
	MacAddress          string
	DriverOpts          map[string]string
}

// top is the endpoint as NetworkSettings' top level shows it.
func (ep *EndpointSettings) top() DefaultNetworkSettings {
	return DefaultNetworkSettings{EndpointID: ep.EndpointID, Gateway: ep.Gateway, IPAddress: ep.IPAddress,
		IPPrefixLen: ep.IPPrefixLen, MacAddress: ep.MacAddress}
}

// NetworkName is the --network value as a network's name: Docker's "default" is bridge.
func NetworkName(mode string) string {
	if mode == NetworkDefault || mode == "" {
		return NetworkBridge
	}
	return mode
}

// checkNetwork refuses a --network value dockling cannot give, and a bridge without pasta.
func checkNetwork(mode string) error {
	switch NetworkName(mode) {
	case NetworkHost, NetworkNone:
		return nil
	case NetworkBridge:
		return runtime.CheckNet()
	}
	return &NetworkNotFoundError{Name: mode}
}

// networkMode is the record's NetworkMode for opts. Without --network a container
// shares the machine's network, unless it publishes ports: then it gets one of its own
// on the default bridge, as Docker gives every container. A network of its own costs
// a pasta per container (about 100 ms to start), too much for every `run`.
func (opts *CreateOptions) networkMode() string {
	switch {
	case opts.NetworkNone:
		return NetworkNone
	case opts.Network == "" && (len(opts.Publish) > 0 || opts.PublishAll):
		return NetworkDefault
	case opts.Network == "":
		return NetworkHost
	}
	return opts.Network
}

// NewNet reports whether the container gets a network namespace of its own.
func (opts *CreateOptions) NewNet() bool { return opts.networkMode() != NetworkHost }

// networkID is a network's ID: the same in every sandbox, as it names the same network.
func networkID(name string) string {
	sum := sha256.Sum256([]byte("dockling network " + name))
	return hex.EncodeToString(sum[:])
}

// joinNetwork fills c's NetworkSettings for its network; others are the records of the
// sandbox's containers, whose addresses are taken.
func joinNetwork(c *Container, others []*Container) {
	name := NetworkName(c.HostConfig.NetworkMode)
	ep := &EndpointSettings{NetworkID: networkID(name), EndpointID: randomID()}
	c.NetworkSettings.SandboxID = randomID()
	c.NetworkSettings.Ports = PortMap{}
	if name == NetworkBridge {
		addr := freeAddress(others)
		ep.IPAddress, ep.IPPrefixLen = addr.String(), bridgeSubnet.Bits()
		ep.Gateway = bridgeGateway.String()
		a := addr.As4()
		ep.MacAddress = fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3])
		c.NetworkSettings.DefaultNetworkSettings = ep.top()
	}
	c.NetworkSettings.Networks = map[string]*EndpointSettings{name: ep}
}

// freeAddress is the lowest bridge address no other container holds.
func freeAddress(others []*Container) netip.Addr {
	taken := map[string]bool{}
	for _, o := range others {
		if ep := o.NetworkSettings.Networks[NetworkBridge]; ep != nil {
			taken[ep.IPAddress] = true
		}
	}
	a := bridgeGateway.Next()
	for taken[a.String()] && bridgeSubnet.Contains(a.Next()) {
		a = a.Next()
	}
	return a
}

// randomID is 64 hex digits, as Docker's endpoint and sandbox IDs are.
func randomID() string {
	b := make([]byte, 32)
	f, err := os.Open("/dev/urandom")
	if err == nil {
		_, _ = f.Read(b)
		f.Close()
	}
	return hex.EncodeToString(b)
}

// settle blanks what only a running container has, as Docker shows a stopped one: no
// addresses, no ports.
func (ns *NetworkSettings) settle(running bool) {
	if running || ns.recorded != nil {
		return
	}
	rec := *ns
	rec.Networks = map[string]*EndpointSettings{}
	for k, v := range ns.Networks {
		rec.Networks[k] = v
	}
	ns.recorded = &rec
	ns.Networks = map[string]*EndpointSettings{}
	ns.DefaultNetworkSettings = DefaultNetworkSettings{}
	ns.SandboxID, ns.SandboxKey, ns.Ports = "", "", PortMap{}
	for name, ep := range rec.Networks {
		if ep != nil {
			ns.Networks[name] = &EndpointSettings{NetworkID: ep.NetworkID, Aliases: ep.Aliases}
		}
	}
}

// netSpec is the runtime's view of c's network: pasta's settings, /etc/hosts and
// /etc/resolv.conf, as Docker writes them for that network.
func netSpec(c *Container, spec *runtime.Spec) {
	mode := NetworkName(c.HostConfig.NetworkMode)
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	switch mode {
	case NetworkHost:
		// Docker copies the machine's files as they are.
		hosts, err := os.ReadFile("/etc/hosts")
		if err == nil {
			spec.Hosts = string(hosts)
		}
		spec.ResolvConf = string(hostResolv)
		return
	case NetworkNone:
		spec.NetworkNone = true
		spec.Hosts = runtime.DefaultHosts
		spec.ResolvConf = containerResolvConf(string(hostResolv))
		return
	}
	ns := c.NetworkSettings.record()
	ep := ns.Networks[mode]
	if ep == nil || ep.IPAddress == "" {
		// A record without an address (written blank): the first one is as good.
		joinNetwork(c, nil)
		ns = &c.NetworkSettings
		ep = ns.Networks[mode]
	}
	spec.Net = &runtime.Net{
		Address: fmt.Sprintf("%s/%d", ep.IPAddress, ep.IPPrefixLen),
		Gateway: ep.Gateway,
		MAC:     ep.MacAddress,
		Ports:   ns.portMaps(),
	}
	spec.Hosts = runtime.DefaultHosts + ep.IPAddress + "\t" + c.Config.Hostname + "\n"
	spec.ResolvConf = containerResolvConf(string(hostResolv))
}

// containerResolvConf is the machine's resolv.conf as Docker gives it to a container
// with a network of its own: nameservers on the machine's loopback cannot be reached
// from there, so they go, and Google's public ones stand in when none is left.
func containerResolvConf(host string) string {
	var out []string
	servers := 0
	for _, line := range strings.Split(host, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if a, err := netip.ParseAddr(f[1]); err == nil && a.IsLoopback() {
				continue
			}
			servers++
		}
		out = append(out, line)
	}
	s := strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
	if servers == 0 {
		s = strings.TrimLeft(s+"nameserver 8.8.8.8\nnameserver 8.8.4.4\n", "\n")
	}
	return s
}
