package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/role"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/snapshot"
	"github.com/dockling/dockling/sandbox/store"
)

// With a subordinate id range, a rootless container's files may belong to ids the
// user cannot read as itself (apt-get makes _apt-owned 0700 folders). Commit's layer,
// diff's list and export's tar are then read by a helper that is root in a user
// namespace with the containers' mapping (runtime.RunMapped); root and single-id
// rootless read directly.

// Roles of the mapped helper.
const (
	mappedDiff    = "diff"    // the change list, as JSON lines
	mappedLayer   = "layer"   // a commit's layer tar
	mappedExport  = "export"  // export's tar
	mappedDiffDir = "diffdir" // a layer folder's tar, whole (bundles)
	mappedClone   = "clone"   // a snapshot's copy of a container layer (snapshot.go)
)

// mappedRequest is what the helper reads on its stdin.
type mappedRequest struct {
	Layer   store.RWLayer   `json:",omitempty"` // diff, layer
	Changes []mappedChange  `json:",omitempty"` // layer: the list diff made
	Layers  []string        `json:",omitempty"` // export: the container's layers, topmost first
	Dir     string          `json:",omitempty"` // diffdir
	Clone   *mappedCloneReq `json:",omitempty"` // clone
	Copy    *copyRequest    `json:",omitempty"` // cp-out, cp-in (see cp.go)
}

// mappedCloneReq is a snapshot.Clone of a container layer, owners kept.
type mappedCloneReq struct {
	Src, Dst, LinkFrom string
	Skip               []string // paths below Src left out
}

// mappedChange is a Change on the wire.
type mappedChange struct {
	Kind  byte
	Path  string
	IsDir bool `json:",omitempty"`
}

// A dockling re-executed as a mapped helper does only that, in this package's init:
// every binary that links the sandbox (the command line, and the test binaries that
// commit, diff or export a rootless container) plays the helper, never its own main
// (a test binary would run its tests instead and exit 1 with nothing said).
func init() {
	if helper, code := RunHelperRole(); helper {
		os.Exit(code)
	}
}

// RunHelperRole plays the mapped helper's role when this process is one, and says
// so with the exit code; false means it is not a helper. The package's init calls it.
func RunHelperRole() (bool, int) {
	if role.Current() != role.Mapped {
		return false, 0
	}
	task := os.Getenv(role.MappedTask)
	os.Unsetenv(role.MappedTask)
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	err := runMappedRole(task, os.Stdin, out)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return true, 1
	}
	return true, 0
}

func runMappedRole(task string, in io.Reader, out io.Writer) error {
	var req mappedRequest
	dec := json.NewDecoder(in)
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("mapped helper: reading its request: %w", err)
	}
	switch task {
	case mappedCopyOut, mappedCopyIn:
		if req.Copy == nil {
			return fmt.Errorf("mapped helper: %s without its request", task)
		}
		return runCopyRole(task, req.Copy, io.MultiReader(dec.Buffered(), in), out)
	case mappedDiff:
		changes, err := diffLayer(req.Layer)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(out)
		for _, c := range changes {
			if err := enc.Encode(mappedChange{Kind: c.Kind, Path: c.Path, IsDir: c.isDir}); err != nil {
				return err
			}
		}
		return nil
	case mappedLayer:
		changes := make([]Change, len(req.Changes))
		for i, c := range req.Changes {
			changes[i] = Change{Kind: c.Kind, Path: c.Path, isDir: c.IsDir}
		}
		return writeLayer(out, req.Layer, changes)
	case mappedExport:
		return writeExport(out, &layerFS{layers: req.Layers})
	case mappedDiffDir:
		return archive.WriteDiff(out, req.Dir)
	case mappedClone:
		if req.Clone == nil {
			return fmt.Errorf("mapped helper: clone without a request")
		}
		c := req.Clone
		return snapshot.Clone(c.Src, c.Dst, snapshot.CloneOptions{
			LinkFrom: c.LinkFrom, Owner: true, Skip: func(rel string) bool { return slices.Contains(c.Skip, rel) },
		})
	}
	return fmt.Errorf("mapped helper: unknown task %q", task)
}

// runMapped runs the mapped helper's task with req, its output to out.
func runMapped(task string, req mappedRequest, out io.Writer) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	return runtime.RunMapped(task, nil, bytes.NewReader(b), out)
}

// readChanges is diffLayer, through the mapped helper when the files may be
// unreadable to the user.
func readChanges(rw store.RWLayer) ([]Change, error) {
	if !runtime.MappedReadNeeded() {
		return diffLayer(rw)
	}
	var buf bytes.Buffer
	if err := runMapped(mappedDiff, mappedRequest{Layer: rw}, &buf); err != nil {
		return nil, err
	}
	var out []Change
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var c mappedChange
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("reading container changes: %w", err)
		}
		out = append(out, Change{Kind: c.Kind, Path: c.Path, isDir: c.IsDir})
	}
	return out, nil
}

// streamLayer is writeLayer, through the mapped helper when needed.
func streamLayer(w io.Writer, rw store.RWLayer, changes []Change) error {
	if !runtime.MappedReadNeeded() {
		return writeLayer(w, rw, changes)
	}
	if layerWriteHook != nil {
		w = layerWriteHook(w)
	}
	req := mappedRequest{Layer: rw, Changes: make([]mappedChange, len(changes))}
	for i, c := range changes {
		req.Changes[i] = mappedChange{Kind: c.Kind, Path: c.Path, IsDir: c.isDir}
	}
	return runMapped(mappedLayer, req, w)
}

// streamExport is writeExport, through the mapped helper when needed.
func streamExport(w io.Writer, lfs *layerFS) error {
	if !runtime.MappedReadNeeded() {
		return writeExport(w, lfs)
	}
	return runMapped(mappedExport, mappedRequest{Layers: lfs.layers}, w)
}

// WriteDiffDir writes a layer folder (an overlay upper dir) whole as a layer tar, as
// archive.WriteDiff does, through the mapped helper when its files may be unreadable
// to the user: a bundle's layers.
func WriteDiffDir(w io.Writer, dir string) error {
	if !runtime.MappedReadNeeded() {
		return archive.WriteDiff(w, dir)
	}
	return runMapped(mappedDiffDir, mappedRequest{Dir: dir}, w)
}
