package sandboxview

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
)

// Problem is a missing or unreadable part of a sandbox, found by Folders or
// Inspect: grading it would blame the learner for what the copy lost.
type Problem struct {
	// Of is what the part belongs to ("container web (image redis:7)", "image
	// mine:latest"), or "" for the sandbox itself.
	Of string
	// Layer is the chain ID of a missing image layer; "" for any other part.
	Layer string
	Msg   string
}

func (p Problem) String() string {
	if p.Of == "" {
		return p.Msg
	}
	return p.Of + ": " + p.Msg
}

// ErrMissingLayer: a layer an image or container stands on is not on this machine.
var ErrMissingLayer = errors.New("layer is missing")

// MissingLayerError names the missing layer.
type MissingLayerError struct{ ChainID string }

func (e *MissingLayerError) Error() string {
	return fmt.Sprintf("layer %s is not on this machine", shortID(e.ChainID))
}
func (e *MissingLayerError) Unwrap() error { return ErrMissingLayer }

// Folders checks the folders every sandbox has, before opening dir (which would
// make them anew, empty).
func Folders(dir string) []Problem {
	var out []Problem
	for _, f := range []string{"containers", "overlay2", "image/overlay2/imagedb/content/sha256", "image/overlay2/layerdb"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || !fi.IsDir() {
			out = append(out, Problem{Msg: f + "/ is missing"})
		}
	}
	return out
}

// Inspect looks for the parts of an open sandbox its records name but that are
// gone: container records and layer folders, image layers.
func Inspect(sb *sandbox.Sandbox) []Problem {
	var out []Problem
	entries, err := os.ReadDir(sb.Store.ContainersDir())
	if err != nil {
		return []Problem{{Msg: "containers/ cannot be read: " + err.Error()}}
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		id := e.Name()
		of := "container " + shortID(id)
		b, err := os.ReadFile(filepath.Join(sb.Store.ContainersDir(), id, "config.v2.json"))
		var rec struct {
			Name   string
			Config struct{ Image string }
		}
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil {
			out = append(out, Problem{Of: of, Msg: "its record (config.v2.json) is missing or unreadable"})
			continue
		}
		of = fmt.Sprintf("container %s (image %s)", strings.TrimPrefix(rec.Name, "/"), rec.Config.Image)
		rw, err := sb.Store.RWLayer(id)
		if err != nil && !errors.Is(err, store.ErrNoSuchLayer) {
			out = append(out, Problem{Of: of, Msg: "its layer record is missing or unreadable"})
			continue
		}
		top := rw.Upper
		if rw.Driver == store.DriverVFS {
			top = rw.Copy
		}
		if err == nil {
			if _, serr := os.Stat(top); serr != nil {
				out = append(out, Problem{Of: of, Msg: "its layer folder is missing"})
			}
		}
		parent := rw.Parent
		if err != nil { // a missing image layer: find where the chain breaks
			parent = mountParent(sb, id)
		}
		out = append(out, chainProblems(sb, of, parent)...)
	}
	imgs, err := sb.Store.Images()
	if err != nil {
		return append(out, Problem{Msg: "the images cannot be read: " + err.Error()})
	}
	for _, img := range imgs {
		of := "image " + shortID(img.ID)
		if tags, _ := sb.RepoTags(img.ID); len(tags) > 0 {
			of = "image " + tags[0]
		}
		out = append(out, chainProblems(sb, of, img.TopLayer())...)
	}
	return out
}

// mountParent reads a container layer's parent chain ID straight from its record.
func mountParent(sb *sandbox.Sandbox, id string) string {
	b, err := os.ReadFile(filepath.Join(sb.Dir(), "image", "overlay2", "layerdb", "mounts", id, "parent"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// chainProblems walks a layer chain from top down to the first missing part.
func chainProblems(sb *sandbox.Sandbox, of, top string) []Problem {
	for id := top; id != ""; {
		l, err := sb.Store.Layer(id)
		if err != nil {
			return []Problem{{Of: of, Layer: id, Msg: fmt.Sprintf("layer %s is missing", shortID(id))}}
		}
		if _, err := os.Stat(sb.Store.DiffDir(l.CacheID)); err != nil {
			return []Problem{{Of: of, Layer: id, Msg: fmt.Sprintf("layer %s is missing", shortID(id))}}
		}
		id = l.Parent
	}
	return nil
}

// checkLayers says which of an image's or container's layer folders is gone, so a
// file check reports that rather than a file the learner did not make.
func checkLayers(sb *sandbox.Sandbox, top string) error {
	for id := top; id != ""; {
		l, err := sb.Store.Layer(id)
		if err != nil {
			return &MissingLayerError{ChainID: id}
		}
		if _, err := os.Stat(sb.Store.DiffDir(l.CacheID)); err != nil {
			return &MissingLayerError{ChainID: id}
		}
		id = l.Parent
	}
	return nil
}
