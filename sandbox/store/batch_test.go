package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBatchWritesEveryFileInPlace(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		t.Run(map[bool]string{false: "synced", true: "nosync"}[noSync], func(t *testing.T) { testBatchWrites(t, noSync) })
	}
}

func testBatchWrites(t *testing.T, noSync bool) {
	dir := t.TempDir()
	for _, d := range []string{"a", "b"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "a", "old"), []byte("before"), 0o644)
	b := Batch{NoSync: noSync}
	b.Put(StepRecord, filepath.Join(dir, "b", "marker"), []byte("exists"), 0o600)
	b.Put(StepContent, filepath.Join(dir, "a", "old"), []byte("after"), 0o644)
	b.Put(StepContent, filepath.Join(dir, "b", "content"), []byte("body"), 0o644)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a/old": "after", "b/content": "body", "b/marker": "exists"} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "b", "marker")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("marker mode %v, %v", fi.Mode(), err)
	}
	assertNoTemp(t, dir)
}

// A step that fails leaves the earlier steps done, the later ones not begun, and no
// temporary file anywhere: what a crash at that point would leave.
func TestBatchFailureLeavesAPrefixOfSteps(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "a"), 0o755)
	os.Mkdir(filepath.Join(dir, "b"), 0o755)
	var b Batch
	b.Put(StepContent, filepath.Join(dir, "a", "content"), []byte("body"), 0o644)
	// Renaming onto a non-empty directory fails: step 1 cannot be put in place.
	os.MkdirAll(filepath.Join(dir, "b", "layer", "x"), 0o755)
	b.Put(StepLayer, filepath.Join(dir, "b", "layer"), []byte("id"), 0o644)
	b.Put(StepRecord, filepath.Join(dir, "b", "record"), []byte("exists"), 0o644)
	if err := b.Commit(); err == nil {
		t.Fatal("commit succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "content")); err != nil {
		t.Errorf("step 0 not in place: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b", "record")); err == nil {
		t.Error("step 2 in place after step 1 failed")
	}
	assertNoTemp(t, dir)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.Contains(fi.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}
