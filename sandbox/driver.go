package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/store"
)

// StorageDriverEnv names the storage driver new containers get, overriding the choice
// the sandbox made: overlay2 or vfs (Docker's names; vfs copies the image per
// container, slower and bigger, but works where overlay cannot be mounted).
const StorageDriverEnv = "DOCKLING_STORAGE_DRIVER"

// ErrBadDriver: StorageDriverEnv names no driver dockling has.
var ErrBadDriver = errors.New("unknown storage driver")

// Driver is the storage driver new containers get, and why.
type Driver struct {
	Name   string // store.DriverOverlay or store.DriverVFS
	Reason string // why vfs was chosen; "" for overlay2
}

// driverFile records the sandbox's choice, so the probe runs once per data root.
const driverFile = "storage-driver"

// StorageDriver says which storage driver new containers get: $DOCKLING_STORAGE_DRIVER
// when set; else the one this sandbox chose the first time it was asked: overlay2 when
// an overlay can be mounted on the data root's file system (in a user namespace when
// not root), vfs when the kernel refuses one.
func (sb *Sandbox) StorageDriver() (Driver, error) {
	if name := os.Getenv(StorageDriverEnv); name != "" {
		switch name {
		case store.DriverOverlay:
			return Driver{Name: name}, nil
		case store.DriverVFS:
			return Driver{Name: name, Reason: "chosen with " + StorageDriverEnv}, nil
		}
		return Driver{}, fmt.Errorf("%w %q in %s: use %s or %s", ErrBadDriver, name, StorageDriverEnv, store.DriverOverlay, store.DriverVFS)
	}
	p := filepath.Join(sb.dir, driverFile)
	if b, err := os.ReadFile(p); err == nil {
		name, reason, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		if name == store.DriverOverlay || name == store.DriverVFS {
			return Driver{Name: name, Reason: reason}, nil
		}
	}
	d := Driver{Name: store.DriverOverlay}
	err := runtime.ProbeOverlay(sb.Store.TmpDir())
	switch {
	case err == nil:
	case errors.Is(err, runtime.ErrOverlayRefused):
		d = Driver{Name: store.DriverVFS, Reason: "overlay is refused here: " + err.Error()}
	default:
		// The probe itself could not run (no user namespace, say): starting a
		// container will say why; nothing is recorded, so the next create asks again.
		return d, nil
	}
	if err := store.WriteFileAtomic(p, []byte(d.Name+"\n"+d.Reason+"\n"), 0o644); err != nil {
		return Driver{}, fmt.Errorf("recording the storage driver: %w", err)
	}
	return d, nil
}
