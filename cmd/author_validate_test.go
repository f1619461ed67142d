package cmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox"
)

// TestImageHere: a listed image is here when a sandbox holds it; elsewhere validate
// says so, without asking any registry (validate is static).
func TestImageHere(t *testing.T) {
	root := t.TempDir()
	here := imageHere(root, nil)
	if why := here("ubuntu"); !strings.Contains(why, "not on this machine") || !strings.Contains(why, "docker pull ubuntu") {
		t.Errorf("absent: %q", why)
	}
	if why := here("Not/A Ref"); !strings.Contains(why, "not an image reference") {
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
	if why := here("ubuntu"); why != "" {
		t.Errorf("imported in the default sandbox: %q", why)
	}
}
