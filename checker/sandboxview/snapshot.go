package sandboxview

import (
	"errors"
	"fmt"
)

// ErrUnsafe: a sandbox folder holds something that could make a reader of it
// leave it (a symbolic link, a hard link to another's file, a device), so it is
// not graded.
var ErrUnsafe = errors.New("sandbox folder is unsafe to grade")

// UnsafeError names what made a sandbox folder unsafe, by its path inside it.
type UnsafeError struct {
	Path string // slash-separated, relative to the folder
	What string // "a symbolic link", …
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("%s: %s is %s, which dockling never makes there (it could lead outside the folder)", ErrUnsafe, e.Path, e.What)
}

func (e *UnsafeError) Unwrap() error { return ErrUnsafe }

// ErrTooLarge: a sandbox folder holds more than the grader copies.
var ErrTooLarge = errors.New("sandbox folder is too large")
