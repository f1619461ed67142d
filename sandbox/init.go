package sandbox

import (
	"errors"
	"os/exec"
)

// initBinaries are the static inits run --init binds into a container, best first:
// Debian's tini package gives tini-static, its docker.io package docker-init (tini).
// A dynamic tini would need the image's C library, which busybox or scratch lack.
var initBinaries = []string{"tini-static", "docker-init"}

// ErrNoInit is run --init on a machine without a static tini.
var ErrNoInit = errors.New("--init needs a static tini on this machine: install Debian's tini package (apt-get install tini), which provides tini-static")

// findInit is the host's static init binary.
func findInit() (string, error) {
	for _, name := range initBinaries {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	for _, p := range []string{"/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/libexec/docker/docker-init"} {
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoInit
}
