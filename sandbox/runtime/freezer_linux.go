package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/role"
)

// A container's processes live in a freezer cgroup of their own, <base>/dockling/<ID>,
// so that commit can stop them all at once without their knowing (SIGSTOP is seen by a
// shell's job control) and without missing one forked meanwhile. The shim makes it and
// puts the init there before the init execs, so every process of the container inherits
// it; exec'd processes join it in nsenter's constructor. Where no cgroup is writable
// (rootless without a delegated subtree) there is none, and Freezer says so.
//
// Files and values, per cgroup version:
//   - v2 (/sys/fs/cgroup is cgroup2): cgroup.freeze "1"/"0", cgroup.events "frozen 1".
//   - v1 (the freezer hierarchy at /sys/fs/cgroup/freezer): freezer.state FROZEN/THAWED,
//     which reads FREEZING until every task stopped.
const (
	cgroupMount   = "/sys/fs/cgroup"
	freezerV1     = "/sys/fs/cgroup/freezer"
	cgroupDirName = "dockling"
)

// freezeTimeout bounds a freeze: a task stuck in the kernel (say, on a dead NFS mount)
// keeps a cgroup FREEZING for ever.
const freezeTimeout = 10 * time.Second

// cgroupV2 says whether /sys/fs/cgroup is the unified (v2) hierarchy.
func cgroupV2() bool {
	var st unix.Statfs_t
	return unix.Statfs(cgroupMount, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// freezerBase is the cgroup folder under which this user's container cgroups go, or ""
// when there is none to write. Root takes the hierarchy's root. Another user takes the
// highest ancestor of its own cgroup it may write (a delegated subtree, as systemd
// gives user@.service): moving a process needs write access to the common ancestor of
// where it is and where it goes.
func freezerBase(v2 bool) string {
	mount := freezerV1
	if v2 {
		mount = cgroupMount
	}
	if os.Geteuid() == 0 {
		return mount
	}
	own := ownCgroup(v2)
	if own == "" {
		return ""
	}
	dir := mount
	for _, part := range append([]string{""}, strings.Split(strings.Trim(own, "/"), "/")...) {
		dir = path.Join(dir, part)
		if unix.Access(dir, unix.W_OK) == nil && unix.Access(path.Join(dir, "cgroup.procs"), unix.W_OK) == nil {
			return dir
		}
	}
	return ""
}

// ownCgroup is this process's cgroup path in the v2 or the v1 freezer hierarchy.
func ownCgroup(v2 bool) string {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || strings.Contains(parts[2], "..") {
			continue
		}
		if v2 && parts[0] == "0" && parts[1] == "" {
			return parts[2]
		}
		if !v2 && strings.Contains(","+parts[1]+",", ",freezer,") {
			return parts[2]
		}
	}
	return ""
}

// earlyCgroupEnv names, to a shim's constructor, the v1 freezer cgroup its init joins
// by itself (see early.c): the cheap way on v1, where moving another process costs an
// RCU grace period. ("" on v2, where the shim moves the init.)
const earlyCgroupEnv = role.EarlyCgroup

// earlyFreezer is the cgroup a shim's constructor is to make for container id, or "".
func earlyFreezer(id string) string {
	if cgroupV2() {
		return ""
	}
	base := freezerBase(false)
	if base == "" {
		return ""
	}
	return path.Join(base, cgroupDirName, id)
}

// inCgroup says whether pid is in the cgroup at dir of the v1 freezer or v2 hierarchy.
func inCgroup(pid int, dir string, v2 bool) bool {
	mount := freezerV1
	if v2 {
		mount = cgroupMount
	}
	rel := strings.TrimPrefix(dir, mount)
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && parts[2] == rel && (v2 && parts[0] == "0" || !v2 && strings.Contains(","+parts[1]+",", ",freezer,")) {
			return true
		}
	}
	return false
}

// joinFreezer makes the container id's freezer cgroup and moves pid into it: a mkdir
// and a write on a start (the parent folder exists after the first). It returns the
// cgroup's folder, or "" when the container gets none.
func joinFreezer(id string, pid int) string {
	v2 := cgroupV2()
	base := freezerBase(v2)
	if base == "" {
		return ""
	}
	dir := path.Join(base, cgroupDirName, id)
	if !v2 && inCgroup(pid, dir, v2) {
		return dir // it joined by itself (earlyFreezer)
	}
	for try := 0; try < 2; try++ {
		err := unix.Mkdir(dir, 0o755)
		if errors.Is(err, unix.ENOENT) {
			// The first container: make the parent. (On a tmpfs without a freezer
			// hierarchy, this fails, as base itself is missing.)
			if unix.Mkdir(path.Dir(dir), 0o755) != nil {
				return ""
			}
			err = unix.Mkdir(dir, 0o755)
		}
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return ""
		}
		err = writeCgroupFile(dir, "cgroup.procs", strconv.Itoa(pid))
		if err == nil {
			return dir
		}
		if !errors.Is(err, unix.ENOENT) {
			_ = unix.Rmdir(dir)
			return ""
		}
		// A system check removed the empty cgroup between the mkdir and the write.
	}
	return ""
}

// removeFreezer removes a container's cgroup once its processes are gone. The last of
// them may still be leaving it as the init is reaped (an exec helper outside its pid
// namespace, killed processes of a big container): retries for up to a second.
func removeFreezer(dir string) {
	if dir == "" || checkCgroupPath(dir, "") != nil {
		return
	}
	for i := 0; i < 200; i++ {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) || !errors.Is(err, unix.EBUSY) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// RemoveFreezer removes the freezer cgroup of the stopped container in dir, if it
// has one left (its shim removes it; a killed shim cannot).
func RemoveFreezer(dir string) {
	st, err := readState(dir)
	if err != nil || st.Cgroup == "" || st.Status == "running" {
		return
	}
	removeFreezer(st.Cgroup)
}

// checkCgroupPath makes sure p, read from state.json, is a container cgroup dockling
// makes (…/dockling/<64 hex digits> in a cgroup file system), and, with id, that one.
func checkCgroupPath(p, id string) error {
	name := path.Base(p)
	ok := path.IsAbs(p) && path.Clean(p) == p && strings.HasPrefix(p, cgroupMount+"/") &&
		path.Base(path.Dir(p)) == cgroupDirName && isID(name) && (id == "" || name == id)
	if !ok {
		return fmt.Errorf("%q is not a container cgroup", p)
	}
	return nil
}

func writeCgroupFile(dir, name, value string) error {
	fd, err := unix.Open(path.Join(dir, name), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(value))
	return err
}

func readCgroupFile(dir, name string) (string, error) {
	b, err := os.ReadFile(path.Join(dir, name))
	return string(b), err
}

// Freezer is a running container's freezer cgroup, held (locked) so that no other
// commit freezes or thaws it meanwhile and system check leaves it alone. The lock is
// an flock on the cgroup's folder: it goes when its holder dies, however it dies.
type Freezer struct {
	dir string
	v2  bool
	fd  int
}

// OpenFreezer locks the freezer cgroup of the running container in dir, waiting while
// another holds it. It fails with ErrNoFreezer when the container has none, and with
// ErrNotRunning when it is not running.
func OpenFreezer(ctx context.Context, dir string) (*Freezer, error) {
	st, err := status(dir)
	if err != nil {
		return nil, err
	}
	if st.Status != "running" {
		return nil, ErrNotRunning
	}
	if st.Cgroup == "" {
		return nil, ErrNoFreezer
	}
	if err := checkCgroupPath(st.Cgroup, path.Base(dir)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoFreezer, err)
	}
	f, err := lockCgroup(st.Cgroup, true, ctx)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoFreezer
	}
	return f, err
}

// lockCgroup opens and locks the cgroup at dir; without wait it fails with
// unix.EWOULDBLOCK when another holds it.
func lockCgroup(dir string, wait bool, ctx context.Context) (*Freezer, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || !wait {
			unix.Close(fd)
			return nil, err
		}
		select {
		case <-ctx.Done():
			unix.Close(fd)
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	var sf unix.Statfs_t
	if err := unix.Fstatfs(fd, &sf); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Freezer{dir: dir, v2: sf.Type == unix.CGROUP2_SUPER_MAGIC, fd: fd}, nil
}

// thawAbandoned thaws the container id's cgroup at dir when it is frozen and nobody
// holds it: a commit killed while it was frozen (SIGKILL runs no thaw). Without
// this, a signal would wait in the frozen processes for ever, and stop, kill and
// rm -f hang, where Docker's end a paused container. A cgroup a live commit holds is
// left to it: it thaws within moments.
func thawAbandoned(dir, id string) {
	if dir == "" || checkCgroupPath(dir, id) != nil {
		return
	}
	f, err := lockCgroup(dir, false, nil)
	if err != nil {
		return
	}
	defer f.Close()
	// Unconditionally: a v1 cgroup can be left FREEZING too, which Frozen denies.
	_ = f.Thaw()
}

// Dir is the cgroup's folder.
func (f *Freezer) Dir() string { return f.dir }

// Freeze stops every process in the cgroup and returns once all are stopped. On
// failure (or ctx's end) the cgroup is thawed again.
func (f *Freezer) Freeze(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, freezeTimeout)
	defer cancel()
	for {
		// v1 asks for FROZEN again each round, as a task forked meanwhile may
		// have kept the cgroup FREEZING.
		err := f.set(true)
		if err == nil {
			var frozen bool
			if frozen, err = f.Frozen(); err == nil && frozen {
				return nil
			}
		}
		if err == nil {
			select {
			case <-ctx.Done():
				err = ctx.Err()
			case <-time.After(time.Millisecond):
				continue
			}
		}
		_ = f.Thaw()
		return fmt.Errorf("pausing container: %w", err)
	}
}

// Thaw lets the cgroup's processes run again.
func (f *Freezer) Thaw() error {
	if err := f.set(false); err != nil {
		return fmt.Errorf("unpausing container: %w", err)
	}
	return nil
}

// Frozen says whether every process of the cgroup is stopped.
func (f *Freezer) Frozen() (bool, error) {
	return cgroupFrozen(f.dir, f.v2)
}

// Close gives up the lock (it does not thaw).
func (f *Freezer) Close() {
	if f.fd >= 0 {
		unix.Close(f.fd)
		f.fd = -1
	}
}

func (f *Freezer) set(frozen bool) error {
	if f.v2 {
		v := "0"
		if frozen {
			v = "1"
		}
		return writeCgroupFile(f.dir, "cgroup.freeze", v)
	}
	v := "THAWED"
	if frozen {
		v = "FROZEN"
	}
	return writeCgroupFile(f.dir, "freezer.state", v)
}

// cgroupFrozen reads a cgroup's freezer state.
func cgroupFrozen(dir string, v2 bool) (bool, error) {
	if v2 {
		s, err := readCgroupFile(dir, "cgroup.events")
		if err != nil {
			return false, err
		}
		for _, line := range strings.Split(s, "\n") {
			if line == "frozen 1" {
				return true, nil
			}
		}
		return false, nil
	}
	s, err := readCgroupFile(dir, "freezer.state")
	return strings.TrimSpace(s) == "FROZEN", err
}

// FreezerLeftovers lists the cgroups of the containers owned reports as its own that
// nothing uses any more: left frozen by a commit that was killed (nobody holds its
// lock), or empty, their container gone with a shim that could not remove them.
// Containers of every data root share the folder; a cgroup in use is never one of these.
func FreezerLeftovers(owned func(id string) bool) []Leftover {
	base := freezerBase(cgroupV2())
	if base == "" {
		return nil
	}
	parent := path.Join(base, cgroupDirName)
	entries, _ := os.ReadDir(parent)
	var out []Leftover
	for _, e := range entries {
		// The cgroups are named by container ID alone and shared by every data
		// root on the machine: only this sandbox's own containers' are its to fix.
		if !e.IsDir() || !isID(e.Name()) || !owned(e.Name()) {
			continue
		}
		dir := path.Join(parent, e.Name())
		f, err := lockCgroup(dir, false, nil)
		if err != nil {
			continue // a commit holds it, or it just went
		}
		frozen, _ := f.Frozen()
		procs, _ := readCgroupFile(dir, "cgroup.procs")
		f.Close()
		switch {
		case frozen:
			out = append(out, Leftover{What: "container cgroup " + dir + " left frozen by an interrupted commit",
				Fix: func() error { return thawLeftover(dir) }})
		case strings.TrimSpace(procs) == "" && settled(dir):
			out = append(out, Leftover{What: "cgroup " + dir + " of a container that is gone",
				Fix: func() error { return rmdirLeftover(dir) }})
		}
	}
	return out
}

// leftoverAge is how old an empty cgroup must be to count as left over: a starting
// container's is empty between its mkdir and its init's joining, an exited one's
// until its shim removes it, both for a moment.
var leftoverAge = 2 * time.Second

func settled(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && time.Since(fi.ModTime()) >= leftoverAge
}

func thawLeftover(dir string) error {
	f, err := lockCgroup(dir, false, nil)
	if err != nil {
		return fmt.Errorf("thawing %s: %w", dir, err)
	}
	defer f.Close()
	return f.Thaw()
}

func rmdirLeftover(dir string) error {
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}
