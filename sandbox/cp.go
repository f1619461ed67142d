package sandbox

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/runtime"
)

// docker cp. Inside the container, paths are resolved by a helper whose root is the
// container's (chroot into the running container's root, or into a stopped one's
// file systems mounted in a mount namespace of the helper's own): whatever a link in
// the container says, and however it is swapped while the copy runs, the kernel
// resolves it inside. The helper is root, or the containers' root in a user namespace;
// it never looks up a user or group name, so no library of the container's is ever
// loaded (CVE-2019-14271). Between helper and host the files travel as a tar whose top
// entry is the source's base name, and both ends place it with the same rules
// (placeCopy), as Docker's: into a folder that exists, else under the new name.

// CopyOptions are docker cp's flags.
type CopyOptions struct {
	FollowLink bool // -L: a symbolic link as the source is followed
	Archive    bool // -a: copied in, files keep their owners (else the container's root owns them)
}

// Errors of docker cp, in Docker's words where it has some.
var (
	ErrCopyPath    = errors.New("no such container path")
	ErrCopyDirFile = errors.New("cannot copy a directory to a file")
	ErrCopyNoDir   = errors.New("no such directory")
)

// CopyPathError is Docker's "No such container:path: NAME:PATH".
type CopyPathError struct{ Container, Path string }

func (e *CopyPathError) Error() string {
	return fmt.Sprintf("No such container:path: %s:%s", e.Container, e.Path)
}
func (e *CopyPathError) Unwrap() error { return ErrCopyPath }

// copyRequest is what the cp helper is asked (in mappedRequest).
type copyRequest struct {
	Container string // as typed, for messages
	Path      string // in the container
	Follow    bool
	Archive   bool
	SkipChown bool // the helper cannot give files other owners (a single mapped id)
	Raw       bool // in: the stream is extracted into Path as it is (cp - CONTAINER:DIR)
	Running   bool // the container's root is descriptor 4; else mount it from:
	Rootfs    runtime.Rootfs
	Mounts    []runtime.Mount
	Rootless  bool
}

// Roles of the cp helper (see runMappedRole).
const (
	mappedCopyOut = "cp-out"
	mappedCopyIn  = "cp-in"
)

// CopyFromContainer writes the tar of the container's path to w, its top entry
// named after the path's base name, as `docker cp NAME:PATH -` does.
func (sb *Sandbox) CopyFromContainer(name, p string, opts CopyOptions, w io.Writer) error {
	req := copyRequest{Container: name, Path: p, Follow: opts.FollowLink}
	return sb.runCopy(mappedCopyOut, name, req, nil, w)
}

// CopyToContainer places the tar read from r (made by TarHostPath, or any tar with
// raw) at the container's path.
func (sb *Sandbox) CopyToContainer(name, p string, opts CopyOptions, raw bool, r io.Reader) error {
	req := copyRequest{Container: name, Path: p, Archive: opts.Archive, Raw: raw}
	req.SkipChown = os.Geteuid() != 0 && !runtime.MappedReadNeeded() && opts.Archive
	return sb.runCopy(mappedCopyIn, name, req, r, nil)
}

// runCopy starts the cp helper on the container name: its request first on stdin,
// then in's bytes.
func (sb *Sandbox) runCopy(task, name string, req copyRequest, in io.Reader, out io.Writer) error {
	c, err := sb.Container(name)
	if err != nil {
		return err
	}
	spec, err := sb.spec(c)
	if err != nil {
		return err
	}
	req.Rootless = os.Geteuid() != 0
	var root *os.File
	if c.State.Running {
		if root, err = runtime.OpenRoot(sb.containerDir(c.ID)); err != nil && !errors.Is(err, runtime.ErrNotRunning) {
			return err
		}
	}
	if root != nil {
		defer root.Close()
		req.Running = true
	} else {
		req.Rootfs, req.Mounts = spec.Rootfs, spec.Mounts
	}
	b, err := json.Marshal(mappedRequest{Copy: &req})
	if err != nil {
		return err
	}
	stdin := io.Reader(bytes.NewReader(b))
	if in != nil {
		stdin = io.MultiReader(stdin, in)
	}
	err = runtime.RunContained(task, root, root == nil, stdin, out)
	var me *runtime.MappedError
	if errors.As(err, &me) && strings.HasPrefix(me.Msg, copyPathMarker) {
		return &CopyPathError{Container: name, Path: req.Path}
	}
	return err
}

// copyPathMarker starts the helper's message for a missing container path.
const copyPathMarker = "no such container path: "

// runCopyRole is the cp helper: it enters the container's root and copies.
func runCopyRole(task string, req *copyRequest, in io.Reader, out io.Writer) error {
	root := ""
	if !req.Running {
		var err error
		if root, err = runtime.MountRoot(&req.Rootfs, req.Mounts, req.Rootless); err != nil {
			return err
		}
	}
	if err := runtime.EnterRoot(root); err != nil {
		return err
	}
	p := path.Clean("/" + req.Path)
	if task == mappedCopyOut {
		return tarPath(out, p, req.Follow, strings.HasSuffix(req.Path, "/."), func(string) error {
			return errors.New(copyPathMarker + req.Path)
		})
	}
	opts := archive.ApplyOptions{Plain: true, Rootless: req.SkipChown}
	if req.Raw {
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			return fmt.Errorf("destination \"%s:%s\" must be a directory", req.Container, req.Path)
		}
		_, err := archive.ApplyFlat(p, in, opts)
		return err
	}
	var chown func(*tar.Header)
	if !req.Archive {
		chown = func(h *tar.Header) { h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", "" }
	}
	err := placeCopy(in, p, strings.HasSuffix(req.Path, "/"), chown, opts)
	if errors.Is(err, os.ErrNotExist) {
		return errors.New(copyPathMarker + req.Path)
	}
	return err
}

// TarHostPath writes the tar of a host path for CopyToContainer: its top entry named
// after the path's base name ("SRC/." sends the folder's content).
func TarHostPath(w io.Writer, p string, follow bool) error {
	return tarPath(w, filepath.Clean(p), follow, strings.HasSuffix(p, "/."), nil)
}

// tarPath writes p as a cp stream: a file or link as one entry, a folder as an entry
// and all below it, named under p's base name (under "." with contents). missing
// makes the error for a path that does not exist.
func tarPath(w io.Writer, p string, follow, contents bool, missing func(string) error) error {
	fi, err := os.Lstat(p)
	if err == nil && follow && fi.Mode()&os.ModeSymlink != 0 {
		if p, err = filepath.EvalSymlinks(p); err == nil {
			fi, err = os.Lstat(p)
		}
	}
	if err != nil {
		if missing != nil && errors.Is(err, os.ErrNotExist) {
			return missing(p)
		}
		return err
	}
	base := filepath.Base(p)
	if p == "/" || contents {
		base = "."
	}
	tw := tar.NewWriter(w)
	dir, name := filepath.Split(p)
	if p == "/" {
		dir, name = "/", "."
	}
	// The entry of p itself: WriteChanges makes it without looking up any name.
	rename := func(string) string { return base }
	if err := relayTar(tw, func(w io.Writer) error {
		return archive.WriteChanges(w, dir, []archive.PathChange{{Path: name}})
	}, rename, nil); err != nil {
		return err
	}
	if fi.IsDir() {
		under := func(n string) string { return base + "/" + n } // "./x" stays under "." for placeCopy
		if err := relayTar(tw, func(w io.Writer) error { return archive.WriteTree(w, p) }, under, nil); err != nil {
			return err
		}
	}
	return tw.Close()
}

// relayTar copies the entries produce writes into tw, renamed and (when fix is set)
// changed by fix.
func relayTar(tw *tar.Writer, produce func(io.Writer) error, rename func(string) string, fix func(*tar.Header)) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(produce(pw)) }()
	err := copyEntries(tw, tar.NewReader(pr), nil, rename, fix)
	pr.CloseWithError(err)
	return err
}

// copyEntries copies every entry of tr to tw, renamed and fixed; first, when set,
// is the entry tr has just read.
func copyEntries(tw *tar.Writer, tr *tar.Reader, first *tar.Header, rename func(string) string, fix func(*tar.Header)) error {
	for {
		h, err := first, error(nil)
		if first == nil {
			h, err = tr.Next()
		}
		first = nil
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		dirSlash := strings.HasSuffix(h.Name, "/")
		h.Name = rename(strings.TrimSuffix(h.Name, "/"))
		if dirSlash || h.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		if h.Typeflag == tar.TypeLink {
			h.Linkname = rename(h.Linkname)
		}
		if fix != nil {
			fix(h)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}

// PlaceHostCopy places a cp stream (from CopyFromContainer) at a host path, as
// `docker cp NAME:PATH HOSTPATH` does. The stream is the container's: nothing in it
// may reach outside the folder it lands in, and whiteout names are plain files.
func PlaceHostCopy(r io.Reader, dest string) error {
	return placeCopy(r, dest, strings.HasSuffix(dest, "/"), nil, archive.ApplyOptions{Rootless: true, Plain: true})
}

// placeCopy extracts a cp stream at dest, as Docker places a copy: into dest when it
// is a folder; else as dest, renamed, when its parent is a folder (a folder never
// replaces a file, and a dest ending in "/" must be a folder that exists).
func placeCopy(r io.Reader, dest string, mustBeDir bool, fix func(*tar.Header), opts archive.ApplyOptions) error {
	tr := tar.NewReader(r)
	first, err := tr.Next()
	if err != nil {
		return fmt.Errorf("reading the copy: %w", err)
	}
	top := strings.TrimSuffix(first.Name, "/")
	srcDir := first.Typeflag == tar.TypeDir
	into, newName := dest, top
	fi, err := os.Stat(dest)
	switch {
	case err == nil && fi.IsDir():
	case err == nil && srcDir:
		return fmt.Errorf("%w: %s", ErrCopyDirFile, dest)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return err
	case err != nil && mustBeDir:
		return fmt.Errorf("%w: %s", ErrCopyNoDir, dest)
	default:
		into, newName = filepath.Dir(dest), filepath.Base(dest)
		if pfi, err := os.Stat(into); err != nil || !pfi.IsDir() {
			return fmt.Errorf("%w: %s", os.ErrNotExist, into)
		}
	}
	rename := func(n string) string {
		if n == top {
			return newName
		}
		if strings.HasPrefix(n, top+"/") {
			return path.Join(newName, n[len(top)+1:])
		}
		return n
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := copyEntries(tw, tr, first, rename, fix)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	_, err = archive.ApplyFlat(into, pr, opts)
	pr.CloseWithError(err)
	return err
}
