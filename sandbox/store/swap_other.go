//go:build !linux

package store

import "errors"

// SwapOp is one change of a swap (see swap_linux.go).
type SwapOp struct {
	Path string
	Put  bool
	From string `json:",omitempty"`
}

// ErrBadSwap: a swap's plan names a path outside the store's folders.
var ErrBadSwap = errors.New("bad swap plan")

var errSwapNeedsLinux = errors.New("restoring a snapshot needs Linux")

// StageSwap needs Linux.
func (s *Store) StageSwap() (stage, newDir string, err error) { return "", "", errSwapNeedsLinux }

// CommitSwap needs Linux.
func (w *Writer) CommitSwap(stage string, ops []SwapOp) error { return errSwapNeedsLinux }

func (s *Store) finishSwap() error { return nil }
