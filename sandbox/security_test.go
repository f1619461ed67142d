package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockling/dockling/sandbox/runtime"
)

func TestSecurityOpts(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(profile, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts []string
		want runtime.Security
	}{
		{nil, runtime.Security{}},
		{[]string{"no-new-privileges"}, runtime.Security{}},
		{[]string{"no-new-privileges=false"}, runtime.Security{NewPrivs: true}},
		{[]string{"no-new-privileges:true"}, runtime.Security{}},
		{[]string{"seccomp=unconfined"}, runtime.Security{SeccompUnconfined: true}},
		{[]string{"seccomp:unconfined", "seccomp=builtin"}, runtime.Security{}},
		{[]string{"seccomp=" + profile}, runtime.Security{SeccompProfile: `{"defaultAction":"SCMP_ACT_ALLOW"}`}},
	} {
		opts, err := ReadSecurityOpts(c.opts)
		if err != nil {
			t.Errorf("%q: %v", c.opts, err)
			continue
		}
		if got, err := securityOf(opts); err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.opts, got, err, c.want)
		}
	}
	for _, bad := range []string{"label=disable", "apparmor=unconfined", "seccomp", "seccomp=", "no-new-privileges=maybe",
		"seccomp=" + filepath.Join(t.TempDir(), "missing.json"), "systempaths=unconfined", "nonsense"} {
		if _, err := ReadSecurityOpts([]string{bad}); !errors.Is(err, ErrBadSecurityOpt) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
