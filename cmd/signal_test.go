package cmd

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

// The command context catches Ctrl-C once something waits on it, and is canceled by it.
func TestSignalContextCancelsOnInterrupt(t *testing.T) {
	ctx := &signalContext{}
	defer ctx.stop()
	done := ctx.Done()
	if err := ctx.Err(); err != nil {
		t.Fatalf("Err before any signal = %v", err)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("Err after SIGINT = %v, want context.Canceled", ctx.Err())
	}
}

// Stopped before anything waited, it never catches signals and reads as canceled.
func TestSignalContextStoppedUnused(t *testing.T) {
	ctx := &signalContext{}
	ctx.stop()
	select {
	case <-ctx.Done():
	default:
		t.Fatal("a stopped context is not done")
	}
}
