// Package archive reads and writes image layer tarballs (the Docker/OCI layer format) on
// disk in the overlayfs form the runtime mounts. Every tarball is untrusted input.
package archive

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
)

// ApplyOptions tunes layer extraction.
type ApplyOptions struct {
	// Rootless: the caller is not root. Ownership (chown) is skipped, opaque dirs use the
	// "user.overlay.opaque" xattr (for overlay mounted with the userxattr option) instead of
	// "trusted.overlay.opaque".
	Rootless bool
	// Plain: a copy of files (docker cp), not a layer: ".wh." names are ordinary
	// files and a 0/0 character device is skipped like any device, so a container's
	// file named ".wh.NAME" cannot delete NAME where it is copied to.
	Plain bool
}

// ErrUnsafe is what every UnsafeEntryError unwraps to, so callers can test with errors.Is.
var ErrUnsafe = errors.New("unsafe archive entry")

// UnsafeEntryError names a tar entry that was refused because extracting it could reach
// outside the target directory (or is otherwise malformed in a dangerous way).
type UnsafeEntryError struct {
	Name   string
	Reason string
}

func (e *UnsafeEntryError) Error() string {
	return fmt.Sprintf("unsafe entry %q: %s", e.Name, e.Reason)
}

// Unwrap returns ErrUnsafe.
func (e *UnsafeEntryError) Unwrap() error { return ErrUnsafe }

func unsafeEntry(name, reason string) error {
	return &UnsafeEntryError{Name: name, Reason: reason}
}

const (
	// maxNameLen bounds header names and link targets; PATH_MAX on Linux.
	maxNameLen = 4096

	whiteoutPrefix     = ".wh."
	whiteoutMetaPrefix = ".wh..wh."
	whiteoutOpaque     = ".wh..wh..opq"

	opaqueTrusted = "trusted.overlay.opaque"
	opaqueUser    = "user.overlay.opaque"
)

// cleanEntryPath turns a tar header path into a clean path relative to the layer root
// ("." is the root itself). Anything absolute or climbing out with ".." is refused rather
// than re-rooted: a layer that tries it is hostile or broken, and either way the caller
// should not get a silently different tree.
func cleanEntryPath(entry, p, what string) (string, error) {
	switch {
	case len(p) > maxNameLen:
		return "", unsafeEntry(truncName(entry), what+" longer than 4096 bytes")
	case p == "":
		return "", unsafeEntry(entry, what+" is empty")
	case strings.IndexByte(p, 0) >= 0:
		return "", unsafeEntry(entry, what+" contains a NUL byte")
	}
	c := path.Clean(p)
	if path.IsAbs(c) {
		return "", unsafeEntry(entry, what+" is an absolute path")
	}
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", unsafeEntry(entry, what+" escapes the layer root")
	}
	return c, nil
}

// truncName keeps error messages readable when the offending name is enormous.
func truncName(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// entryKind says how a cleaned entry path must be treated before looking at its type.
type entryKind int

const (
	kindNormal   entryKind = iota
	kindWhiteout           // ".wh.NAME": NAME is deleted in this layer
	kindOpaque             // "DIR/.wh..wh..opq": DIR hides everything below it
	kindSkip               // aufs bookkeeping (".wh..wh.plnk" and friends)
)

// classify inspects the whiteout conventions of a cleaned path. For kindWhiteout the
// returned string is the path of the deleted entry, for kindOpaque the directory.
func classify(entry, clean string) (entryKind, string, error) {
	if clean == "." {
		return kindNormal, clean, nil
	}
	parts := strings.Split(clean, "/")
	last := len(parts) - 1
	for i, part := range parts {
		if strings.HasPrefix(part, whiteoutMetaPrefix) {
			if i == last && part == whiteoutOpaque {
				return kindOpaque, path.Dir(clean), nil
			}
			return kindSkip, "", nil
		}
		if strings.HasPrefix(part, whiteoutPrefix) && i != last {
			// A ".wh." directory would put entries "inside" a deletion marker; no valid
			// layer has that and it would let a whiteout name smuggle in a "/".
			return 0, "", unsafeEntry(entry, "whiteout name used as a directory")
		}
	}
	base := parts[last]
	if !strings.HasPrefix(base, whiteoutPrefix) {
		return kindNormal, clean, nil
	}
	name := base[len(whiteoutPrefix):]
	if name == "" || name == "." || name == ".." {
		return 0, "", unsafeEntry(entry, "malformed whiteout name")
	}
	return kindWhiteout, path.Join(path.Dir(clean), name), nil
}

// isOverlayXattr reports xattrs that belong to overlayfs itself. They never travel in a
// layer tar: opaqueness is carried by ".wh..wh..opq", and letting a tarball set redirect,
// origin or metacopy attributes would let it steer overlay lookups.
func isOverlayXattr(name string) bool {
	return strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.")
}

// ContainerOwner is the owner a tar entry records for a file owned by uid:gid on disk:
// the owner the containers see. Rootless, dockling maps the user to the containers'
// root, so an unprivileged process outside a user namespace writes its own ids as 0,
// as Docker's rootless daemon does; root, and a helper inside the containers' user
// namespace (where the kernel already shows the containers' ids), write them as they
// are.
func ContainerOwner(uid, gid uint32) (int, int) {
	if os.Geteuid() == 0 {
		return int(uid), int(gid)
	}
	u, g := int(uid), int(gid)
	if u == os.Getuid() {
		u = 0
	}
	if g == os.Getgid() {
		g = 0
	}
	return u, g
}
