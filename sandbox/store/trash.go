package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Deleting a container's folders costs milliseconds even when it made nothing (every
// folder removed is a synchronous metadata update), and seconds after an apt-get.
// Removing one therefore moves its folders into the trash, the store's tmp folder: a
// rename each, after which no reader sees them. EmptyTrash deletes them afterwards,
// usually in a process of its own (see sandbox.Remove). Check leaves the trash alone,
// as it may be being emptied; each EmptyTrash takes whatever an earlier one left.
const trashPrefix = "trash-"

// Trash moves path, a folder of this store, to the trash.
func (w *Writer) Trash(path string) error {
	dst := filepath.Join(w.s.tmpDir(), trashPrefix+NewID()[:16])
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}

// EmptyTrash deletes what is in the trash of the store rooted at root, including
// what is put there meanwhile, until it finds it empty (or only what it could not
// delete).
func EmptyTrash(root string) error {
	tmp := (&Store{root: root}).tmpDir()
	failed := map[string]error{}
	for {
		entries, err := os.ReadDir(tmp)
		if err != nil {
			return fmt.Errorf("emptying the trash: %w", err)
		}
		deleted := 0
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, trashPrefix) || failed[name] != nil {
				continue
			}
			if err := removeAllForce(filepath.Join(tmp, name)); err != nil {
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

// removeAllForce is os.RemoveAll that also gets through folders whose mode keeps
// their owner out: overlay leaves its work/work at 000, and a container may have
// made such folders; without root, their content cannot be deleted until they are
// opened up.
func removeAllForce(path string) error {
	if os.RemoveAll(path) == nil {
		return nil
	}
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			_ = os.Chmod(p, 0o700) // before WalkDir reads it
		}
		return nil
	})
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}
