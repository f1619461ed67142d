// Package outfile writes a command's -o file (save, export, submit) the way a shell's
// redirection would land, without ever replacing what the name stands for: a new or
// regular file is replaced atomically, so no half archive is left; anything else (a
// device such as /dev/null, a FIFO, /dev/stdout, a symbolic link) is opened and
// written into, as Docker's CLI does. Renaming over those would destroy them.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrIsDir: the output names a folder.
var ErrIsDir = errors.New("is a directory")

// Write gives write a writer for path: a temporary file beside a new or regular path,
// renamed over it only once write succeeds; the path itself for anything else.
func Write(path string, write func(io.Writer) error) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist), err == nil && fi.Mode().IsRegular():
		return replace(path, write)
	case err != nil:
		return fmt.Errorf("writing %s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("writing %s: %w", path, ErrIsDir)
	}
	return into(path, write)
}

// replace writes a temporary file beside path and renames it into place.
func replace(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// into opens path, following a symbolic link as a shell's ">" does (the kernel's
// protected_symlinks and protected_fifos guard shared sticky folders such as /tmp),
// and writes into what it finds; a FIFO blocks here until someone reads it.
func into(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	var w io.Writer = f
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() {
		w = &lazyTruncate{f: f}
	}
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if lt, ok := w.(*lazyTruncate); ok && !lt.truncated {
		err = f.Truncate(0) // nothing was written: the output is empty
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// lazyTruncate empties the regular file a link points to only when the first bytes
// are there to replace it, so a command that fails before writing any (no such
// image) leaves the file as it was.
type lazyTruncate struct {
	f         *os.File
	truncated bool
}

func (l *lazyTruncate) Write(p []byte) (int, error) {
	if !l.truncated {
		if err := l.f.Truncate(0); err != nil {
			return 0, err
		}
		l.truncated = true
	}
	return l.f.Write(p)
}
