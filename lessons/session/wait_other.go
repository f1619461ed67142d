//go:build !linux

package session

import (
	"context"
	"os"
)

func waitReadable(ctx context.Context, f *os.File) error { return ctx.Err() }

func readyNow(f *os.File) bool { return false }
