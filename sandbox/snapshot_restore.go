package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dockling/dockling/internal/rawfile"
	"github.com/dockling/dockling/sandbox/snapshot"
	"github.com/dockling/dockling/sandbox/store"
)

// Restored says what a restore did with the containers that were running when the
// snapshot was taken: each is started again (its command runs afresh on its
// restored files, as after a host's reboot with a restart policy), or, when that
// fails, left exited with the reason.
type Restored struct {
	Restarted []string          // names
	Failed    map[string]string // name → why it could not be started
}

// Restore puts the sandbox back as it was when the snapshot key was taken: every
// container stops; images, tags, containers (records, state, logs, upper folders)
// become the snapshot's; containers and layers made since go. The change is made
// beside the sandbox and swapped in as one (see store.CommitSwap): a crash leaves
// the sandbox as it was or as restored, never between.
//
// A snapshot folder is part of the learner's sandbox and may be forged: its IDs are
// checked, links inside it are copied as links and never followed, and every path
// written is computed from checked IDs beneath the sandbox's own folder.
func (sb *Sandbox) Restore(key string) (Restored, error) {
	var out Restored
	dir, err := sb.snapshotDir(key)
	if err != nil {
		return out, err
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return out, fmt.Errorf("%w for %q", ErrNoSnapshot, key)
	}
	m, err := snapshot.ReadMeta(dir)
	if err != nil {
		return out, err
	}
	if err := sb.stopAll(); err != nil {
		return out, fmt.Errorf("restoring: %w", err)
	}
	release, err := sb.Store.HoldTmp()
	if err != nil {
		return out, err
	}
	stage, newDir, err := sb.Store.StageSwap()
	if err != nil {
		release()
		return out, fmt.Errorf("restoring: %w", err)
	}
	err = sb.Store.Write(func(w *store.Writer) error {
		ops, err := sb.stageRestore(dir, newDir, m)
		if err != nil {
			return err
		}
		return w.CommitSwap(stage, ops)
	})
	release()
	if err != nil {
		sb.discard(stage)
		return out, fmt.Errorf("restoring: %w", err)
	}
	sb.emptyTrash()
	return sb.restart(m), nil
}

// stageRestore builds in newDir what the restore puts in place and lists the changes.
func (sb *Sandbox) stageRestore(dir, newDir string, m snapshot.Meta) ([]store.SwapOp, error) {
	root := sb.Store.Root()
	ops := []store.SwapOp{{Path: "image/overlay2", Put: true}, {Path: "containers", Put: true}}
	if err := os.MkdirAll(filepath.Join(newDir, "image"), 0o700); err != nil {
		return nil, err
	}
	newImage := filepath.Join(newDir, "image", "overlay2")
	if err := snapshot.Clone(filepath.Join(dir, "image"), newImage, snapshot.CloneOptions{Link: true, NoLinks: true}); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(newImage, "layerdb", "tmp"), 0o700); err != nil {
		return nil, err
	}
	// A container that was running gets no state: it is created, then started again.
	running := map[string]bool{}
	for _, c := range m.Containers {
		running[c.ID] = c.Running
	}
	skip := func(rel string) bool {
		id, file, _ := strings.Cut(rel, "/")
		return running[id] && (file == "state.json" || file == "shim.pid")
	}
	if err := snapshot.Clone(filepath.Join(dir, "containers"), filepath.Join(newDir, "containers"), snapshot.CloneOptions{Owner: os.Geteuid() == 0, NoLinks: true, Skip: skip}); err != nil {
		return nil, err
	}
	links := linkSet{root: root, newDir: newDir}
	for _, c := range m.Containers {
		src, rel := layerFolder(root, c)
		put := rel
		if c.Driver == store.DriverVFS {
			put = path.Join("vfs", "dir", c.MountID)
		}
		if err := sb.stageLayer(filepath.Join(dir, rel), filepath.Join(newDir, put), src, c.Driver); err != nil {
			return nil, err
		}
		ops = append(ops, store.SwapOp{Path: put, Put: true})
		if c.Driver == store.DriverOverlay {
			ops = links.keep(ops, c.MountID, filepath.Join(newDir, put))
		}
	}
	ops, err := sb.stageImageLayers(ops, &links, m)
	if err != nil {
		return nil, err
	}
	return sb.dropLiveLayers(ops, &links, m), nil
}

// stageLayer copies a container layer from the snapshot, linking the files the live
// folder (live) has unchanged.
func (sb *Sandbox) stageLayer(from, to, live, driver string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	if fi, err := os.Lstat(live); err != nil || !fi.IsDir() {
		live = ""
	}
	if err := cloneUpper(from, to, live); err != nil {
		return err
	}
	if driver != store.DriverOverlay {
		return nil
	}
	for _, d := range []string{"work", "merged"} {
		if err := os.Mkdir(filepath.Join(to, d), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// stageImageLayers puts back the image layers of the snapshot removed since, from
// the snapshots' layer pool, by rename.
func (sb *Sandbox) stageImageLayers(ops []store.SwapOp, links *linkSet, m snapshot.Meta) ([]store.SwapOp, error) {
	root := sb.Store.Root()
	for _, id := range m.Layers {
		if fi, err := os.Lstat(filepath.Join(root, "overlay2", id)); err == nil && fi.IsDir() {
			continue
		}
		from := filepath.Join(sb.Store.LayerPool(), id)
		if fi, err := os.Lstat(from); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("putting back layer %s: it is neither in the sandbox nor kept with the snapshots", store.ShortID(id))
		}
		ops = append(ops, store.SwapOp{Path: path.Join("overlay2", id), From: path.Join(snapshotsDir, "layers", id)})
		ops = links.keep(ops, id, from)
	}
	return ops, nil
}

// dropLiveLayers removes the container and image layers made since the snapshot.
func (sb *Sandbox) dropLiveLayers(ops []store.SwapOp, links *linkSet, m snapshot.Meta) []store.SwapOp {
	root := sb.Store.Root()
	keep := slices.Clone(m.Layers)
	for _, c := range m.Containers {
		keep = append(keep, c.MountID)
	}
	mounts := filepath.Join(root, "image", "overlay2", "layerdb", "mounts")
	ents, _ := os.ReadDir(mounts)
	for _, e := range ents {
		rw, err := sb.Store.RWLayer(e.Name())
		if err != nil || slices.Contains(keep, rw.MountID) {
			continue
		}
		if rw.Driver == store.DriverVFS {
			ops = append(ops, store.SwapOp{Path: path.Join("vfs", "dir", rw.MountID)})
			continue
		}
		ops = append(links.drop(ops, rw.MountID), store.SwapOp{Path: path.Join("overlay2", rw.MountID)})
	}
	for _, id := range layerCacheIDs(filepath.Join(root, "image", "overlay2")) {
		if !slices.Contains(keep, id) {
			ops = append(links.drop(ops, id), store.SwapOp{Path: path.Join("overlay2", id)})
		}
	}
	return ops
}

// linkSet keeps overlay2/l/<link> → ../<id>/diff right for the layers a restore
// puts or drops.
type linkSet struct{ root, newDir string }

// keep stages the short link of the layer id (its folder, to be put in place, is
// dir) when the sandbox lacks it.
func (l linkSet) keep(ops []store.SwapOp, id, dir string) []store.SwapOp {
	name := readLink(dir)
	if name == "" {
		name = readLink(filepath.Join(l.root, "overlay2", id))
	}
	if name == "" {
		return ops
	}
	if _, err := os.Lstat(filepath.Join(l.root, "overlay2", "l", name)); err == nil {
		return ops
	}
	ldir := filepath.Join(l.newDir, "overlay2", "l")
	if os.MkdirAll(ldir, 0o700) != nil || os.Symlink(filepath.Join("..", id, "diff"), filepath.Join(ldir, name)) != nil {
		return ops
	}
	return append(ops, store.SwapOp{Path: path.Join("overlay2", "l", name), Put: true})
}

// drop removes the short link of the layer id.
func (l linkSet) drop(ops []store.SwapOp, id string) []store.SwapOp {
	if name := readLink(filepath.Join(l.root, "overlay2", id)); name != "" {
		ops = append(ops, store.SwapOp{Path: path.Join("overlay2", "l", name)})
	}
	return ops
}

// readLink reads a layer folder's link file: its short link's name, when well formed.
func readLink(layerDir string) string {
	b, err := rawfile.ReadFile(filepath.Join(layerDir, "link"))
	name := strings.TrimSpace(string(b))
	if err != nil || len(name) != 26 || strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return ""
	}
	return name
}

// restart starts again the containers that were running at the snapshot.
func (sb *Sandbox) restart(m snapshot.Meta) Restored {
	var out Restored
	for _, c := range m.Containers {
		if !c.Running {
			continue
		}
		if _, err := sb.Start(c.ID, false); err != nil {
			if out.Failed == nil {
				out.Failed = map[string]string{}
			}
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			out.Failed[c.Name] = err.Error()
			continue
		}
		out.Restarted = append(out.Restarted, c.Name)
	}
	return out
}
