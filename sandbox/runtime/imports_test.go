package runtime

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRuntimeImportsStayEarly keeps the packages out of the runtime's imports that would
// make it initialise after most of the CLI, and so slow every shim, init and exec
// helper down (see early_linux.go).
func TestRuntimeImportsStayEarly(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command:", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	late := map[string]bool{"net": true, "os/exec": true, "os/user": true, "path/filepath": true, "runtime/debug": true}
	for _, p := range strings.Fields(string(out)) {
		if late[p] {
			t.Errorf("the runtime imports %s (directly or not): its roles would start after most of the CLI's package initialisation", p)
		}
	}
}
