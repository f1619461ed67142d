package sandboxview

import (
	"errors"
	"fmt"
)

// ErrUnsafe: a sandbox folder holds something that could make a reader of it
// leave it (a symbolic link, a hard link to another's file, a device), so it is
// not graded.
var ErrUnsafe = errors.New("sandbox folder is unsafe to grade")

// UnsafeError names what made a sandbox folder unsafe: a path inside it, or a
// container of it.
type UnsafeError struct {
	Path string // slash-separated, relative to the folder; or "container NAME"
	What string // "a symbolic link", …
	Why  string // "" for what dockling never makes there
}

func (e *UnsafeError) Error() string {
	why := e.Why
	if why == "" {
		why = "which dockling never makes there (it could lead outside the folder)"
	}
	return fmt.Sprintf("%s: %s is %s, %s", ErrUnsafe, e.Path, e.What, why)
}

func (e *UnsafeError) Unwrap() error { return ErrUnsafe }

// ErrTooLarge: a sandbox folder holds more than the grader copies.
var ErrTooLarge = errors.New("sandbox folder is too large")
