package build

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/moby/sys/user"
)

// chownIDs reads --chown=USER[:GROUP] as Docker's builder does: numbers are
// taken as they are, names are looked up in the image's /etc/passwd and
// /etc/group, and a missing group is the user's own name or number.
func chownIDs(spec string, view fs.FS) (uid, gid int, err error) {
	if spec == "" {
		return 0, 0, nil
	}
	u, g, ok := strings.Cut(spec, ":")
	if !ok {
		g = u
	}
	if uid, err = lookupID(u, view, "etc/passwd", true); err != nil {
		return 0, 0, err
	}
	if gid, err = lookupID(g, view, "etc/group", false); err != nil {
		return 0, 0, err
	}
	return uid, gid, nil
}

func lookupID(name string, view fs.FS, file string, isUser bool) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	f, err := view.Open(file)
	if err != nil {
		return 0, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find uid for user %s: no such user: %s", name, name)
	}
	defer f.Close()
	if isUser {
		us, err := user.ParsePasswdFilter(f, func(u user.User) bool { return u.Name == name })
		if err != nil || len(us) == 0 {
			return 0, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find uid for user %s: no such user: %s", name, name)
		}
		return us[0].Uid, nil
	}
	gs, err := user.ParseGroupFilter(f, func(g user.Group) bool { return g.Name == name })
	if err != nil || len(gs) == 0 {
		return 0, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find gid for group %s: no such group: %s", name, name)
	}
	return gs[0].Gid, nil
}

// chmodBits reads --chmod: octal permission bits, as the classic builder takes them.
func chmodBits(spec string) (*uint32, error) {
	if spec == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(spec, 8, 32)
	if err != nil || n > 0o7777 {
		return nil, fmt.Errorf("invalid chmod parameter %s: use octal permission bits such as 755 (symbolic modes are %w)", spec, ErrNotSupported)
	}
	m := uint32(n)
	return &m, nil
}
