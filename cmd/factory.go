// Package cmd is dockling's command line: the cobra tree, one file per command or
// command group. Commands parse flags into an options struct and call the engine
// (package sandbox); they hold no business logic. Main maps errors to exit codes.
package cmd

import (
	"path/filepath"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
)

// Factory hands commands what they need, so tests can swap any of it.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// DataRoot and SandboxName are set from --root/--sandbox, else the environment.
	DataRoot    string
	SandboxName string
	// Sandbox opens the selected sandbox.
	Sandbox func() (*sandbox.Sandbox, error)
}

// NewFactory returns the factory for a real run.
func NewFactory(ios *iostreams.IOStreams) *Factory {
	f := &Factory{IOStreams: ios}
	f.Sandbox = func() (*sandbox.Sandbox, error) {
		dir, err := f.SandboxDir()
		if err != nil {
			return nil, err
		}
		return sandbox.Open(dir)
	}
	return f
}

// Root is the data root: --root, else sandbox.DataRoot's default.
func (f *Factory) Root() (string, error) {
	if f.DataRoot != "" {
		return filepath.Abs(f.DataRoot)
	}
	return sandbox.DataRoot()
}

// SandboxDir is the folder of the selected sandbox.
func (f *Factory) SandboxDir() (string, error) {
	root, err := f.Root()
	if err != nil {
		return "", err
	}
	return sandbox.Dir(root, f.SandboxName)
}
