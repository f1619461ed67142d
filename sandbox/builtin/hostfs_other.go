//go:build !linux

package builtin

import (
	"errors"
	"fmt"
)

// errNeedsLinux explains why host-built images are unavailable: they copy
// the host's Linux binaries and libraries.
var errNeedsLinux = errors.New("images built from host files need a linux host")

func defaultHost() hostConfig { return hostConfig{} }

func buildBusybox(hostConfig) (*Image, error) {
	return nil, fmt.Errorf("building busybox: %w", errNeedsLinux)
}

func buildStandin(hostConfig) (*Image, error) {
	return nil, fmt.Errorf("building ubuntu stand-in: %w", errNeedsLinux)
}
