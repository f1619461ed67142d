//go:build !linux

package rawfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ReadFile is os.ReadFile off Linux.
func ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// Dir is a folder whose files are read by joined paths off Linux.
type Dir struct{ name string }

// OpenDir checks that name is a folder.
func OpenDir(name string) (*Dir, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOTDIR}
	}
	return &Dir{name: name}, nil
}

// Names lists the folder's entries.
func (d *Dir) Names() ([]string, error) {
	entries, err := os.ReadDir(d.name)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// Parse reads the file at name, relative to the folder, and hands its bytes to parse.
func (d *Dir) Parse(name string, parse func([]byte) error) error {
	b, err := os.ReadFile(filepath.Join(d.name, name))
	if err != nil {
		return err
	}
	return parse(b)
}

// Name is the path the folder was opened with.
func (d *Dir) Name() string { return d.name }

// Close does nothing off Linux.
func (d *Dir) Close() error { return nil }
