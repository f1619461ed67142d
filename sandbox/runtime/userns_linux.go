package runtime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/role"
)

// idMaps maps the current user and group to root in a new user namespace: a single id
// each, which an unprivileged process may write itself (setgroups must then be denied).
func idMaps() (uids, gids []syscall.SysProcIDMap) {
	return []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		[]syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
}

// The files newuidmap and newgidmap consult (variables for tests).
var subUIDFile, subGIDFile = "/etc/subuid", "/etc/subgid"

// idMapPlan is how a rootless container gets a full id range: the user is root in the
// container and uids/gids 1..Count map to the first subordinate range.
type idMapPlan struct {
	NewUIDMap, NewGIDMap string // helper paths
	UID, GID             IDRange
}

// planIDMap returns a plan when newuidmap and newgidmap are installed and /etc/subuid and
// /etc/subgid grant the user ranges; nil means a single id is mapped.
func planIDMap() *idMapPlan {
	if os.Geteuid() == 0 {
		return nil
	}
	nu, e1 := lookPath("newuidmap", os.Environ())
	ng, e2 := lookPath("newgidmap", os.Environ())
	su, sg := subIDs(subUIDFile), subIDs(subGIDFile)
	if e1 != nil || e2 != nil || len(su) == 0 || len(sg) == 0 {
		return nil
	}
	return &idMapPlan{NewUIDMap: nu, NewGIDMap: ng, UID: su[0], GID: sg[0]}
}

// apply writes pid's maps with the setuid helpers.
func (p *idMapPlan) apply(pid int) error {
	for _, m := range []struct {
		helper string
		id     int
		r      IDRange
	}{{p.NewUIDMap, os.Getuid(), p.UID}, {p.NewGIDMap, os.Getgid(), p.GID}} {
		args := []string{strconv.Itoa(pid), "0", strconv.Itoa(m.id), "1", "1", strconv.Itoa(m.r.Start), strconv.Itoa(m.r.Count)}
		if out, err := runHelper(m.helper, args); err != nil {
			return fmt.Errorf("%s %s: %v: %s", path.Base(m.helper), strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// userNSReason explains why this kernel refuses unprivileged user namespaces, or "".
func userNSReason() string {
	readInt := func(p string) (int, bool) {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, false
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		return n, err == nil
	}
	if n, ok := readInt("/proc/sys/kernel/unprivileged_userns_clone"); ok && n == 0 {
		return "kernel.unprivileged_userns_clone is 0; enable it with: sudo sysctl -w kernel.unprivileged_userns_clone=1"
	}
	if n, ok := readInt("/proc/sys/user/max_user_namespaces"); ok && n == 0 {
		return "user.max_user_namespaces is 0; enable them with: sudo sysctl -w user.max_user_namespaces=15000"
	}
	if n, ok := readInt("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); ok && n == 1 {
		return "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1); " +
			"allow them with: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give dockling an AppArmor profile with the userns permission"
	}
	return ""
}

// userNSHint adds the likely cause to an error from creating the namespaces.
func userNSHint(rootless bool, err error) string {
	if !rootless || !(errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EINVAL)) {
		return ""
	}
	if r := userNSReason(); r != "" {
		return " (user namespaces are refused: " + r + ")"
	}
	return " (this kernel refuses to create a user namespace for an unprivileged user; run as root or enable unprivileged user namespaces)"
}

// Capabilities reports what this kernel and machine allow; it tries user namespaces and
// overlay in a throw-away child rather than trusting settings alone.
func Capabilities() Support {
	s := Support{Root: os.Geteuid() == 0}
	s.SubUID, s.SubGID = subIDs(subUIDFile), subIDs(subGIDFile)
	s.NewUIDMap = planIDMap() != nil

	s.UserNSReason = userNSReason()
	if s.Root {
		// Root needs no user namespace; say whether unprivileged users could have one.
		s.UserNS = s.UserNSReason == ""
	}
	// The probe runs in a mount namespace, and a user namespace unless root: whether it
	// starts answers the user namespace question, what it reports the overlay one.
	err := probe(!s.Root)
	var pe *probeError
	switch {
	case err == nil:
		s.Overlay = true
		s.UserNS = s.UserNS || !s.Root
	case errors.As(err, &pe):
		s.OverlayReason = pe.msg
		s.UserNS = s.UserNS || !s.Root
	case !s.Root:
		if s.UserNSReason == "" {
			s.UserNSReason = "creating a user namespace failed: " + err.Error()
		}
		s.OverlayReason = "needs a user namespace"
	default:
		s.OverlayReason = "probe failed: " + err.Error()
	}
	return s
}

type probeError struct{ msg string }

func (e *probeError) Error() string { return e.msg }

// Unwrap lets errors.Is(err, ErrOverlayRefused) match.
func (e *probeError) Unwrap() error { return ErrOverlayRefused }

// ProbeOverlay says whether a container's overlay can be mounted with its folders in
// parent (the data root's file system matters: overlay refuses some as upper layer),
// in a user namespace unless root. It mounts one in a throw-away child; the error
// says what the kernel refused.
func ProbeOverlay(parent string) error {
	dir, err := os.MkdirTemp(parent, "overlay-probe-")
	if err != nil {
		return fmt.Errorf("probing overlay: %w", err)
	}
	defer os.RemoveAll(dir)
	return probeIn(dir, os.Geteuid() != 0)
}

// probe runs the probe role in new namespaces; a *probeError means it ran and overlay failed.
func probe(userns bool) error {
	dir, err := os.MkdirTemp("", "dockling-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return probeIn(dir, userns)
}

func probeIn(dir string, userns bool) error {
	attr := &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if userns {
		attr.Cloneflags |= unix.CLONE_NEWUSER
		attr.UidMappings, attr.GidMappings = idMaps()
	}
	args := []string{"dockling-probe", dir}
	if userns {
		args = append(args, "userxattr")
	}
	var out bytes.Buffer
	cmd, err := spawn("/proc/self/exe", args, spawnAttr{Env: []string{role.Probe.Environ()}, Stdout: &out, Sys: attr})
	if err != nil {
		return err
	}
	ws, err := cmd.wait(0)
	if err != nil {
		return err
	}
	if code := statusCode(ws); code != 0 {
		if out.Len() > 0 {
			return &probeError{msg: strings.TrimSpace(out.String())}
		}
		return fmt.Errorf("overlay probe: exit status %d", code)
	}
	return nil
}

// runHelper runs a setuid helper and returns what it printed, and an error when it
// failed.
func runHelper(name string, args []string) ([]byte, error) {
	var out bytes.Buffer
	cmd, err := spawn(name, append([]string{name}, args...), spawnAttr{Env: os.Environ(), Stdout: &out, Stderr: &out})
	if err != nil {
		return nil, err
	}
	ws, err := cmd.wait(0)
	if code := statusCode(ws); err == nil && code != 0 {
		err = fmt.Errorf("%s: exit status %d", name, code)
	}
	return out.Bytes(), err
}

// probeMain mounts a small overlay in args[1] and writes through it.
func probeMain() {
	dir := os.Args[1]
	for _, d := range []string{"l", "u", "w", "m"} {
		if err := os.Mkdir(path.Join(dir, d), 0o755); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Println("making / private:", err)
		os.Exit(1)
	}
	opts := fmt.Sprintf("lowerdir=%s/l,upperdir=%s/u,workdir=%s/w", dir, dir, dir)
	if len(os.Args) > 2 {
		opts += ",userxattr"
	}
	if err := unix.Mount("overlay", path.Join(dir, "m"), "overlay", 0, opts); err != nil {
		fmt.Printf("mounting overlay: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(path.Join(dir, "m", "probe"), []byte("ok"), 0o644); err != nil {
		fmt.Printf("writing through overlay: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// subIDs returns the current user's ranges in /etc/subuid or /etc/subgid.
func subIDs(file string) []IDRange {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	uid := strconv.Itoa(os.Getuid())
	name := userName(uid)
	var out []IDRange
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(p) != 3 || (p[0] != uid && p[0] != name) {
			continue
		}
		start, err1 := strconv.Atoi(p[1])
		count, err2 := strconv.Atoi(p[2])
		if err1 == nil && err2 == nil && count > 0 {
			out = append(out, IDRange{Start: start, Count: count})
		}
	}
	return out
}

// userName returns the name /etc/passwd gives uid, else $USER. A wrong name costs nothing
// worse than the single mapping: newuidmap checks the ranges against the real user.
// (Not os/user: the runtime's imports stay few, see early_linux.go.)
func userName(uid string) string {
	entries, _ := readColonFile("/etc/passwd", 7)
	for _, e := range entries {
		if e[2] == uid {
			return e[0]
		}
	}
	return os.Getenv("USER")
}
