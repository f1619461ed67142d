//go:build !linux

package store

import "errors"

func (s *Store) lock() (func(), error) {
	return nil, errors.New("locking store: dockling needs Linux")
}
