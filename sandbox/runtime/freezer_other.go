//go:build !linux

package runtime

import "context"

// Freezer is a container's freezer cgroup; there are none off Linux.
type Freezer struct{}

// OpenFreezer fails: containers need Linux.
func OpenFreezer(context.Context, string) (*Freezer, error) { return nil, ErrUnsupported }

// Dir is empty off Linux.
func (*Freezer) Dir() string { return "" }

// Freeze fails: containers need Linux.
func (*Freezer) Freeze(context.Context) error { return ErrUnsupported }

// Thaw fails: containers need Linux.
func (*Freezer) Thaw() error { return ErrUnsupported }

// Frozen fails: containers need Linux.
func (*Freezer) Frozen() (bool, error) { return false, ErrUnsupported }

// Close does nothing off Linux.
func (*Freezer) Close() {}

// RemoveFreezer does nothing off Linux.
func RemoveFreezer(string) {}

// FreezerLeftovers finds nothing off Linux.
func FreezerLeftovers(func(id string) bool) []Leftover { return nil }
