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

// ReadFile reads the file at name, relative to the folder.
func (d *Dir) ReadFile(name string) ([]byte, error) { return os.ReadFile(filepath.Join(d.name, name)) }

// Parse reads the file at name, relative to the folder, and hands its bytes to parse.
func (d *Dir) Parse(name string, parse func([]byte) error) error {
	b, err := d.ReadFile(name)
	if err != nil {
		return err
	}
	return parse(b)
}

// Name is the path the folder was opened with.
func (d *Dir) Name() string { return d.name }

// Close does nothing off Linux.
func (d *Dir) Close() error { return nil }
