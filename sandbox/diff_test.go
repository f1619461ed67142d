package sandbox

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestOverlayDiffIsWhatCommitCaptures lays out an upper dir the way overlay leaves it
// and checks that diff lists exactly the real changes, and that the committed layer
// holds exactly those: not what was copied up and left as it was.
func TestOverlayDiffIsWhatCommitCaptures(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: whiteouts and trusted.overlay xattrs")
	}
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mtime := time.Unix(1700000000, 0)
	var image bytes.Buffer
	tw := tar.NewWriter(&image)
	for _, h := range []tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5},
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777},
		{Name: "var/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "data/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "data/old/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "data/old/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5},
		{Name: "data/old/sub/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "gone", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5},
	} {
		h.ModTime = mtime
		tw.WriteHeader(&h)
		tw.Write([]byte("12345")[:h.Size])
	}
	tw.Close()
	if _, err := sb.Import(&image, ImportOptions{Ref: "base"}); err != nil {
		t.Fatal(err)
	}
	c, err := sb.Create(CreateOptions{Image: "base", Cmd: []string{"true"}, Name: "edit"})
	if err != nil {
		t.Fatal(err)
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	up := func(p string) string { return filepath.Join(rw.Upper, p) }
	dir := func(p string, mode os.FileMode) {
		if err := os.Mkdir(up(p), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(up(p), mode)
	}
	// /etc copied up only for the runtime's mount point, /etc/passwd copied up as it was.
	dir("etc", 0o755)
	os.WriteFile(up("etc/hosts"), nil, 0o644)
	os.WriteFile(up("etc/passwd"), []byte("12345"), 0o644)
	os.Chtimes(up("etc/passwd"), mtime, mtime)
	// chmod 700 /tmp; chown 1:1 /var.
	dir("tmp", 0o700)
	dir("var", 0o755)
	os.Chown(up("var"), 1, 1)
	// rm -rf /data/old; mkdir /data/old; echo b > /data/old/b.
	dir("data", 0o755)
	dir("data/old", 0o755)
	if err := unix.Lsetxattr(up("data/old"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(up("data/old/b"), []byte("b"), 0o644)
	// rm /gone.
	if err := unix.Mknod(up("gone"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}

	changes, err := sb.Diff("edit")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, string(c.Kind)+" "+c.Path)
	}
	want := []string{"C /data", "C /data/old", "D /data/old/a", "A /data/old/b", "D /data/old/sub", "D /gone", "C /tmp", "C /var"}
	if !slices.Equal(got, want) {
		t.Fatalf("diff:\n%q\nwant:\n%q", got, want)
	}

	res, err := sb.Commit("edit", CommitOptions{Ref: "edited"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := sb.Store.Image(res.ID)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := sb.Store.LayerTar(img.TopLayer())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var names []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "tmp/" && h.Mode != 0o700 || h.Name == "var/" && h.Uid != 1 {
			t.Errorf("%s: mode %o, owner %d", h.Name, h.Mode, h.Uid)
		}
	}
	wantNames := []string{"data/", "data/old/", "data/old/.wh..wh..opq", "data/old/b", ".wh.gone", "tmp/", "var/"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("layer entries:\n%q\nwant:\n%q", names, wantNames)
	}
}

// TestCommitOfCopiedUpOnlyIsEmpty: a container whose upper dir holds only what was
// copied up unchanged commits to an empty layer, as it lists no change.
func TestCommitOfCopiedUpOnlyIsEmpty(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: container layers")
	}
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"true"}, Name: "idle"})
	if err != nil {
		t.Fatal(err)
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// What the runtime leaves: /etc copied up for its mount points.
	lower := &layerFS{layers: rw.Lower}
	fi, err := lower.Lstat("etc")
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(rw.Upper, "etc"), 0o755)
	os.Chmod(filepath.Join(rw.Upper, "etc"), fi.Mode().Perm())
	os.WriteFile(filepath.Join(rw.Upper, "etc", "resolv.conf"), nil, 0o644)
	if changes, err := sb.Diff("idle"); err != nil || len(changes) != 0 {
		t.Fatalf("diff = %v, %v; want nothing", changes, err)
	}
	res, err := sb.Commit("idle", CommitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := sb.Store.Image(res.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := img.Config.History
	if len(img.Config.RootFS.DiffIDs) != 1 || !h[len(h)-1].EmptyLayer {
		t.Fatalf("layers %v, last history %+v: want no new layer", img.Config.RootFS.DiffIDs, h[len(h)-1])
	}
}
