// Package trash deletes folders after the command that removed them has answered.
//
// Deleting a container's folders costs milliseconds even when it made nothing (every
// folder removed is a synchronous metadata update, and more on a file system mounted
// with discard), and seconds after an apt-get. The store therefore moves a removed
// folder into a trash folder, a rename after which no reader sees it, named with
// Prefix; Empty deletes such entries afterwards, usually in a process of its own
// (Start) that outlives the command.
//
// In a cgo build the emptying process does not start Go at all: a C constructor
// (empty_linux.c) deletes the entries and exits, a third of the cost, after every rm
// and run --rm. What it cannot delete falls to Empty in the package's init. The package
// imports little, so that Go initialises it, and takes the role over, before most of
// the CLI's packages (see the runtime's early_linux.go for why that matters).
package trash

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/dockling/dockling/sandbox/role"
)

// Prefix starts the name of every entry of a trash folder.
const Prefix = "trash-"

// A dockling re-executed to empty a trash does only that.
func init() {
	if role.Current() != role.Trash {
		return
	}
	nameProcess("dockling-trash") // in ps and top, rather than "exe"
	code := 0
	if dir := os.Getenv(role.TrashDir); dir == "" || Empty(dir) != nil {
		code = 1
	}
	os.Exit(code)
}

// Start empties the trash folder dir in a new process of this binary, in a session of
// its own so that it outlives the caller, and returns its pid. The caller waits for the
// process (Wait) if it lives on (a lesson session), so that it leaves no zombie. Not
// os.StartProcess: its first use in a process forks a child of its own to check pidfd
// support, which rm and run --rm would pay for.
func Start(dir string) (int, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("emptying the trash: %w", err)
	}
	defer null.Close()
	fd := null.Fd()
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"dockling-empty-trash"}, &syscall.ProcAttr{
		// A small job, if Go starts at all (see empty_linux.c): one P, and no collector.
		Env:   []string{role.Trash.Environ(), role.TrashDir + "=" + dir, "GOMAXPROCS=1", "GOGC=off"},
		Files: []uintptr{fd, fd, fd},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return 0, fmt.Errorf("emptying the trash: %w", err)
	}
	return pid, nil
}

// Wait waits for the process Start started to end; an error when it did not empty the
// trash.
func Wait(pid int) error {
	var ws syscall.WaitStatus
	_, err := syscall.Wait4(pid, &ws, 0, nil)
	for err == syscall.EINTR {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
	}
	switch {
	case err != nil:
		return fmt.Errorf("waiting for the trash emptier: %w", err)
	case !ws.Exited() || ws.ExitStatus() != 0:
		return fmt.Errorf("emptying the trash: the emptier ended with status %v", ws)
	}
	return nil
}

// Empty deletes the trash entries of dir, including those put there meanwhile, until
// it finds none left (or only those it could not delete).
func Empty(dir string) error {
	failed := map[string]error{}
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("emptying the trash: %w", err)
		}
		deleted := 0
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, Prefix) || failed[name] != nil {
				continue
			}
			if err := RemoveAll(path.Join(dir, name)); err != nil {
				failed[name] = err
				continue
			}
			deleted++
		}
		if deleted == 0 {
			break
		}
	}
	var errs []error
	for _, err := range failed {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RemoveAll is os.RemoveAll that also gets through folders whose mode keeps their
// owner out: overlay leaves its work/work at 000, and a container may have made such
// folders; without root, their content cannot be deleted until they are opened up.
func RemoveAll(p string) error {
	if os.RemoveAll(p) == nil {
		return nil
	}
	_ = fs.WalkDir(os.DirFS(p), ".", func(rel string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			_ = os.Chmod(path.Join(p, rel), 0o700) // before WalkDir reads it
		}
		return nil
	})
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("removing %s: %w", p, err)
	}
	return nil
}
