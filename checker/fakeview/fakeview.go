// Package fakeview is an in-memory checker.View for tests: fill in its fields, hand it
// to checks.
package fakeview

import (
	"fmt"
	"io/fs"
	"testing/fstest"
	"time"

	"github.com/dockling/dockling/checker"
)

// View is a sandbox made of plain data.
type View struct {
	ContainerList []checker.Container
	ImageList     []checker.Image
	// Files are the merged file systems of containers and images, by ID.
	Files    map[string]fstest.MapFS
	Changes  map[string][]checker.Change // by container ID
	Commands []checker.Command
	Store    fstest.MapFS
	// ExecFunc answers Exec; without it Exec fails.
	ExecFunc func(checker.ExecRequest) (checker.ExecResult, error)
	// Execs records every Exec request.
	Execs []checker.ExecRequest
	// Err, when set, is returned by every method: a sandbox that cannot be read.
	Err error
}

var _ checker.View = (*View)(nil)

// Containers implements checker.View.
func (v *View) Containers() ([]checker.Container, error) { return v.ContainerList, v.Err }

// Images implements checker.View.
func (v *View) Images() ([]checker.Image, error) { return v.ImageList, v.Err }

func (v *View) files(id, what string) (fs.FS, error) {
	if v.Err != nil {
		return nil, v.Err
	}
	f, ok := v.Files[id]
	if !ok {
		return nil, fmt.Errorf("no such %s: %s", what, id)
	}
	return f, nil
}

// ContainerFS implements checker.View.
func (v *View) ContainerFS(id string) (fs.FS, error) { return v.files(id, "container") }

// ImageFS implements checker.View.
func (v *View) ImageFS(id string) (fs.FS, error) { return v.files(id, "image") }

// Diff implements checker.View.
func (v *View) Diff(id string) ([]checker.Change, error) { return v.Changes[id], v.Err }

// Journal implements checker.View.
func (v *View) Journal() ([]checker.Command, error) { return v.Commands, v.Err }

// Exec implements checker.View.
func (v *View) Exec(req checker.ExecRequest) (checker.ExecResult, error) {
	v.Execs = append(v.Execs, req)
	if v.Err != nil {
		return checker.ExecResult{}, v.Err
	}
	if v.ExecFunc == nil {
		return checker.ExecResult{}, fmt.Errorf("exec is not available in this fake")
	}
	return v.ExecFunc(req)
}

// StoreFS implements checker.View.
func (v *View) StoreFS() (fs.FS, error) {
	if v.Err != nil {
		return nil, v.Err
	}
	if v.Store == nil {
		return fstest.MapFS{}, nil
	}
	return v.Store, nil
}

// Ran appends a command to the journal, numbered after the last one, and returns its
// Seq.
func (v *View) Ran(line string, exit int, output string) int {
	seq := 1
	if n := len(v.Commands); n > 0 {
		seq = v.Commands[n-1].Seq + 1
	}
	v.Commands = append(v.Commands, checker.Command{Seq: seq, Time: time.Unix(int64(seq), 0).UTC(), Line: line, ExitCode: exit, Output: output})
	return seq
}
