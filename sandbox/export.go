package sandbox

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/dockling/dockling/sandbox/archive"
)

// Export writes a container's whole file system (its image plus its changes) as a
// tar, as `docker export` does.
func (sb *Sandbox) Export(name string, w io.Writer) error {
	fsys, err := sb.ContainerFS(name)
	if err != nil {
		return err
	}
	return streamExport(w, fsys.(*layerFS))
}

// writeExport writes the tar of a container's merged view. A file it cannot read is
// an error, never left out.
func writeExport(w io.Writer, lfs *layerFS) error { return writeViewTar(w, lfs, ".") }

// writeViewTar writes the tar of dir (a resolved path in lfs) and what is below it,
// named relative to dir.
func writeViewTar(w io.Writer, lfs *layerFS, dir string) error {
	tw := tar.NewWriter(w)
	err := fs.WalkDir(lfs, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		real, err := lfs.RealPath(p)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(real)
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(real); err != nil {
				return err
			}
		}
		if fi.Mode()&(fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice) != 0 {
			return nil
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = p
		if dir != "." {
			h.Name = p[len(dir)+1:]
		}
		if fi.IsDir() {
			h.Name += "/"
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			h.Uid, h.Gid = archive.ContainerOwner(st.Uid, st.Gid)
		}
		h.Uname, h.Gname = "", ""
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(real)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("exporting: %w", err)
	}
	return tw.Close()
}
