// Package runtime runs one container from a Spec: namespaces, overlay rootfs, pivot_root,
// a shim per container that holds the pty or pipes, serves attach, writes the json log and
// records the exit. The caller keeps its own records; runtime keeps only the files it owns
// in Spec.Dir.
//
// Process model (like podman + conmon): Start re-executes the current binary as a shim in
// its own session. The shim spawns the container init (the binary again, run in a form the
// container cannot write through: see protectedSelf) in new namespaces. Init mounts the
// root file system, pivots into it, drops privileges and execs the command, which stays
// pid 1 of its pid namespace. The shim pumps output to attachers and to the json log,
// waits for the process and records the exit in Dir/state.json.
//
// Start-up cost is what `docker run` feels like, so: as root, Start queues the init's
// config and makes its pipes itself, and runs the shim from a read-only bind mount of the
// binary (no copy), whose C constructor forks the init before the shim's Go runtime
// starts (package nsenter); the init starts its own Go runtime without an exec, so both
// start-ups overlap, and it runs from the same protected file; state files are replaced
// atomically but not fsync'ed; once its container runs, a shim gives back the binary's
// pages it used for setup and keeps its GC quiet (shimGoEnv, trimText), to stay within a
// few MiB; and the package initialises early, before most of the CLI (see early_linux.go).
//
// Files the runtime writes in Spec.Dir (the caller removes them by deleting Dir):
// state.json (atomically replaced), shim.pid, attach.sock (while running), <ID>-json.log
// (Docker's json-file format), and hostname, hosts and resolv.conf, which are bound over
// the container's /etc files. Mounts exist only in the container's mount namespace, so
// nothing is left mounted on the host when it exits.
//
// Docker behaviours kept on purpose: pid 1 ignores signals it has no handler for (Stop
// then falls back to SIGKILL); a held or running container's stdin ends for everyone when
// one attacher's input ends (StdinOnce); a failed start leaves state "exited" with exit
// code 127/126 (exec errors) or 125 (anything else) and Error set.
//
// Every binary that uses this package must call Init first thing in main (and in TestMain).
package runtime

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Spec describes one run of a container.
type Spec struct {
	ID  string // 64 hex digits
	Dir string // the container's folder (must exist); runtime owns the files listed in the package doc
	// Rootfs is the overlay stack; it is mounted only inside the container's mount namespace.
	Rootfs  Rootfs
	Process Process
	// Hostname is the container's hostname (normally the short ID).
	Hostname string
	// NetworkNone gives the container a new network namespace with only lo up;
	// otherwise (and without Net) it shares the host network.
	NetworkNone bool
	// Network area: Net gives the container a network namespace of its own,
	// connected to the outside through pasta (see Net); Hosts and ResolvConf, when
	// set, are its /etc/hosts and /etc/resolv.conf.
	Net        *Net   `json:",omitempty"`
	Hosts      string `json:",omitempty"`
	ResolvConf string `json:",omitempty"`
	// StopSignal is what Stop sends first; 0 means SIGTERM.
	StopSignal syscall.Signal

	// volumes: the container's mounts, in the order given (parents before children),
	// and a read-only root (--read-only).
	Mounts         []Mount `json:",omitempty"`
	ReadonlyRootfs bool    `json:",omitempty"`
	// Resources are the container's cgroup limits (zero: none).
	Resources Resources `json:",omitzero"`
	// Init, when set, is a host file (a static tini) bound read-only at InitPath
	// (run --init); the caller puts it before the command.
	Init string `json:",omitempty"`
	// Restart is run --restart; RestartCount how often the shim restarted it so far.
	Restart      RestartPolicy `json:",omitzero"`
	RestartCount int           `json:",omitempty"`
}

// RestartPolicy is --restart: no, on-failure (at most MaximumRetryCount times when
// not 0), always or unless-stopped.
type RestartPolicy struct {
	Name              string
	MaximumRetryCount int
}

// InitPath is where run --init's init is, in the container (Docker's place).
const InitPath = "/sbin/docker-init"

// Resources are run's -m, --cpus and --pids-limit.
type Resources struct {
	Memory    int64 // bytes
	NanoCPUs  int64 // CPUs × 10⁹
	PidsLimit int64
}

// Rootfs is an overlay stack, or (Copy) a folder holding a full copy of the image that
// the container changes in place: the copying fallback where overlay is refused.
type Rootfs struct {
	Lower  []string // image layer diff dirs, topmost first (overlay lowerdir order)
	Upper  string   // the container layer; persists across start/stop
	Work   string   // overlay workdir, on the same file system as Upper
	Merged string   // mount point
	// Copy, when set, is bind-mounted as the root instead of an overlay; the other
	// fields are then unused.
	Copy string
	// Untrusted layers (a graded learner's) are mounted nosuid and nodev: their
	// set-user-ID files and device nodes give nothing.
	Untrusted bool
}

// Process is a command to run in a container.
type Process struct {
	Args []string
	Env  []string // KEY=value; PATH, HOME, HOSTNAME and (with Tty) TERM get Docker's defaults when missing
	Cwd  string   // created when missing, like Docker; "" means "/"
	// User is "", "uid", "uid:gid", "name", "name:group", resolved against the
	// container's /etc/passwd and /etc/group.
	User      string
	Tty       bool
	OpenStdin bool
	// Security confines the process beyond namespaces and capabilities; an exec'd
	// process takes its container's.
	Security Security `json:",omitzero"`
}

// Security is how a container's processes are confined beyond namespaces and
// capabilities: a seccomp filter and, unless NewPrivs, no_new_privs. A process must
// have a filter (compiled by package seccomp, normally from Docker's default profile
// for DefaultCapabilities) or SeccompUnconfined: Start and Exec refuse one with neither.
type Security struct {
	// Seccomp is the compiled filter: a struct sock_filter array in host byte order.
	Seccomp []byte `json:",omitempty"`
	// SeccompUnconfined turns seccomp off (--security-opt seccomp=unconfined).
	SeccompUnconfined bool `json:",omitempty"`
	// NewPrivs leaves no_new_privs unset (--security-opt no-new-privileges=false), so
	// setuid and file-capability binaries gain privileges as under Docker's default.
	NewPrivs bool `json:",omitempty"`
}

// maxID is the largest user or group id: the kernel takes (uid_t)-1 for "unchanged".
const maxID = 4294967294

// CheckUser refuses a user spec ("uid", "uid:gid", "name:gid", ...) whose numeric ids
// are outside 0..4294967294, as runc does: larger ones would be cut to 32 bits (and
// 4294967295 means "unchanged"), so the process would run as root. Names are resolved
// in the container, where the same check applies.
func CheckUser(spec string) error {
	name, group, _ := strings.Cut(spec, ":")
	for _, part := range []string{name, group} {
		if err := checkID(part); err != nil {
			return fmt.Errorf("invalid user %q: %w", spec, err)
		}
	}
	return nil
}

// checkID refuses a numeric id out of range; a name passes.
func checkID(s string) error {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err != nil || n > maxID {
		return ErrUserRange
	}
	return nil
}

// State is what the runtime knows about a container's last start.
type State struct {
	Status     string // "created" (never started) | "running" | "exited"
	Pid        int    // host pid of the container's pid 1 while running
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	Error      string // why the start failed or why the shim vanished
	// RestartCount is how often the restart policy started it again.
	RestartCount int
}

// ShimPlan is what a shim must know before its container exists: how to fork the init.
type ShimPlan struct {
	ID        string // the container's, for the shim's command line (host ps)
	NewNet    bool   // a network namespace of its own (NetworkNone or Net)
	Tty       bool
	OpenStdin bool
}

// PlanOf is the plan that fits spec.
func PlanOf(spec *Spec) ShimPlan {
	return ShimPlan{ID: spec.ID, NewNet: spec.OwnNetwork(), Tty: spec.Process.Tty, OpenStdin: spec.Process.OpenStdin}
}

// OwnNetwork reports whether the container gets a network namespace of its own.
func (spec *Spec) OwnNetwork() bool { return spec.NetworkNone || spec.Net != nil }

// Net is a private network namespace's link to the outside: pasta (Debian's passt)
// gives it one interface with Address, a default route through Gateway, outbound
// connections made by host sockets, and Ports published on the host. pasta is told
// not to map the gateway to the host's loopback nor to forward the namespace's
// ports to it: the container cannot reach the host's 127.0.0.1 services.
type Net struct {
	Address string // CIDR, "172.17.0.2/16"
	Gateway string // "172.17.0.1"
	MAC     string // the interface's; "" lets pasta choose
	Ports   []PortMap
}

// PortMap is one published port: HostIP:HostPort on the host to ContainerPort.
type PortMap struct {
	HostIP        string // "" or "0.0.0.0": every address
	HostPort      int
	ContainerPort int
	Proto         string // "tcp" or "udp"
}

// DefaultHosts is the start of every /etc/hosts Docker writes: the loopback names,
// IPv4 and IPv6, and no 127.0.1.1 line.
const DefaultHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

// ErrNoPasta: the pasta binary is missing (see PastaMissingError).
var ErrNoPasta = errors.New("pasta not found")

// StartOptions tune Start.
type StartOptions struct {
	// HoldUntilAttach makes the first Attach see everything: with a terminal the
	// process does not exec until it connects (the shell must start at the attacher's
	// window size); without one the process runs at once and the shim keeps its
	// output (and, if it ends first, its exit code) for that attacher, so a
	// foreground `run` connects while its command already runs.
	HoldUntilAttach bool
}

// WinSize is a terminal size.
type WinSize struct {
	Rows, Cols uint16
}

// Streams connect a caller to a container's stdio.
type Streams struct {
	In       io.Reader // nil: attach output only
	Out, Err io.Writer // nil: discard; with a tty everything goes to Out
	// Resize delivers terminal size changes (send the first size at once).
	Resize <-chan WinSize
	// DetachKeys is the escape sequence read from In; nil means ctrl-p ctrl-q.
	// An empty non-nil slice disables detaching.
	DetachKeys []byte
	// Attached, when set, is called once the container side took the attach (its
	// terminal already at the first size from Resize) and before any input is read
	// from In: the caller's terminal goes raw there, as in Docker's CLI, so that what
	// the user types meets a shell that has seen its new size.
	Attached func()
}

// Proc is one process of a container (see Top).
type Proc struct {
	PID     int // host pid
	NsPID   int // pid inside the container
	PPID    int // host parent pid
	UID     int // host uid
	State   string
	Started time.Time
	CPU     time.Duration // user + system time so far
	TTY     string
	Cmd     string // command line, or [comm] when empty
}

// Leftover is something a killed shim or commit left in the cgroup file system (see
// FreezerLeftovers); Fix removes or repairs it.
type Leftover struct {
	What string
	Fix  func() error
}

// Support is what this kernel and machine allow (see Capabilities).
type Support struct {
	Root bool // running as uid 0
	// UserNS: unprivileged user namespaces can be created; UserNSReason says why not.
	UserNS       bool
	UserNSReason string
	// Overlay: overlayfs can be mounted (inside a user namespace when not root).
	Overlay       bool
	OverlayReason string
	// NewUIDMap: newuidmap and newgidmap are installed and /etc/subuid and /etc/subgid
	// grant the current user ranges, so a rootless container gets a full id range.
	NewUIDMap bool
	SubUID    []IDRange
	SubGID    []IDRange
}

// IDRange is one /etc/subuid or /etc/subgid line for the current user.
type IDRange struct {
	Start, Count int
}

var (
	// ErrNotRunning: the container has no live process to attach to, signal or exec in.
	ErrNotRunning = errors.New("container is not running")
	// ErrDetached: the caller typed the detach keys; the container goes on running.
	ErrDetached = errors.New("read escape sequence")
	// ErrExec: the command could not be executed (see ExecError).
	ErrExec = errors.New("exec failed")
	// ErrOverlayRefused: the kernel refused to mount an overlay (see ProbeOverlay).
	ErrOverlayRefused = errors.New("overlay refused")
	// ErrNoFreezer: the container has no freezer cgroup (rootless without a delegated
	// cgroup subtree, or started before dockling made them), so it cannot be paused.
	ErrNoFreezer = errors.New("the container has no freezer cgroup")
	// ErrUserRange: a user or group id outside 0..4294967294 (see CheckUser).
	ErrUserRange = errors.New("uids and gids must be in range 0-4294967294")
	// ErrUnsupported: this platform cannot run containers.
	ErrUnsupported = errors.New("containers need Linux")
)

// ExecError is a command that could not be executed, with Docker's exit code and message:
// 127 for `exec: "foo": executable file not found in $PATH`, 126 for permission denied.
type ExecError struct {
	Code int
	Msg  string
}

func (e *ExecError) Error() string { return e.Msg }

// Unwrap lets errors.Is(err, ErrExec) match.
func (e *ExecError) Unwrap() error { return ErrExec }
