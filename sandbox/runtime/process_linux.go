package runtime

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// prepared is a process ready to exec in the container: credentials and working dir set,
// the command resolved. Only the capability sets and the execve remain (exec).
type prepared struct {
	path string
	argv []string
	env  []string
	uid  int
	sec  *Security
}

// prepareProcess runs inside the container's root (after pivot_root or setns): it creates
// and enters the working dir, switches to the user, marks every fd but stdio close-on-exec
// and resolves the command with the container's PATH, like Docker. p.Security is
// applied in part here, while the process holds its capabilities, the rest just before
// the exec.
func prepareProcess(p Process, hostname string) (*prepared, error) {
	u, err := resolveUser(p.User)
	if err != nil {
		return nil, err
	}
	env := withDefaults(p.Env, hostname, u.home, p.Tty)
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if !path.IsAbs(cwd) {
		cwd = "/" + cwd
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return nil, fmt.Errorf("creating working directory %s: %w", cwd, err)
	}
	if err := dropBounding(); err != nil {
		return nil, err
	}
	d, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	dumpable := d != 0
	if err := p.Security.beforeCredentials(); err != nil {
		return nil, err
	}
	fixStdioOwner(u.uid)
	// Credentials are set on this thread only (the caller locked it, and it execs): Go's
	// syscall.Setres* would signal every thread of the runtime three times over.
	if err := threadSetgroups(u.groups); err != nil && !errors.Is(err, unix.EPERM) {
		// EPERM: a user namespace with setgroups denied (a single id mapped) keeps none.
		return nil, fmt.Errorf("setting supplementary groups: %w", err)
	}
	if err := threadSetres(unix.SYS_SETRESGID, u.gid); err != nil {
		return nil, fmt.Errorf("setting group %d: %w (is it mapped in the user namespace?)", u.gid, err)
	}
	if err := threadSetres(unix.SYS_SETRESUID, u.uid); err != nil {
		return nil, fmt.Errorf("setting user %d: %w (is it mapped in the user namespace?)", u.uid, err)
	}
	// Changing credentials clears the parent-death signal; keep dying with the shim. It
	// also resets dumpable to fs.suid_dumpable: a non-dumpable exec helper, whose other
	// threads keep the container root's capabilities, stays so (see package nsenter).
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	if !dumpable {
		_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	}
	if err := os.Chdir(cwd); err != nil {
		return nil, fmt.Errorf("changing to working directory %s: %w", cwd, err)
	}
	if err := cloexecAll(); err != nil {
		return nil, err
	}
	exe, err := lookPath(p.Args[0], env)
	if err != nil {
		return nil, err
	}
	return &prepared{path: exe, argv: p.Args, env: env, uid: u.uid, sec: &p.Security}, nil
}

// fixStdioOwner gives the process's user its stdio, as runc does: they are pipes or a
// terminal that the runtime made as root, and a process of another user that reopens
// them (`echo hi > /dev/stdout`, a log file linked there) must be able to. /dev/null
// and what that user owns already are left alone, as is what cannot be changed (an
// owner not mapped in the user namespace, a read-only /dev).
func fixStdioOwner(uid int) {
	for fd := 0; fd <= 2; fd++ {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || int(st.Uid) == uid {
			continue
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFIFO, unix.S_IFSOCK:
		case unix.S_IFCHR:
			if st.Rdev == unix.Mkdev(1, 3) { // /dev/null
				continue
			}
		default:
			continue
		}
		_ = unix.Fchown(fd, uid, -1)
	}
}

// threadSetres sets this thread's real, effective and saved uid (SYS_SETRESUID) or gid.
func threadSetres(trap uintptr, id int) error {
	if _, _, errno := unix.RawSyscall(trap, uintptr(id), uintptr(id), uintptr(id)); errno != 0 {
		return errno
	}
	return nil
}

// threadSetgroups sets this thread's supplementary groups.
func threadSetgroups(gids []int) error {
	list := make([]uint32, len(gids))
	for i, g := range gids {
		list[i] = uint32(g)
	}
	var p unsafe.Pointer
	if len(list) > 0 {
		p = unsafe.Pointer(&list[0])
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(list)), uintptr(p), 0); errno != 0 {
		return errno
	}
	return nil
}

// exec confines this (locked) thread and execs; it returns only on failure.
func (pp *prepared) exec() error {
	if err := pp.confine(); err != nil {
		return err
	}
	return pp.execve()
}

// confine sets this thread's capability sets, no_new_privs and seccomp filter: only
// the execve remains. The init does it while its shim gets ready to release it.
func (pp *prepared) confine() error {
	if err := setCaps(pp.uid == 0); err != nil {
		return err
	}
	return pp.sec.beforeExec()
}

// execve runs the command; it returns only on failure.
func (pp *prepared) execve() error {
	err := unix.Exec(pp.path, pp.argv, pp.env)
	code := 127
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENOEXEC) || errors.Is(err, unix.E2BIG) {
		code = 126 // found but cannot be invoked (E2BIG: past the kernel's limit on arguments and environment)
	}
	return &ExecError{Code: code, Msg: fmt.Sprintf("exec: %q: %v", pp.argv[0], err)}
}

func withDefaults(env []string, hostname, home string, tty bool) []string {
	has := map[string]bool{}
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		has[k] = true
	}
	out := append([]string(nil), env...)
	add := func(k, v string) {
		if !has[k] {
			out = append(out, k+"="+v)
		}
	}
	add("PATH", defaultPath)
	if hostname != "" {
		add("HOSTNAME", hostname)
	}
	if tty {
		add("TERM", "xterm")
	}
	add("HOME", home)
	return out
}

func getenv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// lookPath resolves a command like Docker (runc): a name with a slash is taken as is,
// others are searched in the container's PATH.
func lookPath(name string, env []string) (string, error) {
	check := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return unix.EISDIR
		}
		if err := unix.Access(p, unix.X_OK); err != nil {
			return err
		}
		return nil
	}
	if strings.Contains(name, "/") {
		err := check(name)
		if err == nil {
			return name, nil
		}
		if errors.Is(err, os.ErrNotExist) {
			return "", &ExecError{Code: 127, Msg: fmt.Sprintf("exec: %q: stat %s: no such file or directory", name, name)}
		}
		if errors.Is(err, unix.EISDIR) {
			return "", &ExecError{Code: 126, Msg: fmt.Sprintf("exec: %q: is a directory", name)}
		}
		return "", &ExecError{Code: 126, Msg: fmt.Sprintf("exec: %q: permission denied", name)}
	}
	pathEnv, ok := getenv(env, "PATH")
	if !ok {
		pathEnv = defaultPath
	}
	denied := false
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, name)
		err := check(p)
		if err == nil {
			return p, nil
		}
		if errors.Is(err, unix.EACCES) {
			denied = true
		}
	}
	if denied {
		return "", &ExecError{Code: 126, Msg: fmt.Sprintf("exec: %q: permission denied", name)}
	}
	return "", &ExecError{Code: 127, Msg: fmt.Sprintf("exec: %q: executable file not found in $PATH", name)}
}

// cloexecAll marks every descriptor above stdio close-on-exec, so nothing of the runtime
// (the sync socket, Go's epoll) reaches the container's process.
func cloexecAll() error {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("listing open files: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("listing open files: %w", err)
	}
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd < 3 {
			continue
		}
		unix.CloseOnExec(fd)
	}
	return nil
}

type idUser struct {
	uid, gid int
	groups   []int
	home     string
}

// resolveUser resolves "", "uid", "uid:gid", "name", "name:group" against the container's
// /etc/passwd and /etc/group; supplementary groups are those listing the user.
func resolveUser(spec string) (*idUser, error) {
	name, group, hasGroup := strings.Cut(spec, ":")
	if name == "" {
		name = "0"
	}
	passwd, _ := readColonFile("/etc/passwd", 7)
	groups, _ := readColonFile("/etc/group", 4)
	u := &idUser{uid: -1, gid: -1, home: "/"}
	userName := ""
	for _, e := range passwd {
		if e[0] == name || e[2] == name {
			uid, err1 := strconv.Atoi(e[2])
			gid, err2 := strconv.Atoi(e[3])
			if err1 != nil || err2 != nil {
				continue
			}
			u.uid, u.gid, u.home, userName = uid, gid, e[5], e[0]
			break
		}
	}
	if u.uid < 0 {
		uid, err := strconv.Atoi(name)
		if err != nil || uid < 0 {
			return nil, fmt.Errorf("unable to find user %s: no matching entries in passwd file", name)
		}
		u.uid, u.gid = uid, 0
	}
	if hasGroup {
		u.gid = -1
		for _, e := range groups {
			if e[0] == group || e[2] == group {
				if gid, err := strconv.Atoi(e[2]); err == nil {
					u.gid = gid
					break
				}
			}
		}
		if u.gid < 0 {
			gid, err := strconv.Atoi(group)
			if err != nil || gid < 0 {
				return nil, fmt.Errorf("unable to find group %s: no matching entries in group file", group)
			}
			u.gid = gid
		}
	}
	if userName != "" {
		for _, e := range groups {
			for _, m := range strings.Split(e[3], ",") {
				if m == userName {
					if gid, err := strconv.Atoi(e[2]); err == nil && gid != u.gid {
						u.groups = append(u.groups, gid)
					}
				}
			}
		}
	}
	if len(u.groups) == 0 {
		// As runc: a user in no group of the image's keeps its primary group as the
		// supplementary one (`id` then says groups=0(root) for -u 1000, as in Docker).
		u.groups = []int{u.gid}
	}
	if u.home == "" {
		u.home = "/"
	}
	for _, id := range append([]int{u.uid, u.gid}, u.groups...) {
		if id < 0 || int64(id) > maxID {
			// An image's passwd or group file is as untrusted as a -u flag.
			return nil, fmt.Errorf("invalid user %q: %w", spec, ErrUserRange)
		}
	}
	return u, nil
}

func readColonFile(name string, fields int) ([][]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		parts := strings.Split(line, ":")
		if len(parts) < fields {
			continue
		}
		out = append(out, parts)
	}
	return out, sc.Err()
}
