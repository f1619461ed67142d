package cmd_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// fetchOnce GETs url with a Go HTTP client and returns the body of a 200 answer.
func fetchOnce(url string) (string, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %s", resp.Status)
	}
	return string(body), err
}

// fetchRetry is fetchOnce, retried for up to 10 s while a server just started may not
// listen yet: connecting is how its readiness shows.
func fetchRetry(url string) (string, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		body, err := fetchOnce(url)
		if err == nil || time.Now().After(deadline) {
			return body, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		<-ctx.Done() // a short pause between attempts
		cancel()
	}
}

// getRetry is fetchRetry for a Go test.
func getRetry(t *testing.T, url string) string {
	t.Helper()
	body, err := fetchRetry(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return body
}

// httpGet is `http-get URL REGEXP`: a Go HTTP client on the host fetches URL (retried
// while the server starts) and the body must match REGEXP; with !, one fetch must fail.
func httpGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: http-get URL REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	if neg {
		if body, err := fetchOnce(args[0]); err == nil {
			ts.Fatalf("http-get %s answered: %q", args[0], body)
		}
		return
	}
	body, err := fetchRetry(args[0])
	if err != nil {
		ts.Fatalf("http-get %s: %v", args[0], err)
	}
	if !re.MatchString(body) {
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
