package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The attach protocol: frames of a type byte, a big-endian uint32 length and the payload.
const (
	// client -> shim
	frHello  = 'h' // 1 byte: helloStdio or 0 (a waiter: exit code only, does not release a hold); then, optionally, the window size as frResize's 4 bytes
	frStdin  = 'i'
	frEOF    = 'e' // the client's stdin ended
	frResize = 'r' // rows, cols as big-endian uint16
	// shim -> client
	frMode   = 'm' // 1 byte: 1 when the container has a tty
	frStdout = 'o'
	frStderr = '2'
	frExit   = 'x' // big-endian int32 exit code
)

const (
	helloStdio = 1
	maxFrame   = 1 << 20
)

func writeFrame(w io.Writer, typ byte, p []byte) error {
	buf := make([]byte, 5+len(p))
	buf[0] = typ
	binary.BigEndian.PutUint32(buf[1:5], uint32(len(p)))
	copy(buf[5:], p)
	_, err := w.Write(buf)
	return err
}

func readFrame(r io.Reader, buf []byte) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("attach frame of %d bytes is too large", n)
	}
	if int(n) > cap(buf) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return h[0], buf, nil
}

// sockPath returns a path for dir/attach.sock short enough for sockaddr_un (108 bytes):
// long paths go through /proc/self/fd/N of an O_PATH descriptor of dir. The returned
// function releases that descriptor.
func sockPath(dir string) (string, func(), error) {
	p := path.Join(dir, sockFile)
	if len(p) < 100 {
		return p, func() {}, nil
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	return "/proc/self/fd/" + strconv.Itoa(fd) + "/" + sockFile, func() { unix.Close(fd) }, nil
}

func dial(dir string) (*os.File, error) {
	p, done, err := sockPath(dir)
	if err != nil {
		return nil, err
	}
	defer done()
	c, err := dialUnix(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ECONNREFUSED) {
			return nil, ErrNotRunning
		}
		return nil, fmt.Errorf("connecting to the container: %w", err)
	}
	return c, nil
}

// Attach connects s to the running container's stdio. It returns the exit code when the
// process exits, or ErrDetached when the detach keys were read from s.In (the container
// goes on running). Input goes to the container only when it was started with OpenStdin.
// The caller puts its terminal in raw mode when the container has a tty.
func Attach(dir string, s Streams) (int, error) {
	st, err := status(dir)
	if err != nil {
		return -1, err
	}
	// A stopped container's shim still answers while it keeps the output of a
	// command that ended before its first attacher (run, start -a) connected.
	if st.Status != "running" && !st.AwaitingAttach {
		return -1, ErrNotRunning
	}
	c, err := dial(dir)
	if err != nil {
		return -1, err
	}
	defer c.Close()
	var wmu sync.Mutex // frames from the input and resize goroutines must not interleave
	send := func(typ byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return writeFrame(c, typ, p)
	}
	// The window size, when known, rides in the hello: a held shell must start at the
	// attacher's size, and a separate frame could arrive after its release.
	hello := []byte{helloStdio}
	if s.Resize != nil {
		select {
		case ws, ok := <-s.Resize:
			if ok {
				hello = binary.BigEndian.AppendUint16(hello, ws.Rows)
				hello = binary.BigEndian.AppendUint16(hello, ws.Cols)
			}
		default:
		}
	}
	if err := send(frHello, hello); err != nil {
		return -1, fmt.Errorf("attaching: %w", err)
	}
	out, errw := s.Out, s.Err
	if out == nil {
		out = io.Discard
	}
	if errw == nil {
		errw = io.Discard
	}

	done := make(chan struct{})
	defer close(done)
	detached := make(chan struct{})
	if s.Resize != nil {
		go func() {
			for {
				select {
				case <-done:
					return
				case ws, ok := <-s.Resize:
					if !ok {
						return
					}
					var p [4]byte
					binary.BigEndian.PutUint16(p[0:], ws.Rows)
					binary.BigEndian.PutUint16(p[2:], ws.Cols)
					if send(frResize, p[:]) != nil {
						return
					}
				}
			}
		}()
	}
	// Input starts once the shim answered the hello (its mode frame comes after it set
	// the window size).
	startInput := func() {
		if s.Attached != nil {
			s.Attached()
		}
		if s.In == nil {
			return
		}
		keys := s.DetachKeys
		if keys == nil {
			keys = []byte{0x10, 0x11} // ctrl-p ctrl-q
		}
		// The goroutine may stay blocked reading s.In after Attach returns (a terminal read
		// cannot be interrupted); it then forwards nothing, as the connection is closed.
		go func() {
			err := copyInput(s.In, keys, func(p []byte) error { return send(frStdin, p) })
			if errors.Is(err, ErrDetached) {
				close(detached)
				_ = closeRead(c) // unblocks the output loop
				return
			}
			if err == nil {
				_ = send(frEOF, nil)
			}
		}()
	}
	started := false

	buf := make([]byte, 32*1024)
	for {
		typ, p, err := readFrame(c, buf)
		if err != nil {
			select {
			case <-detached:
				return -1, ErrDetached
			default:
			}
			// The shim went away without telling: report what the state says.
			st, serr := status(dir)
			if serr == nil && st.Status == "exited" {
				return st.ExitCode, nil
			}
			return -1, fmt.Errorf("attach connection lost: %w", err)
		}
		if !started {
			started = true
			startInput()
		}
		switch typ {
		case frStdout:
			if _, err := out.Write(p); err != nil {
				return -1, fmt.Errorf("writing container output: %w", err)
			}
		case frStderr:
			if _, err := errw.Write(p); err != nil {
				return -1, fmt.Errorf("writing container output: %w", err)
			}
		case frExit:
			if len(p) == 4 {
				return int(int32(binary.BigEndian.Uint32(p))), nil
			}
		}
	}
}

// copyInput forwards in to send until EOF (nil) or until keys are read (ErrDetached).
// Bytes that start the escape sequence are held back until it is clear they do not
// complete it, like Docker's escape proxy.
func copyInput(in io.Reader, keys []byte, send func([]byte) error) error {
	buf := make([]byte, 32*1024)
	matched := 0 // how many bytes of keys are held back
	for {
		n, rerr := in.Read(buf)
		if n > 0 {
			var out bytes.Buffer
			for _, b := range buf[:n] {
				if len(keys) > 0 && b == keys[matched] {
					matched++
					if matched == len(keys) {
						if out.Len() > 0 {
							_ = send(out.Bytes())
						}
						return ErrDetached
					}
					continue
				}
				if matched > 0 {
					out.Write(keys[:matched])
					matched = 0
					if len(keys) > 0 && b == keys[0] {
						matched = 1
						continue
					}
				}
				out.WriteByte(b)
			}
			if out.Len() > 0 {
				if err := send(out.Bytes()); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			if matched > 0 {
				_ = send(keys[:matched])
			}
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// wait blocks until the container exits, at most timeout when timeout > 0 (then the error
// wraps os.ErrDeadlineExceeded). It listens on the attach socket as a waiter, which does
// not release a held container.
func wait(dir string, timeout time.Duration) (int, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		st, err := status(dir)
		if err != nil {
			return -1, err
		}
		if st.Status != "running" {
			return st.ExitCode, nil
		}
		c, err := dial(dir)
		if err == nil {
			code, werr := waitConn(c, deadline)
			c.Close()
			if werr == nil {
				return code, nil
			}
			if errors.Is(werr, os.ErrDeadlineExceeded) {
				return -1, werr
			}
		}
		// The socket is gone or the connection broke: the shim is finishing or died.
		// Status settles it; poll briefly.
		if !deadline.IsZero() && time.Now().After(deadline) {
			return -1, fmt.Errorf("waiting for the container: %w", os.ErrDeadlineExceeded)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitConn(c *os.File, deadline time.Time) (int, error) {
	if !deadline.IsZero() {
		_ = c.SetDeadline(deadline)
	}
	if err := writeFrame(c, frHello, []byte{0}); err != nil {
		return -1, err
	}
	buf := make([]byte, 64)
	for {
		typ, p, err := readFrame(c, buf)
		if err != nil {
			return -1, err
		}
		if typ == frExit && len(p) == 4 {
			return int(int32(binary.BigEndian.Uint32(p))), nil
		}
	}
}
