package sandbox

import (
	"regexp"
	"strings"
	"testing"
)

// The hand-written check accepts exactly what the documented pattern does.
func TestValidSandboxNameIsThePattern(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,127}$`)
	names := []string{"", "default", "commit", "a", "0", "my-lesson_2.x", "-lead", "_lead", ".lead",
		"Upper", "with space", "../etc", "a/b", "é", strings.Repeat("a", 128), strings.Repeat("a", 129), "a\n"}
	for _, n := range names {
		if got, want := validSandboxName(n), re.MatchString(n); got != want {
			t.Errorf("validSandboxName(%q) = %v, the pattern says %v", n, got, want)
		}
	}
}
