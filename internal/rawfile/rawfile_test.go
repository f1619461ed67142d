package rawfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*1024+7) // larger than the scratch buffer
	files := map[string][]byte{"empty": {}, "small": []byte(`{"a":1}`), "big": big}
	for name, want := range files {
		if err := os.WriteFile(filepath.Join(dir, name), want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range files {
		got, err := ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("ReadFile(%s): got %d bytes, want %d", name, len(got), len(want))
		}
	}
	// The scratch buffer is reused: what one read returned must not change with the next.
	first, _ := ReadFile(filepath.Join(dir, "small"))
	_, _ = ReadFile(filepath.Join(dir, "big"))
	if string(first) != `{"a":1}` {
		t.Errorf("an earlier result changed to %q after a later read", first)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want an fs.ErrNotExist error", err)
	}
	var pe *fs.PathError
	if _, err := ReadFile(dir); !errors.As(err, &pe) {
		t.Errorf("ReadFile(a folder) = %v, want a *fs.PathError", err)
	}
}

func TestDirReadFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "c1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c1", "config.json"), []byte("record"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Name() != dir {
		t.Errorf("Name() = %q, want %q", d.Name(), dir)
	}
	for range 2 { // the second time from the start again
		if names, err := d.Names(); err != nil || len(names) != 1 || names[0] != "c1" {
			t.Errorf("Names() = %q, %v; want [c1]", names, err)
		}
	}
	var parsed string
	if err := d.Parse("c1/config.json", func(b []byte) error { parsed = string(b); return nil }); err != nil || parsed != "record" {
		t.Errorf("Parse(c1/config.json) saw %q, %v; want \"record\"", parsed, err)
	}
	if err := d.Parse("c1/state.json", func([]byte) error { t.Error("Parse called back for a missing file"); return nil }); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Parse(missing) = %v, want an fs.ErrNotExist error", err)
	}
	if _, err := OpenDir(filepath.Join(dir, "c1", "config.json")); err == nil {
		t.Error("OpenDir of a file succeeded")
	}
}
