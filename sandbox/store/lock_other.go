//go:build !linux

package store

import "errors"

var errLockNeedsLinux = errors.New("locking store: dockling needs Linux")

func (s *Store) lock() (func(), error) { return nil, errLockNeedsLinux }

// HoldTmp needs Linux, as every lock of the store.
func (s *Store) HoldTmp() (func(), error) { return nil, errLockNeedsLinux }

func (s *Store) lockTmp() (func(), error) { return nil, errLockNeedsLinux }

func (s *Store) lockIdle() (func(), bool, error) { return nil, false, errLockNeedsLinux }
