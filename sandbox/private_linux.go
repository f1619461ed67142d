package sandbox

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// makePrivate makes dir, with any missing parents, 0700: a sandbox holds the owner's
// journal (every command typed), containers and layers. Data roots made before this
// rule have 0711 folders, through which any local user could read a journal by its
// name; such a folder is tightened here, and so are the data root's sandboxes/ folder
// above it and the data root (lesson progress). Only this user's folders are changed (root grading a learner's folder
// leaves it be), and never through a symbolic link.
func makePrivate(dir string) error {
	tightened, err := tighten(dir)
	if err != nil {
		// Missing, or a link: MkdirAll creates it or follows the link as before.
		return os.MkdirAll(dir, 0o700)
	}
	if parent := filepath.Dir(dir); tightened && filepath.Base(parent) == "sandboxes" {
		if _, err = tighten(parent); err == nil {
			_, err = tighten(filepath.Dir(parent))
		}
	}
	return err
}

// tighten sets folder path to 0700 when it is this user's and open to others,
// through a descriptor opened without following links, and reports whether it did.
func tighten(path string) (bool, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, err
	}
	if int(st.Uid) != os.Geteuid() || st.Mode&0o077 == 0 {
		return false, nil
	}
	switch err := unix.Fchmod(fd, 0o700); err {
	case nil:
	case unix.EROFS:
		return false, nil // a read-only copy: opened to be read, as it is
	default:
		return false, &os.PathError{Op: "chmod", Path: path, Err: err}
	}
	return true, nil
}
