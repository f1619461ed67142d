package session

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/role"
)

// The guided shell shows the lesson's sandbox at /var/lib/docker, as the lecture (and
// Docker) has it: each line runs in a mount namespace of its own where the sandbox is
// bound there. Without root that namespace belongs to a user namespace where the
// learner is root, as the lecture's "I'll switch to the root user" is. The docker
// commands typed there run outside it, as before: `docker` in the namespace hands its
// arguments, environment, directory and terminal to the session (proxy_linux.go),
// which runs dockling as the learner. (A dockling that took itself for root in that
// user namespace could neither confine containers as the learner's nor map a
// subordinate id range.)

// dockerRoot is where the lecture looks for Docker's data root.
const dockerRoot = "/var/lib/docker"

func init() {
	switch r := role.Current(); {
	case r == role.LessonShell:
		lessonShellMain()
	case r == role.CLI && os.Getenv(proxyEnv) != "":
		os.Exit(proxyClientMain(os.Getenv(proxyEnv)))
	}
}

// lessonShellMain binds the sandbox at /var/lib/docker, then becomes the line's
// shell (its arguments). It exits 126 when the binding fails, saying why.
func lessonShellMain() {
	dir := os.Getenv(role.LessonSandbox)
	os.Unsetenv(role.LessonSandbox)
	if err := bindDockerRoot(dir); err != nil {
		fmt.Fprintf(os.Stderr, "showing the lesson's data root at %s: %v\n", dockerRoot, err)
		os.Exit(126)
	}
	if len(os.Args) < 2 {
		os.Exit(127)
	}
	err := unix.Exec(os.Args[1], os.Args[1:], os.Environ())
	fmt.Fprintf(os.Stderr, "starting the lesson's shell: %v\n", err)
	os.Exit(127)
}

// bindDockerRoot binds src at /var/lib/docker in this process's own mount namespace,
// from which nothing propagates to the host's.
func bindDockerRoot(src string) error {
	if src == "" {
		return errors.New("no sandbox given")
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("making the mount namespace private: %w", err)
	}
	if fi, err := os.Stat(dockerRoot); err != nil || !fi.IsDir() {
		if err := makeMountPoint(filepath.Dir(dockerRoot), filepath.Base(dockerRoot)); err != nil {
			return err
		}
	}
	if err := unix.Mount(src, dockerRoot, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding %s: %w", src, err)
	}
	return nil
}

// makeMountPoint makes the folder name in parent, which this process may not write
// (or should not, on the host): parent is covered with a tmpfs holding name and,
// bound in, each entry parent had, so everything else there stays as it was.
func makeMountPoint(parent, name string) error {
	old, err := unix.Open(parent, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", parent, err)
	}
	defer unix.Close(old)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", parent, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755"); err != nil {
		return fmt.Errorf("covering %s: %w", parent, err)
	}
	for _, e := range entries {
		from := fmt.Sprintf("/proc/self/fd/%d/%s", old, e.Name())
		to := filepath.Join(parent, e.Name())
		if err := rebind(from, to, e.Type()); err != nil {
			return fmt.Errorf("keeping %s: %w", to, err)
		}
	}
	return os.Mkdir(filepath.Join(parent, name), 0o755)
}

// rebind puts the entry at from (of type typ) at to: a link as a link, anything else
// bound over a mount point of its kind.
func rebind(from, to string, typ fs.FileMode) error {
	switch {
	case typ&fs.ModeSymlink != 0:
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return os.Symlink(target, to)
	case typ.IsDir():
		if err := os.Mkdir(to, 0o755); err != nil {
			return err
		}
	default:
		f, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		f.Close()
	}
	return unix.Mount(from, to, "", unix.MS_BIND|unix.MS_REC, "")
}

// lessonNS runs a shell's lines in the namespace described above.
type lessonNS struct {
	exe        string // this program, which plays role.LessonShell
	sandboxDir string
	proxy      *dockerProxy
}

// newLessonNS starts the docker proxy in stateDir and tries the namespace once: it
// fails where neither root nor user namespaces allow it, saying why.
func newLessonNS(stateDir, sandboxDir, shell string, env []string) (*lessonNS, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p, err := startProxy(filepath.Join(stateDir, "docker.sock"), exe, sandboxDir)
	if err != nil {
		return nil, err
	}
	ns := &lessonNS{exe: exe, sandboxDir: sandboxDir, proxy: p}
	if err := os.MkdirAll(sandboxDir, 0o700); err != nil { // a new lesson's, not made yet
		p.Close()
		return nil, err
	}
	probe := exec.Command(shell, "-c", "test -d "+dockerRoot)
	probe.Env = env
	var stderr bytes.Buffer
	probe.Stderr = &stderr
	ns.wrap(probe)
	if err := probe.Run(); err != nil {
		p.Close()
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, errors.New(msg)
		}
		return nil, err
	}
	return ns, nil
}

// wrap makes cmd, a shell with its arguments, start as role.LessonShell in a new
// mount namespace (and user namespace, without root), whose docker is the proxy's.
func (ns *lessonNS) wrap(cmd *exec.Cmd) {
	cmd.Args = append([]string{"dockling-lesson-shell", cmd.Path}, cmd.Args[1:]...)
	cmd.Path = ns.exe
	cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], role.LessonShell.Environ(),
		role.LessonSandbox+"="+ns.sandboxDir, proxyEnv+"="+ns.proxy.path)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Cloneflags = unix.CLONE_NEWNS
	if os.Geteuid() != 0 {
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		cmd.SysProcAttr.GidMappingsEnableSetgroups = false
	}
}

func (ns *lessonNS) Close() error { return ns.proxy.Close() }
