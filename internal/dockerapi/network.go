package dockerapi

import "github.com/dockling/dockling/sandbox"

// NetworkSettings is Docker 20.10's NetworkSettings block, in its order.
type NetworkSettings struct {
	Bridge                 string
	SandboxID              string
	HairpinMode            bool
	LinkLocalIPv6Address   string
	LinkLocalIPv6PrefixLen int
	Ports                  map[string][]PortBinding
	SandboxKey             string
	SecondaryIPAddresses   []any
	SecondaryIPv6Addresses []any
	EndpointID             string
	Gateway                string
	GlobalIPv6Address      string
	GlobalIPv6PrefixLen    int
	IPAddress              string
	IPPrefixLen            int
	IPv6Gateway            string
	MacAddress             string
	Networks               map[string]*EndpointSettings
}

// EndpointSettings is a container's place on one network.
type EndpointSettings struct {
	IPAMConfig          any
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

// networkSettingsOf names the networks the container joined; addresses and ports
// stay zero until the runtime gives containers networks of their own.
func networkSettingsOf(c *sandbox.Container) NetworkSettings {
	out := NetworkSettings{Ports: map[string][]PortBinding{}, Networks: map[string]*EndpointSettings{}}
	for n := range c.NetworkSettings.Networks {
		out.Networks[n] = &EndpointSettings{}
	}
	return out
}
