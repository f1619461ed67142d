package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox/trash"
	"golang.org/x/sys/unix"
)

// A swap replaces several folders of the store at once, for a snapshot's restore:
// what is to be put in place is made first in a staging folder (new/<path>), with
// the list of changes (plan.json); one rename of the staging folder to tmp/swap
// commits it, and the renames into place follow. A crash before that commit leaves
// only work in progress (swept as any other); after it, the next Open finishes the
// swap (every step can be done again), so no one sees a sandbox half restored.

const (
	swapDir  = "swap" // in the tmp folder: a committed swap, being applied
	swapPlan = "plan.json"
	swapNew  = "new"
)

// SwapOp is one change of a swap: Path (below the store's root, slash-separated)
// is replaced by new/Path of the staging folder (Put), by the layer pool's folder
// From (a layer moved back from LayerPool), or removed.
type SwapOp struct {
	Path string
	Put  bool
	From string `json:",omitempty"`
}

// ErrBadSwap: a swap's plan names a path outside the store's folders.
var ErrBadSwap = errors.New("bad swap plan")

// StageSwap makes a staging folder for a swap in the tmp folder; its new/ folder is
// where the caller builds what is to be put in place. The caller holds HoldTmp.
func (s *Store) StageSwap() (stage, newDir string, err error) {
	stage, err = s.MkdirTemp("swap-")
	if err != nil {
		return "", "", err
	}
	newDir = filepath.Join(stage, swapNew)
	if err := os.Mkdir(newDir, 0o700); err != nil {
		return "", "", err
	}
	return stage, newDir, nil
}

// CommitSwap commits the swap staged in stage with ops and applies it.
func (w *Writer) CommitSwap(stage string, ops []SwapOp) error {
	for _, op := range ops {
		if !opOK(op) {
			return fmt.Errorf("%w: %q", ErrBadSwap, op.Path)
		}
	}
	b, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	var batch Batch
	batch.Put(StepContent, filepath.Join(stage, swapPlan), b, 0o600)
	if err := batch.Commit(); err != nil {
		return err
	}
	if err := os.Rename(stage, filepath.Join(w.s.tmpDir(), swapDir)); err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	if err := syncDir(w.s.tmpDir()); err != nil {
		return err
	}
	return w.s.applySwap()
}

// finishSwap applies a swap a crash interrupted; cheap when there is none.
func (s *Store) finishSwap() error {
	if _, err := os.Lstat(filepath.Join(s.tmpDir(), swapDir)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Lstat(filepath.Join(s.tmpDir(), swapDir)); errors.Is(err, fs.ErrNotExist) {
		return nil // its owner finished it meanwhile
	}
	return s.applySwap()
}

// applySwap does the renames of the committed swap; each is skipped when done.
// Every path is opened beneath the store's root without following a symbolic
// link, so a plan or a folder laid out by someone else (a learner's sandbox handed
// to grade) cannot move anything outside the root.
func (s *Store) applySwap() error {
	root, err := os.Open(s.root)
	if err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	defer root.Close()
	rfd := int(root.Fd())
	stage := path.Join("tmp", swapDir)
	raw, err := readBeneath(rfd, path.Join(stage, swapPlan))
	if err != nil {
		return fmt.Errorf("restoring: reading the plan: %w", err)
	}
	var ops []SwapOp
	if err := json.Unmarshal(raw, &ops); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSwap, err)
	}
	for _, op := range ops {
		if !opOK(op) {
			return fmt.Errorf("%w: %q", ErrBadSwap, op.Path)
		}
		if err := applyOp(rfd, stage, op); err != nil {
			return fmt.Errorf("restoring %s: %w", op.Path, err)
		}
	}
	if err := renameBeneath(rfd, stage, path.Join("tmp", trash.Prefix+NewID()[:16])); err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	return nil
}

func applyOp(rfd int, stage string, op SwapOp) error {
	staged := path.Join(stage, swapNew, op.Path)
	if op.From != "" {
		staged, op.Put = op.From, true
	}
	if op.Put {
		if !existsBeneath(rfd, staged) {
			return nil // put in place before a crash
		}
	}
	if existsBeneath(rfd, op.Path) {
		if err := renameBeneath(rfd, op.Path, path.Join("tmp", trash.Prefix+NewID()[:16])); err != nil {
			return err
		}
	}
	if !op.Put {
		return nil
	}
	return renameBeneath(rfd, staged, op.Path)
}

// opOK: the op's paths are ones a restore may change; From only a pool's layer.
func opOK(op SwapOp) bool {
	if op.From == "" {
		return swapPathOK(op.Path)
	}
	dir, id := path.Split(op.From)
	return swapPathOK(op.Path) && dir == "snapshots/layers/" && IsFullID(id)
}

// swapPathOK: a clean relative path into one of the folders a restore replaces.
func swapPathOK(p string) bool {
	if p == "" || p != path.Clean(p) || path.IsAbs(p) || strings.HasPrefix(p, "..") {
		return false
	}
	first, _, _ := strings.Cut(p, "/")
	switch first {
	case "image", "containers", "overlay2", "vfs":
		return true
	}
	return false
}

const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// openDirBeneath opens the folder rel below the root open as rfd.
func openDirBeneath(rfd int, rel string) (int, error) {
	if rel == "." || rel == "" {
		return unix.Dup(rfd)
	}
	for {
		fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: beneath})
		if err != unix.EINTR && err != unix.EAGAIN {
			return fd, err
		}
	}
}

func existsBeneath(rfd int, rel string) bool {
	dir, name := path.Split(rel)
	fd, err := openDirBeneath(rfd, path.Clean(dir))
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	return unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

func renameBeneath(rfd int, from, to string) error {
	fdir, fname := path.Split(from)
	tdir, tname := path.Split(to)
	ffd, err := openDirBeneath(rfd, path.Clean(fdir))
	if err != nil {
		return fmt.Errorf("opening %s: %w", fdir, err)
	}
	defer unix.Close(ffd)
	tfd, err := openDirBeneath(rfd, path.Clean(tdir))
	if err != nil {
		return fmt.Errorf("opening %s: %w", tdir, err)
	}
	defer unix.Close(tfd)
	if err := unix.Renameat(ffd, fname, tfd, tname); err != nil {
		return fmt.Errorf("moving %s to %s: %w", from, to, err)
	}
	return unix.Fsync(tfd)
}

func readBeneath(rfd int, rel string) ([]byte, error) {
	fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW, Resolve: beneath})
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 16<<20 {
		return nil, fmt.Errorf("%s is not a plan", rel)
	}
	b := make([]byte, fi.Size())
	_, err = f.ReadAt(b, 0)
	return b, err
}
