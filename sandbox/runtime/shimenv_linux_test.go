package runtime

import (
	"slices"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox/role"
)

// The shim's Go settings replace the user's, whatever else the environment holds.
func TestShimEnvReplacesGoSettings(t *testing.T) {
	t.Setenv("GOMAXPROCS", "8")
	t.Setenv("GOGC", "100")
	t.Setenv(role.Env, "init")
	t.Setenv("DOCKLING_TEST_KEEP", "yes")
	env := shimEnv()
	count := func(key string) (n int, last string) {
		for _, kv := range env {
			if strings.HasPrefix(kv, key+"=") {
				n, last = n+1, kv
			}
		}
		return n, last
	}
	for _, want := range append(slices.Clone(shimGoEnv), role.Shim.Environ(), "DOCKLING_TEST_KEEP=yes") {
		key, _, _ := strings.Cut(want, "=")
		if n, got := count(key); n != 1 || got != want {
			t.Errorf("%s: %d entries, last %q; want one, %q", key, n, got, want)
		}
	}
}
