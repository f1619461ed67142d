package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// stageFile stages new/<rel> holding content.
func stageFile(t *testing.T, newDir, rel, content string) {
	t.Helper()
	p := filepath.Join(newDir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A swap committed but not applied (the restorer died right after the commit) is
// finished by the next Open: nothing half done is ever seen.
func TestSwapFinishedByNextOpen(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "containers", "old"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(root, "overlay2", "gone")
	if err := os.Mkdir(gone, 0o700); err != nil {
		t.Fatal(err)
	}
	stage, newDir, err := s.StageSwap()
	if err != nil {
		t.Fatal(err)
	}
	stageFile(t, newDir, "containers/new", "new")
	ops := []SwapOp{{Path: "containers", Put: true}, {Path: "overlay2/gone"}}
	// Commit without applying: what a crash right after the commit leaves.
	err = s.Write(func(w *Writer) error {
		var b Batch
		b.Put(StepContent, filepath.Join(stage, swapPlan), mustJSON(t, ops), 0o600)
		if err := b.Commit(); err != nil {
			return err
		}
		return os.Rename(stage, filepath.Join(s.tmpDir(), swapDir))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "containers", "new")); err == nil {
		t.Fatal("the swap was applied before Open")
	}
	if _, err := Open(root, Options{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "containers", "new")); err != nil || string(b) != "new" {
		t.Fatalf("the swap was not finished: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "containers", "old")); err == nil {
		t.Fatal("the old containers folder is still in place")
	}
	if _, err := os.Stat(gone); err == nil {
		t.Fatal("the dropped folder is still there")
	}
	if _, err := os.Lstat(filepath.Join(s.tmpDir(), swapDir)); err == nil {
		t.Fatal("the swap folder is left")
	}
}

// A plan forged in a learner's sandbox cannot move anything outside it: paths that
// climb out are refused, and a folder replaced by a link out is not followed.
func TestSwapForgedPlan(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	forge := func(ops []SwapOp) {
		t.Helper()
		d := filepath.Join(s.tmpDir(), swapDir)
		os.RemoveAll(d)
		stageFile(t, filepath.Join(d, swapNew), "overlay2/x/f", "x")
		if err := os.WriteFile(filepath.Join(d, swapPlan), mustJSON(t, ops), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	forge([]SwapOp{{Path: "../../" + filepath.Base(outside) + "/victim"}})
	if _, err := Open(root, Options{}); !errors.Is(err, ErrBadSwap) {
		t.Fatalf("a plan climbing out: %v, want ErrBadSwap", err)
	}
	// overlay2 itself a link to the outside folder.
	if err := os.RemoveAll(filepath.Join(root, "overlay2")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "overlay2")); err != nil {
		t.Fatal(err)
	}
	forge([]SwapOp{{Path: "overlay2/victim"}, {Path: "overlay2/x", Put: true}})
	if err := s.finishSwap(); err == nil {
		t.Fatal("a swap through a linked folder went ahead")
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "mine" {
		t.Fatalf("the file outside was moved or changed: %q %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(outside, "x")); err == nil {
		t.Fatal("the swap wrote outside the sandbox")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
