package archive

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fileCap is a VFS_CAP_REVISION_2 security.capability value granting
// cap_net_bind_service (bit 10) as permitted and effective.
func fileCap() string {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000000|1) // revision 2, effective flag
	binary.LittleEndian.PutUint32(b[4:], 1<<10)        // permitted, low word
	return string(b)
}

// diffLayer covers every entry kind WriteDiff has to reproduce, already in the order
// WriteDiff emits (depth-first, names in byte order).
func diffLayer() []tarEntry {
	xattrs := map[string]string{"SCHILY.xattr.user.note": "hello"}
	if isRoot() {
		xattrs["SCHILY.xattr.security.capability"] = fileCap()
	}
	owned := func(h *tar.Header) { h.Uid, h.Gid = 1000, 1001 }
	layer := []tarEntry{
		dirEntry("bin/"),
		reg("bin/a", "shared"),
		hardlinkEntry("bin/b", "bin/a"),
		reg("bin/ping", "elf").with(func(h *tar.Header) { h.Mode = 0o4755; h.PAXRecords = xattrs }),
		symlinkEntry("bin/sh", "busybox"),
		dirEntry("etc/"),
		reg("etc/passwd", "root:x:0:0\n").with(owned),
		// Sorted by the name it deletes ("removed"): WriteDiff sees the device.
		reg("etc/.wh.removed", "").with(func(h *tar.Header) { h.Mode = 0 }),
		dirEntry("opq/").with(func(h *tar.Header) { h.Mode = 0o700 }),
		reg("opq/"+whiteoutOpaque, "").with(func(h *tar.Header) { h.Mode = 0o700; h.ModTime = time.Unix(0, 0) }),
		reg("opq/x", "x"),
		tarEntry{hdr: hdrOf(tar.TypeFifo, "pipe", 0o600)},
	}
	if !isRoot() {
		// Without chown everything ends up owned by the caller, whom the tar names as
		// the containers do: root.
		for i := range layer {
			layer[i].hdr.Uid, layer[i].hdr.Gid = 0, 0
		}
	}
	return layer
}

func writeDiff(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteDiff(&buf, dir); err != nil {
		t.Fatalf("WriteDiff: %v", err)
	}
	return buf.Bytes()
}

// summary is the part of an entry that must survive a round trip.
func summary(e tarEntry) string {
	h := e.hdr
	var xattrs []string
	for k, v := range h.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") {
			xattrs = append(xattrs, fmt.Sprintf("%s=%q", k, v))
		}
	}
	sort.Strings(xattrs)
	return fmt.Sprintf("%s type=%c mode=%o owner=%d:%d mtime=%d link=%q size=%d body=%q xattrs=%v",
		h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.ModTime.Unix(), h.Linkname, h.Size, e.body, xattrs)
}

func TestWriteDiffRoundTrip(t *testing.T) {
	in := diffLayer()
	dir := t.TempDir()
	applyTar(t, dir, callerOpts(), false, in...)
	out := readEntries(t, writeDiff(t, dir))
	if len(out) != len(in) {
		for _, e := range out {
			t.Log(summary(e))
		}
		t.Fatalf("got %d entries, want %d", len(out), len(in))
	}
	for i := range in {
		want, got := in[i], out[i]
		if got.hdr.Name == "etc/.wh.removed" {
			// The whiteout's own metadata is whatever mknod gave it; only its shape counts.
			if got.hdr.Typeflag != tar.TypeReg || got.hdr.Size != 0 {
				t.Errorf("whiteout entry: %s", summary(got))
			}
			continue
		}
		if summary(got) != summary(want) {
			t.Errorf("entry %d:\n got  %s\n want %s", i, summary(got), summary(want))
		}
	}
	for _, e := range out {
		if strings.HasPrefix(e.hdr.Name, "./") || strings.HasPrefix(e.hdr.Name, "/") {
			t.Errorf("entry name %q not Docker style", e.hdr.Name)
		}
	}
}

func TestWriteDiffFixedPoint(t *testing.T) {
	dir := t.TempDir()
	applyTar(t, dir, callerOpts(), false, diffLayer()...)
	// The whiteout device carries its entry's time, not the moment it was made: were it
	// the latter, two extractions a second apart would write different layers.
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "etc", "removed"), &st); err != nil || st.Mtim.Sec != epoch.Unix() {
		t.Fatalf("whiteout device time %d (%v), want the entry's %d", st.Mtim.Sec, err, epoch.Unix())
	}
	first := writeDiff(t, dir)
	if again := writeDiff(t, dir); !bytes.Equal(first, again) {
		t.Fatal("two WriteDiff calls on the same tree differ")
	}
	dir2 := t.TempDir()
	if _, err := Apply(dir2, bytes.NewReader(first), callerOpts()); err != nil {
		t.Fatal(err)
	}
	if second := writeDiff(t, dir2); !bytes.Equal(first, second) {
		t.Error("Apply(WriteDiff(tree)) does not write back the same bytes")
	}
}

func TestWriteTreeKeepsDevicesAndSkipsSockets(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mknod(filepath.Join(dir, "wh"), unix.S_IFCHR, 0); err != nil {
		t.Skipf("mknod 0/0: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lsetxattr(filepath.Join(dir, "d"), opaqueUser, []byte("y"), 0); err != nil {
		t.Skipf("user xattrs: %v", err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	var tree, diff bytes.Buffer
	if err := WriteTree(&tree, dir); err != nil {
		t.Fatal(err)
	}
	if err := WriteDiff(&diff, dir); err != nil {
		t.Fatal(err)
	}
	names := func(b []byte) (out []string) {
		for _, e := range readEntries(t, b) {
			out = append(out, fmt.Sprintf("%s:%c", e.hdr.Name, e.hdr.Typeflag))
		}
		return out
	}
	if got, want := names(tree.Bytes()), []string{"d/:5", "wh:3"}; !equalStrings(got, want) {
		t.Errorf("WriteTree entries %q, want %q", got, want)
	}
	if got, want := names(diff.Bytes()), []string{"d/:5", "d/.wh..wh..opq:0", ".wh.wh:0"}; !equalStrings(got, want) {
		t.Errorf("WriteDiff entries %q, want %q", got, want)
	}
	for _, e := range readEntries(t, tree.Bytes()) {
		if _, ok := e.hdr.PAXRecords["SCHILY.xattr."+opaqueUser]; ok {
			t.Error("overlay xattr leaked into the tar")
		}
	}
}

func TestWriteDiffSharedWhiteoutInode(t *testing.T) {
	// overlayfs links one whiteout inode under many names; each must stay a whiteout.
	dir := t.TempDir()
	if err := unix.Mknod(filepath.Join(dir, "a"), unix.S_IFCHR, 0); err != nil {
		t.Skipf("mknod 0/0: %v", err)
	}
	if err := os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	for _, e := range readEntries(t, writeDiff(t, dir)) {
		if e.hdr.Typeflag != tar.TypeReg || !strings.HasPrefix(e.hdr.Name, ".wh.") {
			t.Errorf("entry %s type %c, want a .wh. file", e.hdr.Name, e.hdr.Typeflag)
		}
	}
}

func TestWriteTreeErrors(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTree(&buf, f); err == nil {
		t.Error("WriteTree on a file succeeded")
	}
	if err := WriteTree(&buf, filepath.Join(f, "missing")); err == nil {
		t.Error("WriteTree on a missing path succeeded")
	}
}

// WriteChanges writes exactly the listed paths: a directory without its content, a
// deletion as a whiteout in its parent, nothing that was not listed.
func TestWriteChangesWritesOnlyTheListedPaths(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc", "home/awesome"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"etc/untouched": "x", "home/awesome/container.txt": "hi"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("container.txt", filepath.Join(root, "home/awesome/link")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := WriteChanges(&buf, root, []PathChange{
		{Path: "etc"}, {Path: "etc/passwd", Deleted: true},
		{Path: "home"}, {Path: "home/awesome"}, {Path: "home/awesome/container.txt"}, {Path: "home/awesome/link"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var got []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		got = append(got, fmt.Sprintf("%s %c %s", h.Name, h.Typeflag, h.Linkname))
	}
	want := []string{
		"etc/ 5 ", "etc/.wh.passwd 0 ", "home/ 5 ", "home/awesome/ 5 ",
		"home/awesome/container.txt 0 ", "home/awesome/link 2 container.txt",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Whiteouts and opaque markers carry the metadata Docker's overlay2 layers give them
// (a layer from `docker save` shows it): a whiteout is mode 0600 with its device's
// time, whatever mode mknod left the device; an opaque marker has its directory's
// permissions and time 0.
func TestWriteDiffWhiteoutMetadataAsDocker(t *testing.T) {
	dir := t.TempDir()
	wh := filepath.Join(dir, "gone")
	if err := unix.Mknod(wh, unix.S_IFCHR, 0); err != nil {
		t.Skipf("mknod 0/0: %v", err)
	}
	when := time.Unix(1700000000, 0)
	if err := os.Chtimes(wh, when, when); err != nil {
		t.Fatal(err)
	}
	opq := filepath.Join(dir, "replaced")
	if err := os.Mkdir(opq, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(opq, when, when); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lsetxattr(opq, opaqueTrusted, []byte("y"), 0); err != nil {
		t.Skipf("setting %s: %v", opaqueTrusted, err)
	}
	got := map[string]string{}
	for _, e := range readEntries(t, writeDiff(t, dir)) {
		got[e.hdr.Name] = fmt.Sprintf("mode=%o mtime=%d", e.hdr.Mode, e.hdr.ModTime.Unix())
	}
	want := map[string]string{
		".wh.gone":                   fmt.Sprintf("mode=600 mtime=%d", when.Unix()),
		"replaced/":                  fmt.Sprintf("mode=750 mtime=%d", when.Unix()),
		"replaced/" + whiteoutOpaque: "mode=750 mtime=0",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %s, want %s", name, got[name], w)
		}
	}
}
