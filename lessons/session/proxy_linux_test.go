package session

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Attacks on the lesson shell's docker proxy: a request without its three standard
// files, or that is not a request, runs nothing (exit 125), and a directory that
// climbs out of /var/lib/docker is not taken for one inside the sandbox.
func TestProxyRefusesMalformedRequests(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	// The "dockling" the proxy runs: it would leave a mark.
	exe := filepath.Join(dir, "exe")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\ntouch "+shQuote(ran)+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := startProxy(filepath.Join(dir, "docker.sock"), exe, filepath.Join(dir, "sandbox"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	req, _ := json.Marshal(proxyRequest{Args: []string{"docker", "ps"}, Dir: "/"})
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	fd := int(null.Fd())
	for name, msg := range map[string]struct {
		body   []byte
		rights []byte
	}{
		"no files":     {req, nil},
		"one file":     {req, unix.UnixRights(fd)},
		"not json":     {[]byte("docker ps"), unix.UnixRights(fd, fd, fd)},
		"no arguments": {[]byte(`{"Args":[]}`), unix.UnixRights(fd, fd, fd)},
	} {
		c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: p.path, Net: "unixpacket"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.WriteMsgUnix(msg.body, msg.rights, nil); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 64)
		n, err := c.Read(b)
		c.Close()
		var r proxyReply
		if err != nil || json.Unmarshal(b[:n], &r) != nil || r.Code != 125 {
			t.Errorf("%s: reply %q, %v; want exit 125", name, b[:n], err)
		}
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("a malformed request ran a command")
	}
	// A well-formed one runs, so the test above could have seen a run.
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: p.path, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.WriteMsgUnix(req, unix.UnixRights(fd, fd, fd), nil); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	if n, err := c.Read(b); err != nil || string(b[:n]) != `{"Code":0}` {
		t.Errorf("a well-formed request: %q, %v", b[:n], err)
	}
	if _, err := os.Stat(ran); err != nil {
		t.Errorf("a well-formed request ran nothing: %v", err)
	}
	for in, want := range map[string]string{
		"/var/lib/docker":             p.sandboxDir,
		"/var/lib/docker/image":       filepath.Join(p.sandboxDir, "image"),
		"/var/lib/docker/../dockling": "/var/lib/docker/../dockling",
		"/var/lib/dockerx":            "/var/lib/dockerx",
		"/home/learner":               "/home/learner",
	} {
		if got := p.hostPath(in); got != want {
			t.Errorf("hostPath(%q) = %q, want %q", in, got, want)
		}
	}
}
