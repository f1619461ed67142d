package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox/trash"
)

// Work in progress (load's copy of its archive, a layer being extracted, its tar-split
// and metadata) lives in the tmp folder under names starting with wipPrefix, and is
// removed or renamed into place when its command is done. A command killed meanwhile
// (kill -9 during load, import or pull) leaves it there, up to the size of the
// archive. Who is still working is known from flocks, which the kernel drops when a
// process dies: writers hold the writer lock, and a command making such entries
// outside Write holds HoldTmp's shared lock. The next command to open the store
// (SweepLeftovers) finds entries while neither lock is held: their owner is dead.
const wipPrefix = "wip-"

// CreateTemp makes a file for work in progress in the tmp folder. The caller is inside
// Write or holds HoldTmp until the file is gone or renamed.
func (s *Store) CreateTemp(pattern string) (*os.File, error) {
	return os.CreateTemp(s.tmpDir(), wipPrefix+pattern)
}

// MkdirTemp makes a folder for work in progress in the tmp folder, as CreateTemp.
func (s *Store) MkdirTemp(pattern string) (string, error) {
	return os.MkdirTemp(s.tmpDir(), wipPrefix+pattern)
}

// SweepLeftovers moves the work in progress of dead commands to the trash and reports
// whether there was any: the caller then empties the trash (in the background, as it
// may be gigabytes). With none it costs one read of the tmp folder. Both locks are
// tried without waiting: while anyone holds one, the sweep is left to a later command.
func (s *Store) SweepLeftovers() (bool, error) {
	names, err := s.wipEntries()
	if err != nil || len(names) == 0 {
		return false, err
	}
	release, ok, err := s.lockIdle()
	if err != nil || !ok {
		return false, err
	}
	defer release()
	moved := false
	for _, n := range names {
		// A name listed before the locks were taken may since have been finished by its
		// (then live) owner: gone is fine.
		err := os.Rename(filepath.Join(s.tmpDir(), n), filepath.Join(s.tmpDir(), trash.Prefix+NewID()[:16]))
		switch {
		case err == nil:
			moved = true
		case !errors.Is(err, fs.ErrNotExist):
			return moved, fmt.Errorf("removing what a dead command left: %w", err)
		}
	}
	return moved, nil
}

// wipEntries lists the tmp folder's work-in-progress names.
func (s *Store) wipEntries() ([]string, error) {
	d, err := os.Open(s.tmpDir())
	if err != nil {
		return nil, err
	}
	defer d.Close()
	all, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range all {
		if strings.HasPrefix(n, wipPrefix) {
			names = append(names, n)
		}
	}
	return names, nil
}
