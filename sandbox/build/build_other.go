//go:build !linux

package build

import (
	"errors"
	"io"

	"github.com/dockling/dockling/sandbox"
)

// Build needs Linux: its RUN steps are containers.
func Build(sb *sandbox.Sandbox, opts Options) (string, error) {
	return "", errors.New("docker build needs Linux")
}

// StdinContext needs Linux too.
func StdinContext(io.Reader, string) (string, error) {
	return "", errors.New("docker build needs Linux")
}
