package tierkit

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// UserNamespacesOff says why this kernel does not let unprivileged users make user
// namespaces (which dockling's rootless mode needs), or "" when it does.
func UserNamespacesOff() string {
	for _, k := range []struct{ path, off string }{
		{"/proc/sys/kernel/unprivileged_userns_clone", "0"},
		{"/proc/sys/user/max_user_namespaces", "0"},
		{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"},
	} {
		if b, err := os.ReadFile(k.path); err == nil && strings.TrimSpace(string(b)) == k.off {
			return fmt.Sprintf("unprivileged user namespaces are off here (%s is %s): dockling cannot run rootless", k.path, k.off)
		}
	}
	return ""
}

// RequireUserNamespaces fails t, with the reason, when UserNamespacesOff: the tiers
// promise the unprivileged side, and a machine that cannot run it must not pass them
// (with the tiers off it skips, like Require).
func RequireUserNamespaces(t testing.TB) {
	t.Helper()
	Require(t)
	if reason := UserNamespacesOff(); reason != "" {
		t.Fatalf("the tiers are on but the unprivileged side cannot run: %s", reason)
	}
}
