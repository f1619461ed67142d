package builtin

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// buildTwice builds an image twice and checks the results are identical.
func buildTwice(t *testing.T, name string) *Image {
	t.Helper()
	img, err := Build(name)
	if err != nil {
		t.Fatalf("Build(%s): %v", name, err)
	}
	again, err := Build(name)
	if err != nil {
		t.Fatalf("Build(%s) again: %v", name, err)
	}
	if !bytes.Equal(img.Layer, again.Layer) {
		t.Errorf("%s: two builds gave different layers", name)
	}
	checkImage(t, img, name)
	return img
}

// extract unpacks a layer into dir. Test-only: the layer is our own output.
func extract(t *testing.T, layer []byte, dir string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
			if err == nil {
				err = os.Chmod(p, hdr.FileInfo().Mode())
			}
		case tar.TypeSymlink:
			err = os.Symlink(hdr.Linkname, p)
		case tar.TypeReg:
			var data []byte
			if data, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(p, data, hdr.FileInfo().Mode().Perm())
			}
		default:
			t.Fatalf("%s: unexpected type %c", hdr.Name, hdr.Typeflag)
		}
		if err != nil {
			t.Fatalf("extracting %s: %v", hdr.Name, err)
		}
	}
}

// runChrooted runs argv inside root as the container runtime would (minus
// namespaces) and returns its combined output.
func runChrooted(t *testing.T, root string, argv ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Dir = "/"
	cmd.Env = []string{defaultPathEnv, "HOME=/root"}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.EPERM) {
		t.Skipf("chroot not permitted here: %v", err)
	}
	if err != nil {
		t.Fatalf("running %q in the image: %v\n%s", argv, err, out)
	}
	return string(out)
}

// checkDynamicLoader checks that the PT_INTERP of the image's shell exists
// inside the image once symlinks are followed within the extracted root.
func checkDynamicLoader(t *testing.T, root, shell string) {
	t.Helper()
	obj, err := readELF(filepath.Join(root, shell))
	if errors.Is(err, errNotELF) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if obj.interp == "" {
		return // static
	}
	// Resolve component by component, keeping absolute targets inside root.
	p, err := resolveIn(root, obj.interp)
	if err != nil {
		t.Fatalf("loader %s does not resolve inside the image: %v", obj.interp, err)
	}
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("loader %s resolves to %s which is not a regular file (%v)", obj.interp, p, err)
	}
}

func resolveIn(root, p string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
	cur := "/"
	for i := 0; i < len(parts); i++ {
		next := filepath.Join(cur, parts[i])
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(filepath.Join(root, next))
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(cur, target)
			}
			rest := strings.Split(strings.TrimPrefix(filepath.Clean(target), "/"), "/")
			parts = append(rest, parts[i+1:]...)
			cur, i = "/", -1
			continue
		}
		cur = next
	}
	return filepath.Join(root, cur), nil
}

func TestStandin(t *testing.T) {
	img := buildTwice(t, "ubuntu-standin")
	entries, _ := readLayer(t, img.Layer)
	for _, name := range []string{"bin/bash", "bin/sh", "bin/ls", "bin/which", "etc/passwd", "etc/os-release", "tmp/", "sbin/", "usr/sbin/"} {
		if _, ok := entries[name]; !ok {
			t.Errorf("layer lacks %s", name)
		}
	}
	if e := entries["bin/bash"]; e.hdr == nil || e.hdr.Typeflag != tar.TypeReg || e.hdr.Mode != 0o755 {
		t.Errorf("bin/bash is not a regular 0755 file")
	}
	if e := entries["tmp/"]; e.hdr != nil && e.hdr.Mode != 0o1777 {
		t.Errorf("tmp mode = %o, want 1777", e.hdr.Mode)
	}
	if e := entries["usr/bin"]; e.hdr == nil || e.hdr.Typeflag != tar.TypeSymlink || e.hdr.Linkname != "../bin" {
		t.Errorf("usr/bin should be a symlink to ../bin")
	}
	if !strings.Contains(string(entries["etc/os-release"].data), `NAME="dockling stand-in"`) {
		t.Errorf("os-release = %q", entries["etc/os-release"].data)
	}
	for name, e := range entries {
		if e.hdr.Mode&^0o1777 != 0 {
			t.Errorf("%s: mode %o carries setuid/setgid bits", name, e.hdr.Mode)
		}
	}
	labels := img.Config.Config.Labels
	if labels[labelStandin] != "ubuntu" || labels[labelBuiltLocally] == "" || labels[labelNote] == "" {
		t.Errorf("labels = %v", labels)
	}
	if !slices.Equal(img.Config.Config.Cmd, []string{"bash"}) {
		t.Errorf("Cmd = %v", img.Config.Config.Cmd)
	}
	t.Logf("ubuntu-standin layer: %d bytes, %d entries", len(img.Layer), len(entries))

	root := t.TempDir()
	extract(t, img.Layer, root)
	checkDynamicLoader(t, root, "/bin/bash")
	out := runChrooted(t, root, "/bin/bash", "-c", "echo hi; ls /; whoami; cat /etc/os-release; which ls")
	if !strings.HasPrefix(out, "hi\n") || !strings.Contains(out, "root\n") || !strings.Contains(out, "dockling stand-in") ||
		!strings.HasSuffix(out, "/usr/bin/ls\n") {
		t.Errorf("unexpected output:\n%s", out)
	}
	for _, dir := range []string{"bin", "etc", "tmp", "usr"} {
		if !strings.Contains(out, dir+"\n") {
			t.Errorf("ls / output lacks %s:\n%s", dir, out)
		}
	}
}

func TestBusybox(t *testing.T) {
	img := buildTwice(t, "busybox")
	entries, _ := readLayer(t, img.Layer)
	for _, name := range []string{"bin/sh", "etc/passwd", "etc/group", "root/", "tmp/", "proc/", "sys/", "dev/", "home/", "var/", "usr/local/bin/"} {
		if _, ok := entries[name]; !ok {
			t.Errorf("layer lacks %s", name)
		}
	}
	labels := img.Config.Config.Labels
	if !strings.HasPrefix(labels[labelBuiltLocally], "from the host's ") || labels[labelNote] == "" {
		t.Errorf("labels = %v", labels)
	}
	if !slices.Equal(img.Config.Config.Cmd, []string{"sh"}) {
		t.Errorf("Cmd = %v", img.Config.Config.Cmd)
	}
	t.Logf("busybox layer: %d bytes, %d entries, %s", len(img.Layer), len(entries), labels[labelBuiltLocally])

	root := t.TempDir()
	extract(t, img.Layer, root)
	checkDynamicLoader(t, root, "/bin/sh")
	out := runChrooted(t, root, "/bin/sh", "-c", "echo ok; cat /etc/passwd")
	if !strings.HasPrefix(out, "ok\nroot:x:0:0:root:/root:/bin/sh\n") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

// TestBusyboxFromHostBusybox exercises the branch for hosts that have a
// busybox binary, using a stand-in script that answers --list.
func TestBusyboxFromHostBusybox(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = --list ] && printf 'sh\\nls\\ncat\\n../evil\\nls\\n'\n"
	if err := os.WriteFile(filepath.Join(dir, "busybox"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	img, err := buildBusybox(hostConfig{busyboxDirs: []string{dir}, toolDirs: defaultHost().toolDirs})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := readLayer(t, img.Layer)
	if e := entries["bin/busybox"]; e.hdr == nil || string(e.data) != script || e.hdr.Mode != 0o755 {
		t.Fatalf("bin/busybox missing or wrong")
	}
	for _, a := range []string{"sh", "ls", "cat"} {
		if e := entries["bin/"+a]; e.hdr == nil || e.hdr.Typeflag != tar.TypeSymlink || e.hdr.Linkname != "busybox" {
			t.Errorf("bin/%s is not a symlink to busybox", a)
		}
	}
	for name := range entries {
		if strings.Contains(name, "evil") {
			t.Errorf("unsafe applet name produced %s", name)
		}
	}
	if got := img.Config.Config.Labels[labelBuiltLocally]; got != "from the host's busybox" {
		t.Errorf("built-locally label = %q", got)
	}
}

func TestLibraryChainRecreated(t *testing.T) {
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh on this host")
	}
	obj, err := readELF(sh)
	if err != nil || obj.interp == "" {
		t.Skip("host /bin/sh is not dynamically linked")
	}
	b, err := newHostBuilder(defaultHost(), "/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	libs, err := b.libs.deps(obj)
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) < 2 || libs[0] != obj.interp {
		t.Fatalf("deps = %v, want the loader %s first and at least libc", libs, obj.interp)
	}
	if err := b.addHostPaths(libs); err != nil {
		t.Fatal(err)
	}
	// Every host symlink on the loader path must be in the tree as-is.
	for _, top := range []string{"/lib", "/lib64"} {
		target, err := os.Readlink(top)
		if err != nil {
			continue // not a merged-usr host
		}
		if strings.HasPrefix(obj.interp, top+"/") || slices.ContainsFunc(libs, func(l string) bool { return strings.HasPrefix(l, top+"/") }) {
			if e := b.t.entries[top]; e == nil || e.kind != kindSymlink || e.target != target {
				t.Errorf("%s -> %s was not recreated", top, target)
			}
		}
	}
}
