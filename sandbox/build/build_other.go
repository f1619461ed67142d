//go:build !linux

package build

import (
	"errors"

	"github.com/dockling/dockling/sandbox"
)

// Build needs Linux: its RUN steps are containers.
func Build(sb *sandbox.Sandbox, opts Options) (string, error) {
	return "", errors.New("docker build needs Linux")
}
