//go:build !linux || !cgo

package nsenter

import "errors"

// Early reports that no init was started early: that needs cgo on Linux.
func Early() (pid int, err error) { return 0, errors.New("built without cgo") }

// EarlyInit reports false: no init is forked early without cgo on Linux.
func EarlyInit() bool { return false }

// Joined reports false: only the constructor joins a container, and it needs cgo on Linux.
func Joined() bool { return false }

// Works reports false: the constructors need cgo on Linux.
func Works() bool { return false }

// Seccomp reports false: only the constructor loads a filter early, and it needs cgo on Linux.
func Seccomp() bool { return false }
