package archive

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
)

// A plain copy (docker cp) takes whiteout names literally: a container's file named
// ".wh.NAME" or ".wh..wh..opq" must not delete what is where it is copied to.
func TestApplyPlainKeepsWhiteoutNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"keep", "sub/inside"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("host"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	applyTar(t, dir, ApplyOptions{Rootless: true, Plain: true}, true,
		reg(".wh.keep", "x"),
		reg("sub/.wh..wh..opq", ""),
		deviceEntry(tar.TypeChar, "devform", 0, 0),
	)
	for _, rel := range []string{"keep", "sub/inside", ".wh.keep", "sub/.wh..wh..opq"} {
		if !exists(t, filepath.Join(dir, rel)) {
			t.Errorf("%s is missing after a plain copy", rel)
		}
	}
	if exists(t, filepath.Join(dir, "devform")) {
		t.Error("a 0/0 device was made by a plain copy")
	}
}
