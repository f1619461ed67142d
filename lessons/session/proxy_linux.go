package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The docker proxy: in the lesson's namespace (shellns_linux.go), `docker` and
// `dockling` send their arguments, environment, directory and standard files (passed
// as descriptors, so a terminal stays the terminal) over a socket in the shell's
// private state folder; the session runs the command outside the namespace, as the
// learner, and answers with its exit status. The command runs in the session's process
// group, the terminal's foreground one, so Ctrl-C and window sizes reach it as they
// reach any program there; a client that is killed takes its command with it.

// proxyEnv names the socket in the lesson's namespace; the proxy removes it.
const proxyEnv = "_DOCKLING_LESSON_PROXY"

// maxProxyRequest bounds a request (arguments and environment).
const maxProxyRequest = 4 << 20

type proxyRequest struct {
	Args []string
	Env  []string
	Dir  string
}

type proxyReply struct{ Code int }

type dockerProxy struct {
	path       string
	exe        string
	sandboxDir string
	ln         *net.UnixListener
	wg         sync.WaitGroup
}

func startProxy(path, exe, sandboxDir string) (*dockerProxy, error) {
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("starting the lesson's docker: %w", err)
	}
	p := &dockerProxy{path: path, exe: exe, sandboxDir: sandboxDir, ln: ln}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Close stops accepting commands and waits for those running.
func (p *dockerProxy) Close() error {
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *dockerProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.AcceptUnix()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			code := p.handle(c)
			b, _ := json.Marshal(proxyReply{Code: code})
			_, _ = c.Write(b)
		}()
	}
}

// handle runs one request and returns its exit status.
func (p *dockerProxy) handle(c *net.UnixConn) int {
	buf := make([]byte, maxProxyRequest)
	oob := make([]byte, unix.CmsgSpace(3*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return 125
	}
	files := receivedFiles(oob[:oobn])
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var req proxyRequest
	if len(files) != 3 || json.Unmarshal(buf[:n], &req) != nil || len(req.Args) == 0 {
		return 125
	}
	cmd := &exec.Cmd{Path: p.exe, Args: req.Args, Dir: p.hostPath(req.Dir),
		Stdin: files[0], Stdout: files[1], Stderr: files[2]}
	for _, kv := range req.Env {
		if !strings.HasPrefix(kv, proxyEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(files[2], "%s: %v\n", filepath.Base(req.Args[0]), err)
		return 126
	}
	done := make(chan struct{})
	go func() {
		// The client sends nothing more: a read ends when it is gone (killed), and
		// then so must its command.
		var b [1]byte
		_, _ = c.Read(b[:])
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
		}
	}()
	code, _ := exitCode(cmd.Wait())
	close(done)
	return code
}

// hostPath is dir, in the lesson's namespace, as the proxy sees it: below
// /var/lib/docker is below the sandbox.
func (p *dockerProxy) hostPath(dir string) string {
	if rel, err := filepath.Rel(dockerRoot, dir); err == nil && filepath.IsLocal(rel) {
		return filepath.Join(p.sandboxDir, rel)
	}
	if dir == dockerRoot {
		return p.sandboxDir
	}
	return dir
}

// receivedFiles are the descriptors passed with a message.
func receivedFiles(oob []byte) []*os.File {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var out []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			out = append(out, os.NewFile(uintptr(fd), "proxied"))
		}
	}
	return out
}

// proxyClientMain is `docker` (or `dockling`) in the lesson's namespace: it has the
// command run by the session at sock and returns its exit status.
func proxyClientMain(sock string) int {
	// Ctrl-C and Ctrl-\ are for the command, which the terminal signals itself; this
	// end waits for its status.
	signal.Ignore(syscall.SIGINT, syscall.SIGQUIT)
	if err := proxyCall(sock); err != nil {
		var code exitStatus
		if errors.As(err, &code) {
			return int(code)
		}
		fmt.Fprintf(os.Stderr, "%s: the lesson's session does not answer: %v\n", filepath.Base(os.Args[0]), err)
		return 125
	}
	return 0
}

// exitStatus is a proxied command's non-zero status.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func proxyCall(sock string) error {
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		return err
	}
	defer c.Close()
	dir, _ := os.Getwd()
	b, err := json.Marshal(proxyRequest{Args: os.Args, Env: os.Environ(), Dir: dir})
	if err != nil {
		return err
	}
	if _, _, err := c.WriteMsgUnix(b, unix.UnixRights(0, 1, 2), nil); err != nil {
		return err
	}
	reply := make([]byte, 256)
	n, err := c.Read(reply)
	if err != nil {
		return err
	}
	var r proxyReply
	if err := json.Unmarshal(reply[:n], &r); err != nil {
		return err
	}
	if r.Code != 0 {
		return exitStatus(r.Code)
	}
	return nil
}
