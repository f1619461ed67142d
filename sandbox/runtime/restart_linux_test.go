package runtime

import (
	"testing"
)

// TestShouldRestart is the policy table: on-failure counts, a stop or kill mark ends
// every policy.
func TestShouldRestart(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name  string
		max   int
		count int
		code  int
		want  bool
	}{
		{"no", 0, 0, 1, false},
		{"", 0, 0, 1, false},
		{"always", 0, 5, 0, true},
		{"unless-stopped", 0, 0, 0, true},
		{"on-failure", 0, 9, 1, true},
		{"on-failure", 0, 0, 0, false},
		{"on-failure", 2, 1, 1, true},
		{"on-failure", 2, 2, 1, false},
	}
	for _, c := range cases {
		spec := &Spec{Dir: dir, Restart: RestartPolicy{Name: c.name, MaximumRetryCount: c.max}, RestartCount: c.count}
		if got := shouldRestart(spec, c.code); got != c.want {
			t.Errorf("%s:%d after %d restarts, exit %d: restart %v, want %v", c.name, c.max, c.count, c.code, got, c.want)
		}
	}
	markStopped(dir)
	if shouldRestart(&Spec{Dir: dir, Restart: RestartPolicy{Name: "always"}}, 1) {
		t.Error("a container stopped by hand restarts")
	}
	clearStopped(dir)
	if !shouldRestart(&Spec{Dir: dir, Restart: RestartPolicy{Name: "always"}}, 1) {
		t.Error("the mark outlived the next start")
	}
}
