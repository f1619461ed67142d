//go:build !linux

package sandbox

import "os"

// makePrivate creates dir 0700; tightening existing folders is done on Linux.
func makePrivate(dir string) error { return os.MkdirAll(dir, 0o700) }
