//go:build !cgo

package runtime

import (
	"encoding/json"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExecRefusedWithoutCgo: without cgo nothing enters the container's namespaces (see
// package nsenter), so Exec refuses rather than run the command on the host; and an
// exec helper started all the same refuses too.
func TestExecRefusedWithoutCgo(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sleep", "1000")
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	code, err := Exec(spec.Dir, Process{Args: []string{"hostname"}}, Streams{Out: &out, Err: &out})
	if !errors.Is(err, ErrExecNeedsCgo) || code != -1 || out.String() != "" {
		t.Fatalf("Exec without cgo = %d, %v, %q; want ErrExecNeedsCgo and nothing run", code, err, out.String())
	}

	st, err := status(spec.Dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd, sock, err := startExecHelper(spec.Dir, st, Process{}, Streams{Out: &out, Err: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sock)
	b, _ := json.Marshal(execConfig{Process: Process{Args: []string{"hostname"}}})
	if err := unix.Sendmsg(sock, b, nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	_, err = awaitExec(sock, nil)
	ws, _ := cmd.wait(0)
	if err == nil || err.Error() != ErrExecNeedsCgo.Error() || statusCode(ws) != 125 || out.String() != "" {
		t.Fatalf("exec helper without cgo: %v, status %d, %q; want it to refuse", err, statusCode(ws), out.String())
	}
}
