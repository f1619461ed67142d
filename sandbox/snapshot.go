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
	"syscall"

	"github.com/dockling/dockling/internal/rawfile"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/snapshot"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/dockling/dockling/sandbox/trash"
)

// Snapshots keep a sandbox as it was at the start of each step of a lesson, in
// snapshots/ of the sandbox's folder:
//
//	snapshots/steps/<key>/meta.json          containers (running or not) and image layers
//	snapshots/steps/<key>/image/             image/overlay2: images, tags, layer records, container layers' records
//	snapshots/steps/<key>/containers/<id>/   the containers' records, state and logs
//	snapshots/steps/<key>/overlay2/<mount>/  a container's upper folder (diff, link, lower)
//	snapshots/steps/<key>/vfs/<mount>/       a vfs container's copy
//	snapshots/layers/<cache-id>/             image layers removed since (the store moves them there)
//
// What is replaced by rename (records) and what never changes (other snapshots) is
// hard-linked; image layers are not copied at all, as the store moves a removed one
// to the pool while snapshots are kept; upper folders, which containers change in place, are
// copied, except the files an earlier snapshot (or, restoring, the live folder) has
// unchanged. Journal and progress are not part of a snapshot: the journal is the
// learner's history, which grading trusts.

// ErrNoSnapshot: no snapshot was kept under that key.
var ErrNoSnapshot = errors.New("no snapshot")

const (
	snapshotsDir = "snapshots"
	stepsDir     = "steps"
)

func (sb *Sandbox) snapshotDir(key string) (string, error) {
	if !validSandboxName(key) {
		return "", fmt.Errorf("snapshot %q: %w", key, ErrBadSandboxName)
	}
	return filepath.Join(sb.dir, snapshotsDir, stepsDir, key), nil
}

// Snapshot keeps the sandbox as it is now under key (a step's ID), replacing what
// was kept under it before. A running container's files are copied as they are at
// that moment (it is not paused), and it is marked to be started again on restore. It is made in the tmp folder and renamed into place: a
// crash leaves the old snapshot or the new, and work in progress that the next
// command sweeps.
func (sb *Sandbox) Snapshot(key string) error {
	dst, err := sb.snapshotDir(key)
	if err != nil {
		return err
	}
	release, err := sb.Store.HoldTmp()
	if err != nil {
		return err
	}
	defer release()
	wip, err := sb.Store.MkdirTemp("snap-")
	if err != nil {
		return fmt.Errorf("taking a snapshot: %w", err)
	}
	done := false
	defer func() {
		if !done {
			sb.discard(wip)
		}
	}()
	if err := sb.Store.Write(func(w *store.Writer) error { return sb.fillSnapshot(wip) }); err != nil {
		return fmt.Errorf("taking a snapshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("taking a snapshot: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		sb.discard(dst)
	}
	if err := os.Rename(wip, dst); err != nil {
		return fmt.Errorf("taking a snapshot: %w", err)
	}
	done = true
	return nil
}

// fillSnapshot copies the sandbox's records, containers and upper folders into wip,
// under the writer lock so that no command changes them meanwhile.
func (sb *Sandbox) fillSnapshot(wip string) error {
	root := sb.Store.Root()
	imageTree := filepath.Join(root, "image", "overlay2")
	err := snapshot.Clone(imageTree, filepath.Join(wip, "image"), snapshot.CloneOptions{
		Link: true, Skip: func(rel string) bool { return rel == "layerdb/tmp" },
	})
	if err != nil {
		return err
	}
	if err := snapshot.Clone(sb.Store.ContainersDir(), filepath.Join(wip, "containers"), snapshot.CloneOptions{Owner: os.Geteuid() == 0, NoLinks: true}); err != nil {
		return err
	}
	cs, err := sb.Containers()
	if err != nil {
		return err
	}
	var m snapshot.Meta
	prev := sb.snapshotsHolding()
	for _, c := range cs {
		rw, err := sb.Store.RWLayer(c.ID)
		if err != nil {
			return err
		}
		e := snapshot.Container{ID: c.ID, Name: c.ShortName(), MountID: rw.MountID, Driver: rw.Driver, Running: c.State.Running || c.State.Paused}
		src, rel := layerFolder(root, e)
		if err := cloneUpper(src, filepath.Join(wip, rel), prev(rel)); err != nil {
			return err
		}
		m.Containers = append(m.Containers, e)
	}
	if m.Layers, err = sb.poolLayers(imageTree); err != nil {
		return err
	}
	return snapshot.WriteMeta(wip, m)
}

// layerFolder is a container layer's folder in the sandbox and its path in a
// snapshot (the vfs copy's folder is vfs/dir/<mount> in the sandbox).
func layerFolder(root string, c snapshot.Container) (src, rel string) {
	if c.Driver == store.DriverVFS {
		return filepath.Join(root, "vfs", "dir", c.MountID), path.Join("vfs", c.MountID)
	}
	return filepath.Join(root, "overlay2", c.MountID), path.Join("overlay2", c.MountID)
}

// snapshotsHolding finds, for a container layer's path in a snapshot, the newest
// snapshot that holds it ("" for none): its unchanged files are linked, not copied.
func (sb *Sandbox) snapshotsHolding() func(rel string) string {
	steps := filepath.Join(sb.dir, snapshotsDir, stepsDir)
	ents, _ := os.ReadDir(steps)
	type snap struct {
		dir string
		mod int64
	}
	var snaps []snap
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.IsDir() {
			snaps = append(snaps, snap{filepath.Join(steps, e.Name()), fi.ModTime().UnixNano()})
		}
	}
	slices.SortFunc(snaps, func(a, b snap) int { return int(b.mod - a.mod) })
	return func(rel string) string {
		for _, s := range snaps {
			if fi, err := os.Lstat(filepath.Join(s.dir, rel)); err == nil && fi.IsDir() {
				return filepath.Join(s.dir, rel)
			}
		}
		return ""
	}
}

// cloneUpper copies a container layer's folder (without overlay's work folder and
// mount point), as the containers' root where their files may belong to other ids.
func cloneUpper(src, dst, linkFrom string) error {
	skip := []string{"work", "merged"}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if runtime.MappedReadNeeded() {
		return runMapped(mappedClone, mappedRequest{Clone: &mappedCloneReq{Src: src, Dst: dst, LinkFrom: linkFrom, Skip: skip}}, nil)
	}
	return snapshot.Clone(src, dst, snapshot.CloneOptions{
		LinkFrom: linkFrom, Owner: os.Geteuid() == 0, Skip: func(rel string) bool { return slices.Contains(skip, rel) },
	})
}

// poolLayers makes the snapshots' layer pool, where the store moves the image
// layers it removes from now on (store.LayerPool), and returns the cache IDs of the
// layers recorded in imageTree: those a restore needs.
func (sb *Sandbox) poolLayers(imageTree string) ([]string, error) {
	if err := os.MkdirAll(sb.Store.LayerPool(), 0o700); err != nil {
		return nil, err
	}
	return layerCacheIDs(imageTree), nil
}

// layerCacheIDs are the cache IDs of the layers recorded in an image/overlay2 tree.
func layerCacheIDs(imageTree string) []string {
	dir := filepath.Join(imageTree, "layerdb", "sha256")
	ents, _ := os.ReadDir(dir)
	var ids []string
	for _, e := range ents {
		b, err := rawfile.ReadFile(filepath.Join(dir, e.Name(), "cache-id"))
		if id := strings.TrimSpace(string(b)); err == nil && store.IsFullID(id) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// discard moves a folder of the sandbox to the trash (as a container's files may
// belong to ids the user cannot delete as itself, the trash's emptier does it).
func (sb *Sandbox) discard(p string) {
	if err := os.Rename(p, filepath.Join(sb.Store.TmpDir(), trash.Prefix+store.NewID()[:16])); err == nil {
		sb.emptyTrash()
	}
}

// DropSnapshots removes the snapshots whose keys are not in keep (nil: all of them),
// and the pool's layers no snapshot left needs.
func (sb *Sandbox) DropSnapshots(keep []string) error {
	steps := filepath.Join(sb.dir, snapshotsDir, stepsDir)
	ents, err := os.ReadDir(steps)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	needed := map[string]bool{}
	for _, e := range ents {
		dir := filepath.Join(steps, e.Name())
		if !slices.Contains(keep, e.Name()) {
			sb.discard(dir)
			continue
		}
		if m, err := snapshot.ReadMeta(dir); err == nil {
			for _, l := range m.Layers {
				needed[l] = true
			}
		}
	}
	pool := sb.Store.LayerPool()
	if len(keep) == 0 {
		sb.discard(pool) // no snapshot left: removed layers are deleted again
		return nil
	}
	ents, _ = os.ReadDir(pool)
	for _, e := range ents {
		if !needed[e.Name()] {
			sb.discard(filepath.Join(pool, e.Name()))
		}
	}
	return nil
}

// HasSnapshot reports whether a snapshot is kept under key.
func (sb *Sandbox) HasSnapshot(key string) bool {
	dir, err := sb.snapshotDir(key)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(filepath.Join(dir, snapshot.MetaFile))
	return err == nil && fi.Mode().IsRegular()
}

// stopAll kills every running container and waits for its end: a restore replaces
// their folders, which nothing may be writing into.
func (sb *Sandbox) stopAll() error {
	cs, err := sb.Containers()
	if err != nil {
		return err
	}
	for _, c := range cs {
		if !c.State.Running && !c.State.Paused {
			continue
		}
		dir := sb.containerDir(c.ID)
		if err := runtime.Signal(dir, syscall.SIGKILL); err != nil && !errors.Is(err, runtime.ErrNotRunning) {
			return fmt.Errorf("stopping %s: %w", c.ShortName(), err)
		}
		if _, err := runtime.Wait(dir); err != nil {
			return fmt.Errorf("stopping %s: %w", c.ShortName(), err)
		}
		runtime.RemoveFreezer(dir)
	}
	return nil
}
