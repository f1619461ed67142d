package runtime

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRuntimeImportsStayEarly keeps the packages out of the imports of the runtime and
// of package trash that would make them initialise after most of the CLI, and so slow
// every shim, init, exec helper and trash emptying down (see early_linux.go).
func TestRuntimeImportsStayEarly(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command:", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", ".", "../trash").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	late := map[string]bool{"net": true, "os/exec": true, "os/user": true, "path/filepath": true, "runtime/debug": true}
	for _, p := range strings.Fields(string(out)) {
		if late[p] {
			t.Errorf("%s is imported (directly or not): the roles would start after most of the CLI's package initialisation", p)
		}
	}
}
