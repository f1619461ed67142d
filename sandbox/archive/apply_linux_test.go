package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func applyTar(t *testing.T, dir string, opts ApplyOptions, flat bool, e ...tarEntry) applyStats {
	t.Helper()
	st, err := apply(dir, bytes.NewReader(mustTar(t, e...)), opts, flat)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return st
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(t *testing.T, p string) bool {
	t.Helper()
	_, ok := lstat(t, p)
	return ok
}

func TestApplyEntries(t *testing.T) {
	dir := tempDir(t)
	owned := func(h *tar.Header) { h.Uid, h.Gid = 1234, 5678 }
	st := applyTar(t, dir, callerOpts(), false,
		dirEntry("./"),
		dirEntry("bin/"),
		reg("bin/tool", "#!/bin/sh\n").with(func(h *tar.Header) { h.Mode = 0o4755 }),
		hardlinkEntry("bin/tool2", "./bin/tool"),
		symlinkEntry("bin/sh", "/usr/bin/busybox"),
		dirEntry("ro/").with(func(h *tar.Header) { h.Mode = 0o555 }),
		reg("ro/file", "data").with(owned),
		tarEntry{hdr: hdrOf(tar.TypeFifo, "ro/pipe", 0o640)},
		reg("x", "xattr").with(func(h *tar.Header) {
			h.PAXRecords = map[string]string{
				"SCHILY.xattr.user.test":              "v",
				"SCHILY.xattr.trusted.overlay.origin": "forged",
			}
		}),
	)
	if st.bytes != int64(len("#!/bin/sh\n")+len("data")+len("xattr")) {
		t.Errorf("bytes = %d", st.bytes)
	}
	check := func(rel string, typ, perm uint32) unix.Stat_t {
		t.Helper()
		s, ok := lstat(t, filepath.Join(dir, rel))
		if !ok {
			t.Fatalf("%s missing", rel)
		}
		if s.Mode&unix.S_IFMT != typ {
			t.Errorf("%s: type %o, want %o", rel, s.Mode&unix.S_IFMT, typ)
		}
		if typ != unix.S_IFLNK && s.Mode&0o7777 != perm {
			t.Errorf("%s: mode %o, want %o", rel, s.Mode&0o7777, perm)
		}
		if int64(s.Mtim.Sec) != epoch.Unix() {
			t.Errorf("%s: mtime %d, want %d", rel, s.Mtim.Sec, epoch.Unix())
		}
		return s
	}
	check(".", unix.S_IFDIR, 0o755)
	check("bin", unix.S_IFDIR, 0o755)
	tool := check("bin/tool", unix.S_IFREG, 0o4755)
	tool2 := check("bin/tool2", unix.S_IFREG, 0o4755)
	if tool.Ino != tool2.Ino {
		t.Error("hardlink bin/tool2 is not the same inode as bin/tool")
	}
	check("bin/sh", unix.S_IFLNK, 0)
	if target, _ := os.Readlink(filepath.Join(dir, "bin/sh")); target != "/usr/bin/busybox" {
		t.Errorf("symlink target %q", target)
	}
	check("ro", unix.S_IFDIR, 0o555)
	f := check("ro/file", unix.S_IFREG, 0o644)
	if isRoot() && (f.Uid != 1234 || f.Gid != 5678) {
		t.Errorf("owner %d:%d, want 1234:5678", f.Uid, f.Gid)
	}
	check("ro/pipe", unix.S_IFIFO, 0o640)
	if v, err := getxattr(filepath.Join(dir, "x"), "user.test"); err != nil || v != "v" {
		t.Errorf("user.test xattr = %q, %v", v, err)
	}
	if _, err := getxattr(filepath.Join(dir, "x"), "trusted.overlay.origin"); err == nil {
		t.Error("overlay xattr from the tar was applied")
	}
}

func TestApplyRootlessSkipsChown(t *testing.T) {
	if !isRoot() {
		t.Skip("needs root to tell a skipped chown from a failed one")
	}
	dir := t.TempDir()
	applyTar(t, dir, ApplyOptions{Rootless: true}, false,
		reg("f", "x").with(func(h *tar.Header) { h.Uid, h.Gid = 1234, 1234 }))
	if s, _ := lstat(t, filepath.Join(dir, "f")); s.Uid != 0 {
		t.Errorf("rootless apply chowned to %d", s.Uid)
	}
}

func TestApplyWhiteout(t *testing.T) {
	for _, opts := range []ApplyOptions{callerOpts(), {Rootless: true}} {
		dir := t.TempDir()
		applyTar(t, dir, opts, false,
			dirEntry("etc/"),
			reg("etc/gone", "replaced by the whiteout below"),
			reg("etc/.wh.gone", ""),
			reg("etc/sub/.wh.deep", ""), // parent implied
			deviceEntry(tar.TypeChar, "etc/devform", 0, 0),
		)
		for _, rel := range []string{"etc/gone", "etc/sub/deep", "etc/devform"} {
			s, ok := lstat(t, filepath.Join(dir, rel))
			if !ok || s.Mode&unix.S_IFMT != unix.S_IFCHR || s.Rdev != 0 {
				t.Errorf("%s: want a 0/0 char device, got mode %o rdev %d ok %v", rel, s.Mode, s.Rdev, ok)
			}
		}
		if exists(t, filepath.Join(dir, "etc/.wh.gone")) {
			t.Error(".wh. file extracted literally")
		}
	}
}

func TestApplyOpaque(t *testing.T) {
	for _, rootless := range []bool{!isRoot(), true} {
		dir := t.TempDir()
		applyTar(t, dir, ApplyOptions{Rootless: rootless}, false,
			dirEntry("d/"), reg("d/"+whiteoutOpaque, ""), reg("d/keep", "k"))
		d := filepath.Join(dir, "d")
		if exists(t, filepath.Join(d, whiteoutOpaque)) {
			t.Error("opaque marker extracted literally")
		}
		if !exists(t, filepath.Join(d, "keep")) {
			t.Error("entry after the marker missing")
		}
		if v, err := getxattr(d, opaqueUser); err != nil || v != "y" {
			t.Errorf("rootless=%v: %s = %q, %v", rootless, opaqueUser, v, err)
		}
		if !isRoot() {
			t.Log("not root: trusted.overlay.opaque not checked")
			continue
		}
		v, err := getxattr(d, opaqueTrusted)
		if rootless && err == nil {
			t.Errorf("rootless apply set %s", opaqueTrusted)
		}
		if !rootless && (err != nil || v != "y") {
			t.Errorf("%s = %q, %v", opaqueTrusted, v, err)
		}
	}
}

func TestApplyTrustedOpaqueAsRoot(t *testing.T) {
	if !isRoot() {
		t.Skip("trusted.* xattrs need CAP_SYS_ADMIN")
	}
	dir := t.TempDir()
	applyTar(t, dir, callerOpts(), false, reg(whiteoutOpaque, ""))
	if v, err := getxattr(dir, opaqueTrusted); err != nil || v != "y" {
		t.Errorf("root opaque marker: %q, %v", v, err)
	}
}

func TestApplyReplacesEarlierEntries(t *testing.T) {
	dir := t.TempDir()
	applyTar(t, dir, callerOpts(), false,
		reg("f", "one"), reg("f", "two"),
		symlinkEntry("s", "/"), dirEntry("s/"), reg("s/in", "x"),
		dirEntry("d/"), reg("d/child", "x"), reg("d", "now a file"),
		reg("l", "x"), symlinkEntry("l", "f"),
	)
	if got := readFile(t, filepath.Join(dir, "f")); got != "two" {
		t.Errorf("f = %q", got)
	}
	if s, _ := lstat(t, filepath.Join(dir, "s")); s.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Error("symlink s not replaced by a directory")
	}
	if got := readFile(t, filepath.Join(dir, "d")); got != "now a file" {
		t.Errorf("d = %q", got)
	}
	if target, err := os.Readlink(filepath.Join(dir, "l")); err != nil || target != "f" {
		t.Errorf("l -> %q, %v", target, err)
	}
}

func TestApplySkipsAufsMetadata(t *testing.T) {
	dir := t.TempDir()
	applyTar(t, dir, callerOpts(), false,
		dirEntry(".wh..wh.plnk/"), reg(".wh..wh.plnk/123.456", "x"), reg(".wh..wh.aufs", ""), reg("ok", "ok"),
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
			PAXRecords: map[string]string{"comment": "git"}, Format: tar.FormatPAX}},
	)
	if got := dirNames(t, dir); !equalStrings(got, []string{"ok"}) {
		t.Errorf("dir holds %q", got)
	}
}

func TestApplyGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(mustTar(t, reg("hello", "world")))
	zw.Close()
	dir := t.TempDir()
	n, err := Apply(dir, &buf, callerOpts())
	if err != nil || n != 5 {
		t.Fatalf("Apply(gzip) = %d, %v", n, err)
	}
	if got := readFile(t, filepath.Join(dir, "hello")); got != "world" {
		t.Errorf("hello = %q", got)
	}
}

func TestApplyRefusesZstd(t *testing.T) {
	_, err := Apply(t.TempDir(), strings.NewReader("\x28\xb5\x2f\xfdrest"), callerOpts())
	if err == nil || !strings.Contains(err.Error(), "decompress first") {
		t.Errorf("zstd input: %v", err)
	}
}

func TestApplyTruncatedTar(t *testing.T) {
	b := mustTar(t, reg("f", strings.Repeat("x", 2000)))
	_, err := Apply(t.TempDir(), bytes.NewReader(b[:1200]), callerOpts())
	if err == nil {
		t.Error("truncated tar accepted")
	}
}

// lowerTree builds the merged content ApplyFlat starts from.
func lowerTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	applyTar(t, dir, callerOpts(), true,
		dirEntry("etc/"), reg("etc/passwd", "root"), reg("etc/old", "old"),
		dirEntry("etc/old.d/"), reg("etc/old.d/conf", "c"),
		dirEntry("opq/"), reg("opq/lower", "l"), dirEntry("opq/sub/"), reg("opq/sub/lower", "l"),
		dirEntry("var/"), reg("var/log", "l"),
		dirEntry("wasdir/"), reg("wasdir/f", "x"),
	)
	return dir
}

func TestApplyFlat(t *testing.T) {
	dir := lowerTree(t)
	applyTar(t, dir, callerOpts(), true,
		dirEntry("etc/"),
		reg("etc/.wh.old", ""),
		reg("etc/.wh.old.d", ""),
		reg("etc/.wh.never-existed", ""),
		reg("nodir/.wh.x", ""),
		dirEntry("opq/"),
		reg("opq/-before-marker", "mine"), // sorts before ".wh..wh..opq"
		dirEntry("opq/sub/"),
		reg("opq/sub/new", "mine"),
		reg("opq/"+whiteoutOpaque, ""),
		reg("opq/after", "mine"),
		reg("wasdir", "file now"),
		deviceEntry(tar.TypeChar, "var/.wh.ignored-form", 0, 0), // literal 0/0 device: whiteout too
		deviceEntry(tar.TypeChar, "var/log", 0, 0),
	)
	want := map[string]bool{
		"etc/passwd": true, "etc/old": false, "etc/old.d": false, "nodir": false,
		"opq/lower": false, "opq/sub/lower": false,
		"opq/-before-marker": true, "opq/sub/new": true, "opq/after": true,
		"var/log": false, "var/ignored-form": false,
	}
	for rel, present := range want {
		if got := exists(t, filepath.Join(dir, rel)); got != present {
			t.Errorf("%s present = %v, want %v", rel, got, present)
		}
	}
	if got := readFile(t, filepath.Join(dir, "wasdir")); got != "file now" {
		t.Errorf("wasdir = %q", got)
	}
	if _, err := getxattr(filepath.Join(dir, "opq"), opaqueUser); err == nil {
		t.Error("flat apply left an opaque xattr")
	}
}

func TestApplyFlatOpaqueRoot(t *testing.T) {
	dir := lowerTree(t)
	applyTar(t, dir, callerOpts(), true, reg("new/file", "x"), reg(whiteoutOpaque, ""), reg("z", "z"))
	if got := dirNames(t, dir); !equalStrings(got, []string{"new", "z"}) {
		t.Errorf("root holds %q after opaque, want [new z]", got)
	}
}

func TestApplyHardlinks(t *testing.T) {
	dir := t.TempDir()
	applyTar(t, dir, callerOpts(), false,
		reg("a", "content"),
		dirEntry("sub/"),
		hardlinkEntry("sub/b", "a"),
		symlinkEntry("sym", "/etc/passwd"),
		hardlinkEntry("sym2", "sym"), // links the symlink itself, never its target
		hardlinkEntry("self", "self"),
	)
	a, _ := lstat(t, filepath.Join(dir, "a"))
	b, _ := lstat(t, filepath.Join(dir, "sub/b"))
	if a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("a and sub/b: inodes %d/%d, nlink %d", a.Ino, b.Ino, a.Nlink)
	}
	s2, _ := lstat(t, filepath.Join(dir, "sym2"))
	if s2.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Error("hardlink to a symlink followed it")
	}
	for _, bad := range []tarEntry{hardlinkEntry("l", "sub"), hardlinkEntry("l", "."), hardlinkEntry("l", "missing/x")} {
		if _, err := Apply(dir, bytes.NewReader(mustTar(t, bad)), callerOpts()); err == nil {
			t.Errorf("hardlink to %q accepted", bad.hdr.Linkname)
		}
	}
}

func TestApplyRejectsOddOwners(t *testing.T) {
	_, err := Apply(t.TempDir(), bytes.NewReader(mustTar(t, reg("f", "").with(func(h *tar.Header) { h.Uid = -1 }))), callerOpts())
	if err == nil {
		t.Error("negative uid accepted")
	}
}
