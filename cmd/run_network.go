package cmd

import (
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/pflag"
)

// addNetworkFlags adds run's and create's network flags: --network, -p, -P.
func addNetworkFlags(fl *pflag.FlagSet, opts *RunOptions) {
	fl.StringVar(&opts.Network, "network", sandbox.NetworkDefault,
		"Connect a container to a network: bridge (the default: a network of its own, with outbound access), host (the machine's network) or none")
	fl.StringArrayVarP(&opts.Publish, "publish", "p", nil,
		"Publish a container's port to the host: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]; without HOSTPORT a free one is chosen (see docker port)")
	fl.BoolVarP(&opts.PublishAll, "publish-all", "P", false, "Publish all the image's exposed ports (EXPOSE) to free host ports")
}

// networkOptions puts the network flags into co.
func (opts *RunOptions) networkOptions(co *sandbox.CreateOptions) {
	co.Network, co.Publish, co.PublishAll = opts.Network, opts.Publish, opts.PublishAll
	if co.Network == "" {
		co.Network = sandbox.NetworkDefault
	}
}
