//go:build !linux

package session

import (
	"context"
	"os/exec"
)

// runTerminal without Linux's ptys and signals: output is copied and captured.
func (s *Shell) runTerminal(script string, interactive bool) (Result, error) {
	return s.runPipes(context.Background(), script)
}

func ownGroup(cmd *exec.Cmd) {}
