//go:build !linux

package sandboxview

import (
	"errors"

	"github.com/dockling/dockling/sandbox"
)

// Snapshot needs Linux: grading a sandbox folder copies it with Linux's
// no-follow opens.
func Snapshot(subject, dest string, max int64) (int, error) {
	return -1, errors.New("grading a sandbox folder needs Linux")
}

// Foreign needs Linux, as Snapshot does.
func Foreign(*sandbox.Sandbox, int) error { return errors.New("grading a sandbox folder needs Linux") }
