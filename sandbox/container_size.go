package sandbox

import (
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
)

// ContainerSize is what c's writable layer holds (Docker's SizeRw): the bytes of the
// regular files it added or changed, each inode once. A vfs copy holds the image too,
// so there only the files Diff lists count.
func (sb *Sandbox) ContainerSize(c *Container) int64 {
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		return 0
	}
	if rw.Upper != "" {
		return treeSize(rw.Upper, nil)
	}
	changes, err := sb.Diff(c.ID)
	if err != nil {
		return 0
	}
	changed := map[string]bool{}
	for _, ch := range changes {
		if ch.Kind != 'D' {
			changed[strings.TrimPrefix(ch.Path, "/")] = true
		}
	}
	return treeSize(rw.Copy, changed)
}

// treeSize adds up the regular files below root (only those in keep, when given);
// unreadable folders (a rootless container's private ones) count as empty.
func treeSize(root string, keep map[string]bool) int64 {
	type inode struct{ dev, ino uint64 }
	seen := map[inode]bool{}
	var n int64
	_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil
		}
		if keep != nil {
			rel, _ := filepath.Rel(root, p)
			if !keep[filepath.ToSlash(rel)] {
				return nil
			}
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			k := inode{uint64(st.Dev), uint64(st.Ino)}
			if seen[k] {
				return nil
			}
			seen[k] = true
		}
		n += info.Size()
		return nil
	})
	return n
}
