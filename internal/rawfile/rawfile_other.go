//go:build !linux

package rawfile

import "os"

// ReadFile is os.ReadFile off Linux.
func ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }
