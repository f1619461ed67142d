package dockerapi

import "github.com/dockling/dockling/sandbox"

// NetworkSettings is Docker 20.10's NetworkSettings block, as the container's record
// keeps it (see sandbox/network.go).
type NetworkSettings = sandbox.NetworkSettings

// networkSettingsOf is the container's record of its networks (addresses, ports,
// blanked while it is stopped, as Docker shows them), with Docker's empty maps.
func networkSettingsOf(c *sandbox.Container) NetworkSettings {
	out := c.NetworkSettings
	if out.Ports == nil {
		out.Ports = sandbox.PortMap{}
	}
	if out.Networks == nil {
		out.Networks = map[string]*sandbox.EndpointSettings{}
	}
	return out
}
