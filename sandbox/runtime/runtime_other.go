//go:build !linux

package runtime

import (
	"syscall"
	"time"

	"github.com/dockling/dockling/internal/rawfile"
)

// MaskedPaths are none off Linux.
func MaskedPaths() (masked, readonly []string) { return nil, nil }

// LimitsSupported says no limit can be set off Linux.
func LimitsSupported() (memory, cpu, pids bool) { return false, false, false }

// Init does nothing off Linux.
func Init() {}

// Start fails: containers need Linux.
func Start(Spec, StartOptions) error { return ErrUnsupported }

// Attach fails: containers need Linux.
func Attach(string, Streams) (int, error) { return -1, ErrUnsupported }

// Status fails: containers need Linux.
func Status(string) (State, error) { return State{}, ErrUnsupported }

// Shim is a prepared shim; there are none off Linux.
type Shim struct{}

// PrepareShim fails: containers need Linux.
func PrepareShim(ShimPlan) (*Shim, error) { return nil, ErrUnsupported }

// Start fails: containers need Linux.
func (*Shim) Start(Spec, StartOptions) error { return ErrUnsupported }

// Plan is empty off Linux.
func (*Shim) Plan() ShimPlan { return ShimPlan{} }

// Close does nothing off Linux.
func (*Shim) Close() {}

// StatusIn fails: containers need Linux.
func StatusIn(*rawfile.Dir, string) (State, error) { return State{}, ErrUnsupported }

// Signal fails: containers need Linux.
func Signal(string, syscall.Signal) error { return ErrUnsupported }

// Stop fails: containers need Linux.
func Stop(string, time.Duration) error { return ErrUnsupported }

// Wait fails: containers need Linux.
func Wait(string) (int, error) { return -1, ErrUnsupported }

// Exec fails: containers need Linux.
func Exec(string, Process, Streams) (int, error) { return -1, ErrUnsupported }

// Top fails: containers need Linux.
func Top(string) ([]Proc, error) { return nil, ErrUnsupported }

// Capabilities reports nothing supported off Linux.
func Capabilities() Support {
	return Support{UserNSReason: ErrUnsupported.Error(), OverlayReason: ErrUnsupported.Error()}
}

// ProbeOverlay fails: containers need Linux.
func ProbeOverlay(string) error { return ErrUnsupported }

// DefaultCapabilities is empty off Linux.
func DefaultCapabilities() []string { return nil }
