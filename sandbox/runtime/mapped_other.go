//go:build !linux

package runtime

import "io"

// MappedReadNeeded is false off Linux: there are no containers.
func MappedReadNeeded() bool { return false }

// RunMapped fails: user namespaces need Linux.
func RunMapped(string, []string, io.Reader, io.Writer) error { return ErrUnsupported }
