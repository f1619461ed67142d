package sandbox

import (
	"errors"
	"fmt"
)

// ErrNoSuchNetwork: --network named a network dockling does not have.
var ErrNoSuchNetwork = errors.New("network not found")

// The networks a container can join. host is dockling's default (Docker's is its
// bridge network, which dockling does not have yet): the container shares the
// machine's network so apt-get works. none is a network namespace with only lo.
const (
	NetworkHost = "host"
	NetworkNone = "none"
)

// NetworkNotFoundError names the refused network and says what there is instead.
type NetworkNotFoundError struct{ Name string }

func (e *NetworkNotFoundError) Error() string {
	return fmt.Sprintf("network %s not found: dockling has only --network host (its default, the machine's network) and --network none", e.Name)
}

func (e *NetworkNotFoundError) Is(target error) bool { return target == ErrNoSuchNetwork }

// IsNetworkNone reports whether the --network name gives a container no network.
// Any name but host and none is refused: bridge, default and the rest would
// otherwise quietly mean the machine's network, which is not what they ask for.
func IsNetworkNone(name string) (bool, error) {
	switch name {
	case NetworkHost:
		return false, nil
	case NetworkNone:
		return true, nil
	}
	return false, &NetworkNotFoundError{Name: name}
}
