package sandboxview

import (
	"fmt"
	"os"
	"strconv"

	"github.com/dockling/dockling/sandbox"
	"golang.org/x/sys/unix"
)

// nsGetOwnerUID is the ioctl NS_GET_OWNER_UID, _IO(0xb7, 0x4): the uid that
// owns a user namespace (x/sys/unix does not name it).
const nsGetOwnerUID = 0xb704

// Foreign finds a running container of sb, a graded copy of a folder of owner's,
// whose process is not in a container of the owner's: its record names the
// process an exec check would join, and a grader joining a process outside the
// owner's user namespaces would run the check with the grader's rights outside
// any container. A folder of the grader's own is not checked.
func Foreign(sb *sandbox.Sandbox, owner int) error {
	if owner == os.Geteuid() {
		return nil
	}
	cs, err := sb.Containers()
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.State.Pid <= 0 || (c.State.Status != "running" && c.State.Status != "paused") {
			continue
		}
		if !inUserNSOf(c.State.Pid, owner) {
			return &UnsafeError{Path: "container " + c.ShortName(),
				What: "running as process " + strconv.Itoa(c.State.Pid),
				Why:  fmt.Sprintf("which is not a container of the sandbox folder's owner (uid %d): no command is run there", owner)}
		}
	}
	return nil
}

// inUserNSOf: pid is in a user namespace other than ours that uid owns, where
// joining it gives no more than uid has.
func inUserNSOf(pid, uid int) bool {
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/user", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var theirs, ours unix.Stat_t
	if unix.Fstat(fd, &theirs) != nil || unix.Stat("/proc/self/ns/user", &ours) != nil {
		return false
	}
	if theirs.Ino == ours.Ino && theirs.Dev == ours.Dev {
		return false
	}
	owner, err := unix.IoctlGetUint32(fd, nsGetOwnerUID)
	return err == nil && int(owner) == uid
}
