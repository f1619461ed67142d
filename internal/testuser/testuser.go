// Package testuser makes throw-away users for tests that run dockling as someone
// other than root, with a range of subordinate ids as a learner's laptop has.
package testuser

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// AddRange creates the system user name with 65536 subordinate uids and gids from
// first, both removed when the test ends (and any a killed run left, first).
func AddRange(t testing.TB, name string, first int) (uid, gid int) {
	t.Helper()
	remove := func() {
		_ = exec.Command("userdel", name).Run()
		for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			var keep []string
			for _, l := range strings.SplitAfter(string(b), "\n") {
				if l != "" && !strings.HasPrefix(l, name+":") {
					keep = append(keep, l)
				}
			}
			_ = os.WriteFile(f, []byte(strings.Join(keep, "")), 0o644)
		}
	}
	remove()
	t.Cleanup(remove)
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fmt.Fprintf(fh, "%s:%d:65536\n", name, first)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	id := func(flag string) int {
		out, err := exec.Command("id", flag, name).Output()
		if err != nil {
			t.Fatalf("id %s %s: %v", flag, name, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return id("-u"), id("-g")
}
