package cmd

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox"
)

// TestImageAvailable: a listed image is available when a sandbox holds it or the
// registry answers; offline and nowhere, validate says so.
func TestImageAvailable(t *testing.T) {
	root := t.TempDir()
	probes := 0
	offline := func(context.Context) error { probes++; return errors.New("no route to host") }
	avail := imageAvailable(context.Background(), root, nil, offline)
	if why := avail("ubuntu"); !strings.Contains(why, "not available offline") || !strings.Contains(why, "docker pull ubuntu") {
		t.Errorf("offline: %q", why)
	}
	if why := avail("Not/A Ref"); !strings.Contains(why, "not an image reference") {
		t.Errorf("bad ref: %q", why)
	}
	dir, _ := sandbox.Dir(root, sandbox.DefaultSandbox)
	sb, err := sandbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Import(bytes.NewReader(make([]byte, 1024)), sandbox.ImportOptions{Ref: "ubuntu"}); err != nil {
		t.Fatal(err)
	}
	if why := avail("ubuntu"); why != "" {
		t.Errorf("imported in the default sandbox: %q", why)
	}
	if probes != 1 {
		t.Errorf("the registry was probed %d times", probes)
	}
	online := imageAvailable(context.Background(), root, nil, func(context.Context) error { return nil })
	if why := online("redis:7"); why != "" {
		t.Errorf("online: %q", why)
	}
}
