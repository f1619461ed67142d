package sandbox

import (
	"strconv"

	"github.com/moby/sys/user"
)

// HostUserNames names host user IDs from the host's passwd file, as `docker top`
// (ps on the host) does; an ID without a name stays a number. The file is read once.
func HostUserNames() func(uid int) string {
	names := map[int]string{}
	if users, err := user.ParsePasswdFileFilter("/etc/passwd", nil); err == nil {
		for _, u := range users {
			if _, dup := names[u.Uid]; !dup {
				names[u.Uid] = u.Name
			}
		}
	}
	return func(uid int) string {
		if n, ok := names[uid]; ok {
			return n
		}
		return strconv.Itoa(uid)
	}
}
