package dockerapi

import (
	"encoding/json"

	"github.com/dockling/dockling/sandbox"
)

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

// networkSettingsOf is the container's record of its networks (addresses, ports,
// blanked while it is stopped, as Docker shows them) in Docker's shape.
func networkSettingsOf(c *sandbox.Container) NetworkSettings {
	var out NetworkSettings
	if b, err := json.Marshal(c.NetworkSettings); err == nil {
		_ = json.Unmarshal(b, &out) // the same field names: Docker's
	}
	if out.Ports == nil {
		out.Ports = map[string][]PortBinding{}
	}
	if out.Networks == nil {
		out.Networks = map[string]*EndpointSettings{}
	}
	return out
}
