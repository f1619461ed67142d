package cmd

import (
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/pflag"
)

// addNetworkFlags adds run's and create's network flags: --network, -p, -P.
func addNetworkFlags(fl *pflag.FlagSet, opts *RunOptions) {
	fl.StringVar(&opts.Network, "network", "",
		"Connect a container to a network: bridge (a network of its own, with outbound access; the default with -p or -P), host (the machine's network; the default otherwise) or none")
	fl.StringArrayVarP(&opts.Publish, "publish", "p", nil,
		"Publish a container's port to the host: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]; without HOSTPORT a free one is chosen (see docker port)")
	fl.BoolVarP(&opts.PublishAll, "publish-all", "P", false, "Publish all the image's exposed ports (EXPOSE) to free host ports")
}

// networkOptions puts the network flags into co.
func (opts *RunOptions) networkOptions(co *sandbox.CreateOptions) {
	co.Network, co.Publish, co.PublishAll = opts.Network, opts.Publish, opts.PublishAll
}
