package runtime

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The paths runc masks and makes read-only by default.
var (
	maskedPaths = []string{"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap"}
	readonlyPaths = []string{"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
		"/proc/sys", "/proc/sysrq-trigger"}
)

// MaskedPaths are the paths every container has hidden and read-only, for inspect.
func MaskedPaths() (masked, readonly []string) {
	return append([]string(nil), maskedPaths...), append([]string(nil), readonlyPaths...)
}

type device struct {
	name         string
	major, minor uint32
}

// devices are Docker's default device nodes (runc's AllowedDevices that have a node),
// the only ones a container can open: every file system it can write is nodev, and these
// are the host's nodes, each bound as a mount of its own.
var devices = []device{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8},
	{"urandom", 1, 9}, {"tty", 5, 0}}

// errNotDevice: a host node to bind into a container is not the device it is named for.
var errNotDevice = errors.New("not the expected device")

// setupRootfs runs in init, in the new mount namespace: it builds the container's root
// under spec.Rootfs.Merged and pivots into it. Everything is mounted before pivot_root
// because a rootless proc or sysfs mount needs the host's ones still visible, and the
// host files (devices, Dir/hosts) are reachable only then. Paths inside the root are
// resolved with secureJoin so an image's symlinks cannot point a mount at the host.
// With a tty, the pty is made in the container's devpts, its master sent to the shim on
// sock, and its slave becomes init's stdio and controlling terminal.
func setupRootfs(spec *Spec, rootless bool, sock int) error {
	// Nothing mounted from here on may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("making / rslave: %w", err)
	}
	root := spec.Rootfs.Merged
	if spec.Rootfs.Copy != "" {
		// pivot_root needs the new root to be a mount point: the copy, bound on itself.
		root = spec.Rootfs.Copy
		if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("mounting the container's root file system: binding %s: %w", root, err)
		}
		// nodev: container root holds CAP_MKNOD, as in Docker, but may not open what it
		// makes; nosuid too for untrusted (graded) layers.
		if err := remountBind(root, unix.MS_NODEV|untrustedFlags(&spec.Rootfs)); err != nil {
			return fmt.Errorf("mounting the container's root file system: making %s nodev: %w", root, err)
		}
	} else if err := mountOverlay(&spec.Rootfs, rootless); err != nil {
		return err
	}
	unix.Umask(0o022)

	if err := mountIn(root, "/proc", "proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	if err := setupDev(root, rootless); err != nil {
		return err
	}
	if err := mountSys(root, rootless, spec.OwnNetwork()); err != nil {
		return err
	}
	if err := maskPaths(root); err != nil {
		return err
	}
	if err := mountUser(root, spec.Mounts); err != nil {
		return err
	}
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		target, err := ensureFile(root, "/etc/"+name)
		if err != nil {
			return err
		}
		if err := unix.Mount(path.Join(spec.Dir, name), target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("mounting /etc/%s: %w", name, err)
		}
	}
	if spec.Init != "" {
		if err := bindInit(root, spec.Init); err != nil {
			return err
		}
	}
	// After every bind, which may need to make its mount point.
	if spec.ReadonlyRootfs {
		if err := remountRO(root); err != nil {
			return err
		}
	}
	if spec.Process.Tty {
		if err := setupTty(root, sock); err != nil {
			return err
		}
	}
	if err := pivotRoot(root); err != nil {
		return err
	}
	host := spec.Hostname
	if host == "" {
		host = spec.ID[:12]
	}
	if err := unix.Sethostname([]byte(host)); err != nil {
		return fmt.Errorf("setting hostname: %w", err)
	}
	if spec.OwnNetwork() {
		if err := loUp(); err != nil {
			return err
		}
	}
	return nil
}

// overlayParam reads a boolean parameter of the overlay module: a kernel's default
// for the mount option of that name (false where the file is missing: a kernel
// without the feature).
func overlayParam(name string) bool {
	b, err := os.ReadFile("/sys/module/overlay/parameters/" + name)
	return err == nil && strings.TrimSpace(string(b)) == "Y"
}

// overlayOptions are the container root's overlay mount options. Where the module
// turns them on by default, redirect_dir, index and metacopy go off, as Docker's
// overlay2 has them: diff and commit read the upper dir alone, and a renamed image
// directory (a redirect xattr), a metadata-only copy-up (a file without its data) or
// a hard link kept through the index would be missing or wrong there. Each is named
// only where the module has the parameter, as older kernels refuse unknown options.
// In a user namespace userxattr already implies redirect_dir=nofollow (creates none)
// and metacopy=off, and the kernel refuses redirect_dir=off next to it.
func overlayOptions(r *Rootfs, rootless bool, param func(string) bool) string {
	opts := "lowerdir=" + strings.Join(r.Lower, ":") + ",upperdir=" + r.Upper + ",workdir=" + r.Work
	if rootless {
		// Overlay's trusted.* xattrs are out of reach in a user namespace.
		opts += ",userxattr"
	} else {
		if param("redirect_dir") {
			opts += ",redirect_dir=off"
		}
		if param("metacopy") {
			opts += ",metacopy=off"
		}
	}
	if param("index") {
		opts += ",index=off"
	}
	return opts
}

func mountOverlay(r *Rootfs, rootless bool) error {
	opts := overlayOptions(r, rootless, overlayParam)
	if len(opts) >= os.Getpagesize() {
		return fmt.Errorf("mounting the container's root file system: overlay options are %d bytes, over the kernel's limit of %d: too many image layers", len(opts), os.Getpagesize()-1)
	}
	// nodev: container root holds CAP_MKNOD, as in Docker, but may not open what it makes.
	if err := unix.Mount("overlay", r.Merged, "overlay", unix.MS_NODEV|untrustedFlags(r), opts); err != nil {
		hint := ""
		switch {
		case errors.Is(err, unix.ENOENT):
			hint = " (a layer, upper or work directory is missing)"
		case rootless && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL)):
			hint = " (this kernel refuses overlayfs inside a user namespace; it needs Linux 5.11 or later, or run as root, or use the copying driver: DOCKLING_STORAGE_DRIVER=vfs)"
		case errors.Is(err, unix.ENODEV):
			hint = " (the overlay module is not loaded: modprobe overlay, or use the copying driver: DOCKLING_STORAGE_DRIVER=vfs)"
		case errors.Is(err, unix.EINVAL):
			hint = " (upper and work directories must be on the same file system, which must support overlay's upper layer; elsewhere use the copying driver: DOCKLING_STORAGE_DRIVER=vfs)"
		}
		return fmt.Errorf("mounting the container's root file system: overlay: %w%s", err, hint)
	}
	return nil
}

// untrustedFlags are the root mount's flags for r: nosuid and nodev for
// untrusted layers.
func untrustedFlags(r *Rootfs) uintptr {
	if r.Untrusted {
		return unix.MS_NOSUID | unix.MS_NODEV
	}
	return 0
}

// secureJoin resolves p inside root, following symlinks as if root were "/" so the result
// never leaves root. Missing components are kept as they are.
func secureJoin(root, p string) (string, error) {
	resolved := ""
	rest := p
	links := 0
	for rest != "" {
		rest = strings.TrimLeft(rest, "/")
		part := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		switch part {
		case "", ".":
			continue
		case "..":
			resolved = strings.TrimPrefix(path.Dir("/"+resolved), "/")
			continue
		}
		next := path.Join(resolved, part)
		fi, err := os.Lstat(path.Join(root, next))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				resolved = next
				continue
			}
			return "", fmt.Errorf("resolving %s in the container: %w", p, err)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("resolving %s in the container: too many symlinks", p)
		}
		target, err := os.Readlink(path.Join(root, next))
		if err != nil {
			return "", fmt.Errorf("resolving %s in the container: %w", p, err)
		}
		if path.IsAbs(target) {
			resolved = ""
		}
		rest = target + "/" + rest
	}
	return path.Join(root, resolved), nil
}

func ensureDir(root, p string) (string, error) {
	t, err := secureJoin(root, p)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(t, 0o755); err != nil {
		return "", fmt.Errorf("creating %s in the container: %w", p, err)
	}
	return t, nil
}

func ensureFile(root, p string) (string, error) {
	t, err := secureJoin(root, p)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(t); err == nil {
		return t, nil
	}
	if err := os.MkdirAll(path.Dir(t), 0o755); err != nil {
		return "", fmt.Errorf("creating %s in the container: %w", p, err)
	}
	f, err := os.OpenFile(t, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("creating %s in the container: %w", p, err)
	}
	if f != nil {
		f.Close()
	}
	return t, nil
}

func mountIn(root, p, source, fstype string, flags uintptr, data string) error {
	t, err := ensureDir(root, p)
	if err != nil {
		return err
	}
	if err := unix.Mount(source, t, fstype, flags, data); err != nil {
		return fmt.Errorf("mounting %s on %s: %w", fstype, p, err)
	}
	return nil
}

// setupDev mounts the container's /dev: a nodev tmpfs holding the default devices, each
// the host's node bound on its own (a bind keeps its source mount's flags, and the
// host's /dev is not nodev), the container's devpts, /dev/shm and /dev/mqueue.
func setupDev(root string, rootless bool) error {
	if err := mountIn(root, "/dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	dev := path.Join(root, "dev") // a fresh tmpfs: no symlinks to fear below it
	for _, d := range devices {
		if err := bindDevice(path.Join(dev, d.name), d); err != nil {
			return err
		}
	}
	ptsOpts := "newinstance,ptmxmode=0666,mode=0620"
	if !rootless {
		ptsOpts += ",gid=5" // tty; may be unmapped in a user namespace
	}
	if err := mountIn(root, "/dev/pts", "devpts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, ptsOpts); err != nil {
		return err
	}
	if err := mountIn(root, "/dev/shm", "shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return err
	}
	// mqueue is optional: some kernels lack it or refuse it in a user namespace.
	_ = mountIn(root, "/dev/mqueue", "mqueue", "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	links := [][2]string{{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}}
	for _, l := range links {
		if err := os.Symlink(l[0], path.Join(dev, l[1])); err != nil {
			return fmt.Errorf("creating /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// bindDevice binds the host's node of d on p, a new file, and checks that what is
// bound there is that device, not a file put in its place on the host.
func bindDevice(p string, d device) error {
	// An empty file to bind on, made in one syscall (no capability needed for a regular file).
	if err := unix.Mknod(p, unix.S_IFREG|0o666, 0); err != nil {
		return fmt.Errorf("creating /dev/%s: %w", d.name, err)
	}
	if err := unix.Mount("/dev/"+d.name, p, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("binding /dev/%s: %w", d.name, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return fmt.Errorf("binding /dev/%s: %w", d.name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(d.major, d.minor) {
		return fmt.Errorf("binding /dev/%s: the host's /dev/%s is %w (character device %d:%d)",
			d.name, d.name, errNotDevice, d.major, d.minor)
	}
	return nil
}

func mountSys(root string, rootless, ownNet bool) error {
	flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	err := mountIn(root, "/sys", "sysfs", "sysfs", flags, "")
	if err == nil || !rootless {
		return err
	}
	// sysfs needs a network namespace we own; sharing the host's, bind its /sys instead.
	t, jerr := ensureDir(root, "/sys")
	if jerr != nil {
		return jerr
	}
	if err := unix.Mount("/sys", t, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding /sys: %w", err)
	}
	// The host's submounts (cgroup file systems) come along: all read-only, in one call
	// where the kernel has mount_setattr (5.12), else the top one.
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(unix.AT_FDCWD, t, unix.AT_RECURSIVE, &attr); err == nil {
		return nil
	}
	return remountRO(t)
}

// remountRO makes a bind mount read-only, keeping the flags a user namespace may not drop.
func remountRO(p string) error {
	if err := remountBind(p, unix.MS_RDONLY); err != nil {
		return fmt.Errorf("making %s read-only: %w", p, err)
	}
	return nil
}

// remountBind adds add to a bind mount's flags. It keeps those the mount has, which a
// user namespace may not drop.
func remountBind(p string, add uintptr) error {
	flags, err := mountFlags(p)
	if err != nil {
		return err
	}
	return unix.Mount("", p, "", flags|add|unix.MS_BIND|unix.MS_REMOUNT, "")
}

// mountFlags are the per-mount flags of the mount p is on, as mount(2) takes them.
func mountFlags(p string) (uintptr, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return 0, err
	}
	var flags uintptr
	for _, f := range [][2]int64{{unix.ST_RDONLY, unix.MS_RDONLY}, {unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME}} {
		if st.Flags&f[0] != 0 {
			flags |= uintptr(f[1])
		}
	}
	return flags, nil
}

func maskPaths(root string) error {
	null := path.Join(root, "dev/null")
	for _, m := range maskedPaths {
		p := path.Join(root, m) // inside proc and sysfs: kernel files, no image symlinks
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "size=0")
		} else {
			err = unix.Mount(null, p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("masking %s: %w", m, err)
		}
	}
	for _, r := range readonlyPaths {
		p := path.Join(root, r)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("making %s read-only: %w", r, err)
		}
		if err := remountRO(p); err != nil {
			return err
		}
	}
	return nil
}

// setupTty makes the container's pty in its own devpts (so `tty` says /dev/pts/0), gives
// the master to the shim and makes the slave init's stdio and controlling terminal.
func setupTty(root string, sock int) error {
	master, err := unix.Open(path.Join(root, "dev/pts/ptmx"), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("creating the container's pty: %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlocking the container's pty: %w", err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("creating the container's pty: %w", err)
	}
	slavePath := path.Join(root, "dev/pts", strconv.Itoa(n))
	slave, err := unix.Open(slavePath, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("opening the container's pty: %w", err)
	}
	// runc binds the pty over /dev/console too; programs that write there reach the user.
	if c, err := ensureFile(root, "/dev/console"); err == nil {
		_ = unix.Mount(slavePath, c, "", unix.MS_BIND, "")
	}
	if err := unix.IoctlSetInt(slave, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("setting the controlling terminal: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("setting up stdio: %w", err)
		}
	}
	unix.Close(slave)
	if err := sendMsg(sock, syncMsg{Type: "pty"}, master); err != nil {
		return fmt.Errorf("passing the pty to the shim: %w", err)
	}
	return nil
}

func pivotRoot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("entering the root file system: %w", err)
	}
	// pivot_root(".", ".") stacks the old root on the new one; unmounting "." then drops
	// the old root without needing a directory for it inside the container.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making the old root rslave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("entering the root file system: %w", err)
	}
	return nil
}

// loUp brings up the loopback interface of a new network namespace.
func loUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	return nil
}

// bindInit binds the host's init binary read-only at InitPath: the container runs it
// but can never write through it to the host's file.
func bindInit(root, src string) error {
	target, err := ensureFile(root, InitPath)
	if err != nil {
		return err
	}
	if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("mounting the init (%s) at %s: %w", src, InitPath, err)
	}
	if err := remountBind(target, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV); err != nil {
		return fmt.Errorf("making %s read-only: %w", InitPath, err)
	}
	return nil
}
