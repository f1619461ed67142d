package sandbox

import "errors"

// ErrNoSuchContainer: no container has that name or ID.
var ErrNoSuchContainer = errors.New("no such container")
