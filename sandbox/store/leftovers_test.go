package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox/trash"
)

// Work in progress is a leftover only once no process holds the tmp folder or the
// writer lock; what others put in tmp (not made with CreateTemp) is never swept.
func TestSweepLeavesLiveWork(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(s.TmpDir(), "bundle-layer-1")
	if err := os.WriteFile(foreign, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	release, err := s.HoldTmp()
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateTemp("load-*.tar")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if moved, err := s.SweepLeftovers(); moved || err != nil {
		t.Fatalf("sweep beside HoldTmp = %v, %v: it took live work", moved, err)
	}
	release()
	err = s.Write(func(*Writer) error {
		if moved, err := s.SweepLeftovers(); moved || err != nil {
			t.Errorf("sweep beside a writer = %v, %v: it took live work", moved, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Name()); err != nil {
		t.Fatalf("live work was removed: %v", err)
	}

	if moved, err := s.SweepLeftovers(); !moved || err != nil {
		t.Fatalf("sweep with no one working = %v, %v, want the leftover moved", moved, err)
	}
	names, _ := os.ReadDir(s.TmpDir())
	if len(names) != 2 || names[0].Name() != "bundle-layer-1" || !strings.HasPrefix(names[1].Name(), trash.Prefix) {
		t.Fatalf("tmp holds %v, want the foreign file and one trash entry", names)
	}
}
