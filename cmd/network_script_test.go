package cmd_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// httpGet is `http-get URL REGEXP`: a Go HTTP client on the host fetches URL and the
// body must match REGEXP (with !, the fetch must fail). A server just started may not
// listen yet: connections are retried for up to 10 s, until one is answered.
func httpGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: http-get URL REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	var body []byte
	for {
		resp, gerr := client.Get(args[0])
		if gerr == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				break
			}
		}
		if neg {
			return // refused, as wanted
		}
		if time.Now().After(deadline) {
			ts.Fatalf("http-get %s: %v", args[0], gerr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		<-ctx.Done() // a short pause between attempts at a server still starting
		cancel()
	}
	if neg {
		ts.Fatalf("http-get %s answered: %q", args[0], body)
	}
	if !re.Match(body) {
		ts.Fatalf("http-get %s: body %q does not match %q", args[0], body, args[1])
	}
}

// hostListen is `host-listen VAR [ADDR]`: a TCP service on the host's ADDR (default
// 127.0.0.1) that answers "host-secret" to any connection, its port in $VAR, the
// host's first non-loopback IPv4 address in $HOST_IP; it ends with the script.
func hostListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: host-listen VAR [ADDR]")
	}
	addr := "127.0.0.1"
	if len(args) == 2 {
		addr = args[1]
	}
	l, err := net.Listen("tcp4", net.JoinHostPort(addr, "0"))
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, "host-secret\n")
			c.Close()
		}
	}()
	ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			ts.Setenv("HOST_IP", n.IP.String())
			break
		}
	}
}
