package runtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// hub is the shim's side of attach: output of the container to the log and to every
// attacher, input from any attacher to the container.
type hub struct {
	tty    bool
	master *os.File // the pty master (tty mode)
	stdin  *os.File // the write end of the container's stdin pipe, nil without OpenStdin
	log    *jsonLog

	mu            sync.Mutex
	clients       map[*client]bool
	exited        bool
	code          int
	onFirstAttach func()
	released      bool
	execErr       error

	inMu        sync.Mutex // input writes may block; they must not stall output
	stdinClosed bool

	// Output kept for the first attacher (see keepForFirstAttach): the process runs
	// before `run` has connected and must not lose its first bytes.
	keep      bool
	kept      []keptFrame
	keptBytes int
	keptRoom  *sync.Cond // output waits here while kept is full

	pumps sync.WaitGroup
}

type keptFrame struct {
	stream byte
	p      []byte
}

// maxKept bounds the output kept for the first attacher; past it the container's
// writes wait (its pipe fills) until someone attaches.
const maxKept = 1 << 20

// keepForFirstAttach keeps the container's output from now on for the first stdio
// attacher, who gets it before anything else. Nobody attaching within giveUp (the
// caller that asked died) ends the keeping: the log has everything anyway.
func (h *hub) keepForFirstAttach(giveUp time.Duration) {
	h.mu.Lock()
	h.keep = true
	h.keptRoom = sync.NewCond(&h.mu)
	h.mu.Unlock()
	time.AfterFunc(giveUp, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.stopKeeping()
	})
}

// keeping says whether output is kept for a first attacher that has not come yet.
func (h *hub) keeping() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.keep
}

// awaitFirstAttach returns once no output is kept for a first attacher any more: it
// came (and got its output and, the process being gone, the exit code), or it was
// given up on.
func (h *hub) awaitFirstAttach() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.keep {
		h.keptRoom.Wait()
	}
}

// stopKeeping ends keepForFirstAttach; call with h.mu held.
func (h *hub) stopKeeping() {
	if h.keep {
		h.keep, h.kept, h.keptBytes = false, nil, 0
		h.keptRoom.Broadcast()
	}
}

type client struct {
	c     *os.File
	stdio bool
}

func newHub(tty bool, log *jsonLog) *hub {
	return &hub{tty: tty, log: log, clients: map[*client]bool{}}
}

func listen(dir string) (*os.File, error) {
	p, done, err := sockPath(dir)
	if err != nil {
		return nil, err
	}
	defer done()
	_ = os.Remove(p)
	ln, err := listenUnix(p)
	if err != nil {
		return nil, fmt.Errorf("listening for attach: %w", err)
	}
	return ln, nil
}

func (h *hub) serve(ln *os.File) {
	for {
		c, err := acceptUnix(ln)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go h.handle(c)
	}
}

func (h *hub) handle(c *os.File) {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 32*1024)
	typ, p, err := readFrame(c, buf)
	if err != nil || typ != frHello || (len(p) != 1 && len(p) != 5) {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	cl := &client{c: c, stdio: p[0]&helloStdio != 0}
	mode := byte(0)
	if h.tty {
		mode = 1
	}

	h.mu.Lock()
	if !h.exited {
		// Registered before the resize, so what the resize makes the shell draw again
		// reaches this attacher (no output is sent while h.mu is held); resized before a
		// held process is released, and before the mode frame, on which the attacher's
		// terminal goes raw.
		h.clients[cl] = true
		if len(p) == 5 {
			h.resize(p[1:])
		}
	}
	_ = h.send(cl, frMode, []byte{mode})
	if cl.stdio && h.keep {
		for _, f := range h.kept {
			_ = h.send(cl, f.stream, f.p)
		}
		h.stopKeeping()
	}
	if h.exited {
		h.sendExit(cl, h.code)
		h.mu.Unlock()
		return
	}
	release := false
	if cl.stdio && !h.released && h.onFirstAttach != nil {
		h.released, release = true, true
	}
	h.mu.Unlock()
	if release {
		// Registered first, so this attacher sees the very first byte of output.
		h.onFirstAttach()
	}

	for {
		typ, p, err := readFrame(c, buf)
		if err != nil {
			break
		}
		if !cl.stdio {
			continue
		}
		switch typ {
		case frStdin:
			h.input(p)
		case frEOF:
			h.closeStdin()
		case frResize:
			h.resize(p)
		}
	}
	h.mu.Lock()
	delete(h.clients, cl)
	h.mu.Unlock()
	c.Close()
}

// resize sets the terminal's size from a frResize payload (rows, cols).
func (h *hub) resize(p []byte) {
	if h.master != nil && len(p) == 4 {
		ws := &unix.Winsize{Row: binary.BigEndian.Uint16(p), Col: binary.BigEndian.Uint16(p[2:])}
		_ = unix.IoctlSetWinsize(int(h.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

func (h *hub) input(p []byte) {
	h.inMu.Lock()
	defer h.inMu.Unlock()
	switch {
	case h.master != nil:
		_, _ = h.master.Write(p)
	case h.stdin != nil && !h.stdinClosed:
		_, _ = h.stdin.Write(p)
	}
}

// closeStdin: an attacher's input ended, so the container's stdin ends (Docker's StdinOnce).
// A tty has no end of input; EOF there is the user typing ctrl-d.
func (h *hub) closeStdin() {
	h.inMu.Lock()
	defer h.inMu.Unlock()
	if h.stdin != nil && !h.stdinClosed {
		h.stdinClosed = true
		h.stdin.Close()
	}
}

// send writes one frame to a client; call with h.mu held. A client that cannot keep up
// for seconds is dropped rather than stalling the container.
func (h *hub) send(cl *client, typ byte, p []byte) error {
	_ = cl.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return writeFrame(cl.c, typ, p)
}

func (h *hub) sendExit(cl *client, code int) {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], uint32(int32(code)))
	_ = h.send(cl, frExit, p[:])
	cl.c.Close()
}

func (h *hub) output(stream byte, p []byte) {
	h.log.write(stream, p)
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.keep && h.keptBytes >= maxKept {
		h.keptRoom.Wait()
	}
	if h.keep {
		h.kept = append(h.kept, keptFrame{stream: stream, p: append([]byte(nil), p...)})
		h.keptBytes += len(p)
		return
	}
	for cl := range h.clients {
		if !cl.stdio {
			continue
		}
		if err := h.send(cl, stream, p); err != nil {
			cl.c.Close()
			delete(h.clients, cl)
		}
	}
}

// pump copies the container's output until it ends.
func (h *hub) pump(ip *initProc) {
	run := func(f *os.File, stream byte) {
		defer h.pumps.Done()
		buf := make([]byte, 32*1024)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				h.output(stream, buf[:n])
			}
			if err != nil {
				return // EOF for pipes, EIO for a pty whose last slave closed
			}
		}
	}
	if ip.master != nil {
		h.pumps.Add(1)
		go run(ip.master, frStdout)
		return
	}
	h.pumps.Add(2)
	go run(ip.stdout, frStdout)
	go run(ip.stderr, frStderr)
}

// drain waits for the output pumps after the process exited. Everything in the pid
// namespace died with its pid 1, so the output ends promptly; the bound covers a
// descriptor leaked to somewhere else.
func (h *hub) drain() {
	done := make(chan struct{})
	go func() { h.pumps.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	h.log.flush()
}

// finish tells every client the exit code; later connections get it too.
func (h *hub) finish(code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.exited, h.code = true, code
	for cl := range h.clients {
		h.sendExit(cl, code)
		delete(h.clients, cl)
	}
}

// jsonLog writes Docker's json-file format: one {"log","stream","time"} object per line
// of output; a partial line is held until its newline, 16 KiB, or the end.
type jsonLog struct {
	mu      sync.Mutex
	f       *os.File
	partial [2][]byte
}

type logEntry struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
	Time   string `json:"time"`
}

const maxPartial = 16 * 1024

// logTimeFormat is Docker's: RFC 3339 with all nine fraction digits.
const logTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func streamIndex(stream byte) (int, string) {
	if stream == frStderr {
		return 1, "stderr"
	}
	return 0, "stdout"
}

func (l *jsonLog) write(stream byte, p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, name := streamIndex(stream)
	buf := append(l.partial[i], p...)
	var out bytes.Buffer
	for {
		nl := bytes.IndexByte(buf, '\n')
		if nl < 0 {
			break
		}
		l.entry(&out, name, buf[:nl+1])
		buf = buf[nl+1:]
	}
	if len(buf) >= maxPartial {
		l.entry(&out, name, buf)
		buf = nil
	}
	l.partial[i] = append([]byte(nil), buf...)
	if out.Len() > 0 {
		_, _ = l.f.Write(out.Bytes())
	}
}

func (l *jsonLog) entry(out *bytes.Buffer, stream string, line []byte) {
	b, err := json.Marshal(logEntry{Log: string(line), Stream: stream, Time: time.Now().UTC().Format(logTimeFormat)})
	if err == nil {
		out.Write(b)
		out.WriteByte('\n')
	}
}

func (l *jsonLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out bytes.Buffer
	for i, name := range []string{"stdout", "stderr"} {
		if len(l.partial[i]) > 0 {
			l.entry(&out, name, l.partial[i])
			l.partial[i] = nil
		}
	}
	if out.Len() > 0 {
		_, _ = l.f.Write(out.Bytes())
	}
}
