package store

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockling/dockling/sandbox/trash"
)

// Removing a container moves its folders into the trash, the store's tmp folder (see
// package trash): a rename each, after which no reader sees them; trash.Empty deletes
// them afterwards. Check leaves the trash alone, as it may be being emptied; each
// emptying takes whatever an earlier one left.

// Trash moves path, a folder of this store, to the trash.
func (w *Writer) Trash(path string) error {
	dst := filepath.Join(w.s.tmpDir(), trash.Prefix+NewID()[:16])
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}
