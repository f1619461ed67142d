package sandbox

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/seccomp"
)

func TestSecurityOpts(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(profile, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	def, err := seccomp.Compile("", runtime.DefaultCapabilities())
	if err != nil || def == nil {
		t.Fatalf("the default profile: %v", err)
	}
	for _, c := range []struct {
		opts       []string
		unconfined bool
		newPrivs   bool
		isDefault  bool
	}{
		{nil, false, false, true},
		{[]string{"no-new-privileges"}, false, false, true},
		{[]string{"no-new-privileges=false"}, false, true, true},
		{[]string{"no-new-privileges:true"}, false, false, true},
		{[]string{"seccomp=unconfined"}, true, false, false},
		{[]string{"seccomp:unconfined", "seccomp=builtin"}, false, false, true},
		{[]string{"seccomp=" + profile}, false, false, false},
	} {
		opts, err := ReadSecurityOpts(c.opts)
		if err != nil {
			t.Errorf("%q: %v", c.opts, err)
			continue
		}
		got, err := securityOf(opts)
		if err != nil || got.SeccompUnconfined != c.unconfined || got.NewPrivs != c.newPrivs ||
			bytes.Equal(got.Seccomp, def) != c.isDefault || (got.Seccomp == nil) != c.unconfined {
			t.Errorf("%q: %+v, %v", c.opts, got, err)
		}
	}
	for _, bad := range []string{"label=disable", "apparmor=unconfined", "seccomp", "seccomp=", "no-new-privileges=maybe",
		"seccomp=" + filepath.Join(t.TempDir(), "missing.json"), "systempaths=unconfined", "nonsense"} {
		if _, err := ReadSecurityOpts([]string{bad}); !errors.Is(err, ErrBadSecurityOpt) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
