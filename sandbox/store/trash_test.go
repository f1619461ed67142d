package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox/trash"
)

// Trash takes a folder out of the store at once; Check does not take it for a
// leftover; trash.Empty deletes it, folders closed to their owner included.
func TestTrashThenEmpty(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(root, "containers", "x")
	locked := filepath.Join(victim, "work", "work")
	if err := os.MkdirAll(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(locked, "f"), []byte("x"), 0o644)
	os.Chmod(locked, 0) // as overlay leaves it
	if err := s.Write(func(w *Writer) error { return w.Trash(victim) }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(victim); !os.IsNotExist(err) {
		t.Fatalf("the trashed folder is still in place: %v", err)
	}
	entries, _ := os.ReadDir(s.TmpDir())
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), trash.Prefix) {
		t.Fatalf("tmp holds %v, want one trash entry", entries)
	}
	if ps, err := s.Check(); err != nil || len(ps) != 0 {
		t.Fatalf("Check = %v, %v: the trash is not a leftover", ps, err)
	}
	if err := trash.Empty(s.TmpDir()); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(s.TmpDir()); len(entries) != 0 {
		t.Fatalf("tmp still holds %v", entries)
	}
}
