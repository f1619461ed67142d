//go:build !linux

package session

import (
	"errors"

	"github.com/dockling/dockling/internal/iostreams"
)

// RecordEnv tells the hook that a recorder reads its marks.
const RecordEnv = "DOCKLING_RECORD"

// RecordOptions configure Record.
type RecordOptions struct {
	IO         *iostreams.IOStreams
	Shell      []string
	Env        []string
	SandboxDir string
}

// Record needs Linux's ptys.
func Record(opts RecordOptions) (int, error) {
	return 0, errors.New("dockling record needs Linux")
}
