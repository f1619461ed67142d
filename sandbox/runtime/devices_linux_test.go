package runtime

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// devProbeEnv runs TestDeviceProbe: "root" or "rootless" (what the container is),
// "tty" (run on the container's pty) or "nested" (in a user namespace made inside).
const devProbeEnv = "DOCKLING_TEST_DEVICE_PROBE"

// TestDevices: only Docker's default devices can be opened in a root container, with
// the overlay and the copied root: nodes it makes itself (it holds CAP_MKNOD) stay
// unopenable everywhere it can write, also from a user namespace it makes.
func TestDevices(t *testing.T) {
	requireRoot(t)
	testDevices(t, "root")
}

// TestDevicesRootless runs TestDevices' checks as an unprivileged user, with one
// mapped id and with a subordinate range.
func TestDevicesRootless(t *testing.T) {
	runUnprivileged(t, "TestDevicesChild", "TestDevicesSubIDChild")
}

// TestDevicesChild is TestDevices as an unprivileged user (TestDevicesRootless starts it).
func TestDevicesChild(t *testing.T) {
	requireUnprivileged(t)
	testDevices(t, "rootless")
}

// TestDevicesSubIDChild is TestDevicesChild with the container mapped by newuidmap.
func TestDevicesSubIDChild(t *testing.T) {
	requireUnprivileged(t)
	fakeSubIDMap(t)
	testDevices(t, "rootless")
}

func testDevices(t *testing.T, mode string) {
	t.Run("overlay", func(t *testing.T) {
		spec := newSpec(t, "/probe", "-test.run=^TestDeviceProbe$", "-test.v")
		runDeviceProbe(t, spec, spec.Rootfs.Upper, mode)
	})
	t.Run("copy", func(t *testing.T) {
		spec := newSpec(t, "/probe", "-test.run=^TestDeviceProbe$", "-test.v")
		copied := filepath.Join(t.TempDir(), "rootfs")
		if out, err := exec.Command("cp", "-a", testRootfs(t), copied).CombinedOutput(); err != nil {
			t.Fatalf("copying the root file system: %v %s", err, out)
		}
		spec.Rootfs = Rootfs{Copy: copied}
		runDeviceProbe(t, spec, copied, mode)
	})
	t.Run("exec", func(t *testing.T) {
		requireExec(t)
		spec := newSpec(t, "sleep", "1000")
		copyFile(t, probeBinary(t), filepath.Join(spec.Rootfs.Upper, "probe"))
		if err := Start(*spec, StartOptions{}); err != nil {
			t.Fatal(err)
		}
		var out syncBuffer
		code, err := Exec(spec.Dir, Process{Args: []string{"/probe", "-test.run=^TestDeviceProbe$", "-test.v"},
			Env: append(spec.Process.Env, devProbeEnv+"="+mode)}, Streams{Out: &out, Err: &out})
		if err != nil || code != 0 || !strings.Contains(out.String(), "--- PASS: TestDeviceProbe") {
			t.Fatalf("device probe exec'd in the container: %d, %v\n%s", code, err, out.String())
		}
		t.Logf("device probe:\n%s", out.String())
	})
	t.Run("tty", func(t *testing.T) {
		spec := newSpec(t, "/probe", "-test.run=^TestDeviceProbe$", "-test.v")
		spec.Process.Tty = true
		runDeviceProbe(t, spec, spec.Rootfs.Upper, "tty")
	})
}

// runDeviceProbe runs this test binary as /probe (copied into dir, the container's
// root or upper dir) in spec's container, in the given mode.
func runDeviceProbe(t *testing.T, spec *Spec, dir, mode string) {
	t.Helper()
	copyFile(t, probeBinary(t), filepath.Join(dir, "probe"))
	spec.Process.Env = append(spec.Process.Env, devProbeEnv+"="+mode)
	code, out, errOut := run(t, spec)
	if code != 0 || !strings.Contains(out, "--- PASS: TestDeviceProbe") {
		t.Fatalf("device probe in the container: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("device probe:\n%s", out)
}

func probeBinary(t *testing.T) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return self
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDeviceProbe is the attacker inside the container (see devProbeEnv).
func TestDeviceProbe(t *testing.T) {
	switch mode := os.Getenv(devProbeEnv); mode {
	case "":
		t.Skip("runs inside a container (TestDevices)")
	case "nested":
		probeNested(t)
	case "tty":
		probeTty(t)
	default:
		if err := os.MkdirAll("/mnt", 0o755); err != nil {
			t.Fatal(err)
		}
		probeMknod(t, mode == "root")
		probeDevList(t, false)
		probeDefaults(t)
		probeMountRefused(t)
		probeNestedUserNS(t, mode == "root")
	}
}

type probeNode struct {
	name         string
	mode         uint32
	major, minor uint32
}

// hostNodes are devices a container must never open: kmsg (writes reach the host's
// dmesg), mem, loop0, tty0 and vcs (the host's console).
var hostNodes = []probeNode{{"kmsg", unix.S_IFCHR, 1, 11}, {"mem", unix.S_IFCHR, 1, 1},
	{"loop0", unix.S_IFBLK, 7, 0}, {"tty0", unix.S_IFCHR, 4, 0}, {"vcs", unix.S_IFCHR, 7, 0}}

// mknodAndOpen makes the host nodes in dir and tries to open each for reading, writing
// and both; it returns how many it could make. Opening must fail with EACCES (nodev),
// EPERM or ENXIO.
func mknodAndOpen(t *testing.T, dir string) int {
	made := 0
	for _, n := range hostNodes {
		p := filepath.Join(dir, "probe-"+n.name)
		if err := unix.Mknod(p, n.mode|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
			t.Logf("mknod %s: %v", p, err)
			continue
		}
		made++
		tryOpen(t, p)
		_ = os.Remove(p)
	}
	return made
}

func tryOpen(t *testing.T, p string) {
	for _, flag := range []int{unix.O_RDONLY, unix.O_WRONLY, unix.O_RDWR} {
		fd, err := unix.Open(p, flag|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
			t.Errorf("opened %s (flags %#x)", p, flag)
			continue
		}
		if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.ENXIO) {
			t.Errorf("opening %s (flags %#x): %v, want EACCES, EPERM or ENXIO", p, flag, err)
		}
	}
}

// probeMknod: root in the container may mknod (CAP_MKNOD, as in Docker) where it
// writes, but cannot open what it made; in a user namespace mknod itself is refused.
func probeMknod(t *testing.T, root bool) {
	for _, dir := range []string{"/tmp", "/", "/dev", "/dev/shm", "/dev/mqueue"} {
		made := mknodAndOpen(t, dir)
		if root && made == 0 && dir != "/dev/mqueue" {
			t.Errorf("mknod in %s refused: the test proves nothing there", dir)
		}
	}
}

// defaultNodes are Docker's default device nodes, with their numbers.
var defaultNodes = map[string]uint64{"/dev/null": unix.Mkdev(1, 3), "/dev/zero": unix.Mkdev(1, 5),
	"/dev/full": unix.Mkdev(1, 7), "/dev/random": unix.Mkdev(1, 8), "/dev/urandom": unix.Mkdev(1, 9),
	"/dev/tty": unix.Mkdev(5, 0)}

// probeDevList: /dev holds what Docker's does, and the only device nodes in the
// container's file systems are the defaults (and its pty).
func probeDevList(t *testing.T, tty bool) {
	want := []string{"core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm",
		"stderr", "stdin", "stdout", "tty", "urandom", "zero"}
	if tty {
		want = append(want, "console")
	}
	sort.Strings(want)
	ents, err := os.ReadDir("/dev")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("/dev holds %q, want %q", got, want)
	}
	_ = filepath.WalkDir("/", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p == "/proc" || p == "/sys" {
			return filepath.SkipDir
		}
		if d.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			t.Errorf("stat %s: %v", p, err)
			return nil
		}
		rdev, ok := defaultNodes[p]
		switch {
		case ok && st.Rdev == rdev && st.Mode&unix.S_IFMT == unix.S_IFCHR:
		case strings.HasPrefix(p, "/dev/pts/") || tty && p == "/dev/console":
		default:
			t.Errorf("device node %s (%d:%d) in the container", p, unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		return nil
	})
}

// probeDefaults: the default devices work as they do under Docker.
func probeDefaults(t *testing.T) {
	if err := os.WriteFile("/dev/null", []byte("x"), 0); err != nil {
		t.Errorf("writing /dev/null: %v", err)
	}
	for _, p := range []string{"/dev/zero", "/dev/urandom", "/dev/random"} {
		f, err := os.Open(p)
		if err != nil {
			t.Errorf("opening %s: %v", p, err)
			continue
		}
		b := make([]byte, 16)
		if _, err := io.ReadFull(f, b); err != nil {
			t.Errorf("reading %s: %v", p, err)
		}
		if p == "/dev/zero" && strings.Trim(string(b), "\x00") != "" {
			t.Errorf("/dev/zero gave %q", b)
		}
		f.Close()
	}
	if err := os.WriteFile("/dev/full", []byte("x"), 0); !errors.Is(err, unix.ENOSPC) {
		t.Errorf("writing /dev/full: %v, want ENOSPC", err)
	}
	probeSysReadOnly(t)
}

// probeSysReadOnly: /sys and everything mounted below it are read-only.
func probeSysReadOnly(t *testing.T) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || f[4] != "/sys" && !strings.HasPrefix(f[4], "/sys/") {
			continue
		}
		if !strings.Contains(","+f[5]+",", ",ro,") {
			t.Errorf("%s is mounted read-write: %s", f[4], l)
		}
	}
}

// remountDev tries to take nodev off the mounts at paths, keeping their other flags.
func remountDev(t *testing.T, paths ...string) {
	for _, p := range paths {
		flags, err := mountFlags(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("", p, "", flags&^unix.MS_NODEV|unix.MS_REMOUNT|unix.MS_BIND, ""); err == nil {
			t.Errorf("remounted %s without nodev", p)
		}
	}
}

// probeMountRefused: without CAP_SYS_ADMIN nothing can be remounted without nodev.
func probeMountRefused(t *testing.T) {
	remountDev(t, "/", "/dev", "/dev/shm")
	if err := unix.Mount("tmpfs", "/mnt", "tmpfs", 0, ""); err == nil {
		_ = unix.Unmount("/mnt", unix.MNT_DETACH)
		t.Errorf("mounted a tmpfs")
	}
}

// probeTty: on a terminal the pty is the container's own and /dev/console is it.
func probeTty(t *testing.T) {
	probeDevList(t, true)
	if l, err := os.Readlink("/proc/self/fd/0"); err != nil || l != "/dev/pts/0" {
		t.Errorf("stdin is %q, %v; want /dev/pts/0", l, err)
	}
	for _, p := range []string{"/dev/tty", "/dev/console"} {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Errorf("opening %s: %v", p, err)
			continue
		}
		f.Close()
	}
}

// probeNestedUserNS reruns the probe in a new user and mount namespace, where the
// container is root with every capability over its own mounts; it gets the node made
// here to try. A refused unshare (no user namespaces, seccomp) is a pass.
func probeNestedUserNS(t *testing.T, root bool) {
	if root {
		if err := unix.Mknod("/probe-kmsg", unix.S_IFCHR|0o666, int(unix.Mkdev(1, 11))); err != nil {
			t.Fatalf("mknod: %v", err)
		}
		defer os.Remove("/probe-kmsg")
	}
	cmd := exec.Command("/probe", "-test.run=^TestDeviceProbe$", "-test.v")
	cmd.Env = append(os.Environ(), devProbeEnv+"=nested")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Logf("no nested user namespace: %v", err)
		return
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDeviceProbe") {
		t.Errorf("in a nested user namespace: %v\n%s", err, out)
	}
	t.Logf("in a nested user namespace:\n%s", out)
}

// probeNested runs in a user and mount namespace of the container's making: it may
// mount, but every mount it makes or copies stays nodev.
func probeNested(t *testing.T) {
	if n := mknodAndOpen(t, "/tmp"); n != 0 {
		t.Errorf("mknod worked in a nested user namespace")
	}
	remountDev(t, "/", "/dev", "/dev/shm")
	if err := unix.Mount("/", "/mnt", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		t.Fatalf("bind mount in the nested namespace: %v", err)
	}
	remountDev(t, "/mnt")
	if _, err := os.Lstat("/mnt/probe-kmsg"); err == nil {
		tryOpen(t, "/mnt/probe-kmsg")
	}
	for _, fstype := range []string{"tmpfs", "devtmpfs"} {
		if err := unix.Mount(fstype, "/mnt", fstype, 0, ""); err != nil {
			t.Logf("mount %s: %v", fstype, err)
			continue
		}
		if fstype == "devtmpfs" {
			t.Errorf("mounted a devtmpfs")
		}
		if n := mknodAndOpen(t, "/mnt"); n != 0 {
			t.Errorf("mknod worked on a %s of the nested namespace", fstype)
		}
	}
}
