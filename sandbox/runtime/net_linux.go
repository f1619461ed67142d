package runtime

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// pastaPaths are where Debian's passt package puts pasta; looked up by path, not
// through $PATH, which the learner controls.
var pastaPaths = []string{"/usr/bin/pasta", "/usr/local/bin/pasta", "/bin/pasta"}

// PastaMissingError says which package gives pasta.
type PastaMissingError struct{}

func (PastaMissingError) Error() string {
	return "a container's own network needs pasta, which is missing: install Debian's passt package (apt-get install passt), or use --network host"
}

// Unwrap lets errors.Is(err, ErrNoPasta) match.
func (PastaMissingError) Unwrap() error { return ErrNoPasta }

// pastaBinary is the installed pasta, or PastaMissingError.
func pastaBinary() (string, error) {
	for _, p := range pastaPaths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", PastaMissingError{}
}

// CheckNet tells early, before a container is made, whether Net can work here.
func CheckNet() error {
	_, err := pastaBinary()
	return err
}

// pasta is a container's running pasta, a child of its shim: the shim ends it when the
// container ends, and the kernel when the shim dies (Pdeathsig).
type pasta struct {
	pid    int
	c      *child
	pidR   *os.File // pasta writes its pid here once it has configured the namespace
	stderr *limitedBuffer
	once   sync.Once
}

// pastaArgs is pasta's command line: in the foreground (a child of the shim), the
// namespaces as inherited descriptors 3 (net) and 5 (user, rootless), its pid written
// to descriptor 4 once it is ready.
func pastaArgs(n *Net, userns bool) ([]string, error) {
	pfx, err := netip.ParsePrefix(n.Address)
	if err != nil {
		return nil, fmt.Errorf("container address %q: %w", n.Address, err)
	}
	args := []string{"pasta", "-f", "-q", "--config-net", "--ipv4-only",
		"-I", "eth0", "-a", pfx.Addr().String(), "-n", strconv.Itoa(pfx.Bits()), "-g", n.Gateway,
		// Nothing of the host's loopback: neither through the gateway address nor
		// by forwarding the namespace's ports to it.
		"--no-map-gw", "-T", "none", "-U", "none",
		"-P", "/proc/self/fd/4", "--netns", "/proc/self/fd/3"}
	if userns {
		args = append(args, "--userns", "/proc/self/fd/5")
	} else {
		args = append(args, "--runas", "0") // as root, not nobody: it opens our descriptors
	}
	if n.MAC != "" {
		args = append(args, "--ns-mac-addr", n.MAC)
	}
	return append(args, portArgs(n.Ports)...), nil
}

// portArgs are pasta's -t and -u options: "none", or one option per mapping,
// [HOSTIP/]HOST:CONTAINER (pasta takes one address per option).
func portArgs(ports []PortMap) []string {
	var t, u []string
	for _, p := range ports {
		s := fmt.Sprintf("%d:%d", p.HostPort, p.ContainerPort)
		if p.HostIP != "" && p.HostIP != "0.0.0.0" {
			s = p.HostIP + "/" + s
		}
		if p.Proto == "udp" {
			u = append(u, "-u", s)
		} else {
			t = append(t, "-t", s)
		}
	}
	if len(t) == 0 {
		t = []string{"-t", "none"}
	}
	if len(u) == 0 {
		u = []string{"-u", "none"}
	}
	return append(t, u...)
}

// nsGetUserns is NS_GET_USERNS (linux/nsfs.h): the user namespace owning a namespace.
const nsGetUserns = 0xb701

// sendNetns hands the init's network namespace to the shim (see startPasta).
func sendNetns(sock int) error {
	fd, err := unix.Open("/proc/self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("container init: %w", err)
	}
	defer unix.Close(fd)
	return sendMsg(sock, syncMsg{Type: "netns"}, fd)
}

// launchPasta starts connecting the network namespace netns (the init's own
// descriptor: the shim may not open a non-dumpable init's /proc files); ready waits
// until it is done. Rootless, pasta joins the user namespace owning it first.
func launchPasta(netns *os.File, n *Net, rootless bool) (*pasta, error) {
	bin, err := pastaBinary()
	if err != nil {
		return nil, err
	}
	if rootless && unix.Access("/dev/net/tun", unix.R_OK|unix.W_OK) != nil {
		return nil, errors.New("connecting the container's network: /dev/net/tun is not open to unprivileged users (udev makes it mode 0666: chmod 0666 /dev/net/tun), or use --network host")
	}
	args, err := pastaArgs(n, rootless)
	if err != nil {
		return nil, err
	}
	pidR, pidW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("connecting the container's network: %w", err)
	}
	defer pidW.Close()
	extra := []*os.File{netns, pidW}
	if rootless {
		fd, err := unix.IoctlRetInt(int(netns.Fd()), nsGetUserns)
		if err != nil {
			pidR.Close()
			return nil, fmt.Errorf("connecting the container's network: its user namespace: %w", err)
		}
		userns := os.NewFile(uintptr(fd), "userns")
		defer userns.Close()
		extra = append(extra, userns)
	}
	// The shim holds descriptors it inherited open across exec (its init's pipes, from
	// its constructor): pasta must not, or a container's stdin would never end.
	if err := cloexecAll(); err != nil {
		pidR.Close()
		return nil, fmt.Errorf("connecting the container's network: %w", err)
	}
	p := &pasta{pidR: pidR, stderr: &limitedBuffer{}}
	p.c, err = spawn(bin, args, spawnAttr{Stderr: p.stderr, Extra: extra,
		Sys: &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}})
	if err != nil {
		pidR.Close()
		return nil, fmt.Errorf("starting pasta: %w", err)
	}
	p.pid = p.c.pid
	return p, nil
}

// ready waits until pasta has configured the namespace: it writes its pid then; an
// end without one is a failure.
func (p *pasta) ready() error {
	line, _ := bufio.NewReader(p.pidR).ReadString('\n')
	p.pidR.Close()
	if strings.TrimSpace(line) == "" {
		p.once.Do(func() { _, _ = p.c.wait(100 * time.Millisecond) }) // its stderr, copied
		return fmt.Errorf("pasta could not connect the container's network: %s", p.stderr.String())
	}
	return nil
}

// stop ends pasta and reaps it; a second call does nothing.
func (p *pasta) stop() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		_ = unix.Kill(p.pid, unix.SIGKILL)
		_, _ = reap(p.pid)
		p.c.closePipes()
	})
}

// limitedBuffer keeps the first 4 KiB written to it (a tool's error message).
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 4096 - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSpace(string(b.buf))
	if s == "" {
		return "it gave no reason"
	}
	return s
}
