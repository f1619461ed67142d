//go:build !linux

package runtime

import (
	"io"
	"os"
)

// MappedReadNeeded is false off Linux: there are no containers.
func MappedReadNeeded() bool { return false }

// RunMapped fails: user namespaces need Linux.
func RunMapped(string, []string, io.Reader, io.Writer) error { return ErrUnsupported }

// RunContained fails: containers need Linux.
func RunContained(string, *os.File, bool, io.Reader, io.Writer) error { return ErrUnsupported }

// OpenRoot fails: containers need Linux.
func OpenRoot(string) (*os.File, error) { return nil, ErrUnsupported }

// MountRoot fails: containers need Linux.
func MountRoot(*Rootfs, []Mount, bool) (string, error) { return "", ErrUnsupported }

// EnterRoot fails: containers need Linux.
func EnterRoot(string) error { return ErrUnsupported }

// MappedError is a mapped helper's failure; there are none off Linux.
type MappedError struct{ Msg string }

func (e *MappedError) Error() string { return e.Msg }
