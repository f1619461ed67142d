package runtime

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openPty opens a new pty pair through /dev/ptmx: in the exec helper, which has joined
// the container's mount namespace, a pair of the container's devpts (a container's own
// pty is made there by init).
func openPty() (master, slave *os.File, err error) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	master = os.NewFile(uintptr(m), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking pty: %w", err)
	}
	// TIOCGPTPEER opens the slave through the master, with no path lookup to race.
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	s, err := int(r), error(nil)
	if errno != 0 {
		err = errno
		n, nerr := unix.IoctlGetInt(m, unix.TIOCGPTN)
		if nerr != nil {
			master.Close()
			return nil, nil, fmt.Errorf("opening pty slave: %w", err)
		}
		s, err = unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			master.Close()
			return nil, nil, fmt.Errorf("opening pty slave: %w", err)
		}
	}
	return master, os.NewFile(uintptr(s), "pty-slave"), nil
}

func setWinsize(f *os.File, ws WinSize) error {
	return unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: ws.Rows, Col: ws.Cols})
}
