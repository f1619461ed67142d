// Package role decides what a re-executed dockling process is, in one place.
//
// dockling starts itself again for work that needs a process of its own: a container's
// shim and init, the exec helper, probes, the mapped helper, the trash emptier. Each
// such process is started with Env set to its Role, and nothing else makes a dockling
// process anything but the command line; a role's arguments travel in variables of
// their own (the Arg names below), which mean nothing without it. Current reads the
// role once, as the process starts, and removes Env from the environment, so that no
// process started later inherits it by accident.
//
// Work that must happen before the Go runtime starts threads is done by C constructors,
// which read the same names: package nsenter's (role Exec: join a container, with
// NsenterPID, NsenterCaps, NsenterCgroup and NsenterFilter; role Shim: fork the init
// early, with EarlyInit and EarlyCgroup) and package trash's (role Trash, with TrashDir).
// TestCNames keeps the C sources to the names listed here.
//
// Who plays which role: the runtime package's init plays Shim, Init, Exec, Probe and
// MapWait; package trash's init plays Trash (when its constructor could not); package
// sandbox's init plays Mapped; package lessons/session's init plays LessonShell. Each asks
// Current, so that a role is never mistaken for another, nor for the command line.
package role

import (
	"os"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
)

// Env names the role a re-executed dockling process plays.
const Env = "_DOCKLING_RUNTIME_ROLE"

// Role is what a dockling process is.
type Role string

// The roles.
const (
	CLI     Role = ""        // the command line: not re-executed
	Shim    Role = "shim"    // a container's shim (runtime)
	Init    Role = "init"    // a container's init (runtime), or the fork a shim's constructor made
	Exec    Role = "exec"    // the exec helper, which nsenter's constructor put in a container (runtime)
	Probe   Role = "probe"   // a probe of what user namespaces allow (runtime)
	MapWait Role = "mapwait" // a mapped helper waiting for its id maps, to re-exec as Mapped (runtime)
	Mapped  Role = "mapped"  // a mapped helper, root in the containers' user namespace (sandbox)
	Trash   Role = "trash"   // the trash emptier (trash)
	// LessonShell: a guided lesson's shell, which binds the lesson's sandbox at
	// /var/lib/docker in its mount namespace, then execs the shell (lessons/session).
	LessonShell Role = "lessonshell"
)

// The roles' arguments.
const (
	NsenterPID    = "_DOCKLING_NSENTER_PID"    // Exec: the container's init, whose namespaces to join
	NsenterCaps   = "_DOCKLING_NSENTER_CAPS"   // Exec: the container's capabilities, the most the helper keeps
	NsenterCgroup = "_DOCKLING_NSENTER_CGROUP" // Exec: the container's freezer cgroup, if any
	NsenterFilter = "_DOCKLING_NSENTER_FILTER" // Exec: the descriptor of a seccomp filter to load while privileged, if any
	EarlyInit     = "_DOCKLING_EARLY_INIT"     // Shim: the init for its constructor to fork
	EarlyCgroup   = "_DOCKLING_EARLY_CGROUP"   // Shim: the freezer cgroup that init joins
	WaitIDMap     = "_DOCKLING_WAIT_IDMAP"     // Init: wait for the id maps, then re-exec
	MappedTask    = "_DOCKLING_MAPPED_ROLE"    // MapWait, Mapped: what the helper does (diff, layer, export)
	TrashDir      = "_DOCKLING_EMPTY_TRASH"    // Trash: the folder to empty
	LessonSandbox = "_DOCKLING_LESSON_SANDBOX" // LessonShell: the sandbox folder to show at /var/lib/docker
)

var roles = []Role{Shim, Init, Exec, Probe, MapWait, Mapped, Trash, LessonShell}

var current = fromEnv()

func fromEnv() Role {
	if nsenter.EarlyInit() {
		// Forked by its shim's constructor, with the shim's environment.
		os.Unsetenv(Env)
		return Init
	}
	r, ok := os.LookupEnv(Env)
	if !ok {
		return CLI
	}
	os.Unsetenv(Env)
	return Role(r)
}

// Current is the role this process was started to play; CLI for the command line.
func Current() Role { return current }

// Known reports whether r is a role some part of dockling plays.
func (r Role) Known() bool {
	for _, k := range roles {
		if r == k {
			return true
		}
	}
	return r == CLI
}

// Environ is the environment entry that starts a process as r.
func (r Role) Environ() string { return Env + "=" + string(r) }
