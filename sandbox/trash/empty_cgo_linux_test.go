//go:build linux && cgo

package trash

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The emptying process's C side deletes trash entries without following symbolic
// links out of them, and leaves what is not trash.
func TestEmptyInC(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	keep := filepath.Join(outside, "keep")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(dir, Prefix+"a", "diff", "usr", "lib")
	for _, d := range []string{deep, filepath.Join(dir, "pull-1")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(deep, "f"), filepath.Join(dir, Prefix+"b")} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{"to-file": keep, "to-dir": outside} {
		if err := os.Symlink(target, filepath.Join(deep, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, Prefix+"link")); err != nil {
		t.Fatal(err)
	}
	if !emptyInC(dir) {
		t.Fatal("emptyInC reported a refusal")
	}
	if got := names(t, dir); len(got) != 1 || got[0] != "pull-1" {
		t.Fatalf("left %v, want only pull-1", got)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Fatalf("a file a symbolic link pointed to was touched: %q, %v", b, err)
	}
}

// What the C side cannot delete it leaves to Empty: a tree deeper than it goes, and (for
// a user, whom permissions bind) a folder closed to its owner.
func TestEmptyInCLeavesTheRestToGo(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(append([]string{dir, Prefix + "deep"}, strings.Split(strings.Repeat("d/", 140), "/")...)...)
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if emptyInC(dir) {
		t.Fatal("emptyInC deleted a tree deeper than it should go")
	}
	if got := names(t, dir); len(got) != 1 {
		t.Fatalf("left %v, want the deep entry", got)
	}
	if err := Empty(dir); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Fatalf("Empty left %v", got)
	}

	fill(t, dir) // a closed folder under trash-a
	ok := emptyInC(dir)
	if os.Geteuid() == 0 && !ok {
		t.Error("as root, emptyInC was refused a closed folder")
	}
	if os.Geteuid() != 0 && ok {
		t.Error("as a user, emptyInC deleted a folder closed to its owner")
	}
	if err := Empty(dir); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 1 || got[0] != "pull-123" {
		t.Fatalf("left %v, want only pull-123", got)
	}
}
