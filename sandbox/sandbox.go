// Package sandbox is dockling's container engine as a Go API: the docker verbs
// (images, pull, load, save, import, tag, rmi, history, inspect, and the container
// verbs) carried out on one sandbox — a data root shaped like /var/lib/docker.
//
// Subpackages do one job each: store (the on-disk image and layer store), archive
// (layer tarballs, safely), builtin (images made from this host), runtime (running a
// container: namespaces, overlay, shim).
package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/dockling/dockling/sandbox/store"
)

// DefaultSandbox is the sandbox plain `dockling images` and friends use.
const DefaultSandbox = "default"

// ErrBadSandboxName: a sandbox name would leave the data root.
var ErrBadSandboxName = errors.New("invalid sandbox name")

// validSandboxName is ^[a-z0-9][a-z0-9_.-]{0,127}$, written out: every command checks
// it, and compiling the regular expression took about a tenth of what `images` does
// once started.
func validSandboxName(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// DataRoot is where dockling keeps its sandboxes: $DOCKLING_ROOT, else
// /var/lib/dockling for root, else $XDG_DATA_HOME/dockling (~/.local/share/dockling).
func DataRoot() (string, error) {
	if r := os.Getenv("DOCKLING_ROOT"); r != "" {
		return filepath.Abs(r)
	}
	if os.Geteuid() == 0 {
		return "/var/lib/dockling", nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "dockling"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the data root: %w (set DOCKLING_ROOT)", err)
	}
	return filepath.Join(home, ".local", "share", "dockling"), nil
}

// Dir is the folder of a named sandbox below a data root.
func Dir(dataRoot, name string) (string, error) {
	if !validSandboxName(name) {
		return "", fmt.Errorf("%w %q: use lowercase letters, digits, '.', '_' and '-'", ErrBadSandboxName, name)
	}
	return filepath.Join(dataRoot, "sandboxes", name), nil
}

// Sandbox is one isolated set of images and containers.
type Sandbox struct {
	Store   *store.Store
	dir     string
	reaping atomic.Bool // a process emptying the trash is running (see emptyTrash)
	// Untrusted: the sandbox is someone else's, being graded. Its containers'
	// roots are mounted nosuid and nodev.
	Untrusted bool
}

// Open opens the sandbox whose data root is dir, creating it when needed.
func Open(dir string) (*Sandbox, error) {
	if err := makePrivate(dir); err != nil {
		return nil, fmt.Errorf("creating sandbox %s: %w", dir, err)
	}
	st, err := store.Open(dir, store.Options{Rootless: os.Geteuid() != 0})
	if err != nil {
		return nil, err
	}
	sb := &Sandbox{Store: st, dir: dir}
	// What a killed load, import or pull left is removed by the next command; when
	// that cannot be done now (a read-only folder), system check still finds it.
	if moved, _ := st.SweepLeftovers(); moved {
		sb.emptyTrash()
	}
	return sb, nil
}

// Dir is the sandbox's data root ("Docker Root Dir").
func (sb *Sandbox) Dir() string { return sb.dir }
