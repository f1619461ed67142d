package trash

import (
	"os"
	"path/filepath"
	"testing"
)

// fill makes dir hold two trash entries, one with a folder closed to its owner (as
// overlay leaves work/work), and an entry that is not trash.
func fill(t *testing.T, dir string) {
	t.Helper()
	locked := filepath.Join(dir, Prefix+"a", "work", "work")
	for _, d := range []string{locked, filepath.Join(dir, Prefix+"b", "diff"), filepath.Join(dir, "pull-123")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Empty deletes the trash entries, closed folders included, and nothing else.
func TestEmptyDeletesOnlyTrash(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir)
	if err := Empty(dir); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 1 || got[0] != "pull-123" {
		t.Fatalf("left %v, want only pull-123", got)
	}
}

// Start empties the trash in a process of this binary (the test binary takes the role
// in init, as dockling does).
func TestStartEmptiesInAProcess(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir)
	pid, err := Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Wait(pid); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 1 || got[0] != "pull-123" {
		t.Fatalf("left %v, want only pull-123", got)
	}
}

// A missing trash folder is an error, not a crash.
func TestEmptyMissingFolder(t *testing.T) {
	if err := Empty(filepath.Join(t.TempDir(), "gone")); err == nil {
		t.Fatal("Empty of a missing folder succeeded")
	}
}
