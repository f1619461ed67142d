package distro_test

import (
	"strings"
	"testing"

	"github.com/dockling/dockling/tests/internal/tierkit"
)

func TestMain(m *testing.M) { tierkit.Main(m) }

// TestAsRoot runs the lectures on the Debian root filesystem with dockling as root.
func TestAsRoot(t *testing.T) {
	tierkit.RequireRoot(t)
	rootfs := tierkit.Rootfs(t)
	e := tierkit.Dockling(t, nil)
	tierkit.ImportUbuntu(tierkit.NewRecorder(t, e), rootfs)
	if t.Failed() {
		t.FailNow()
	}
	t.Run("commit-lecture", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.CommitLecture(tierkit.NewRecorder(t, e))
	})
	t.Run("commit-scripted", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.CommitScripted(tierkit.NewRecorder(t, e))
	})
	t.Run("commit-quoting", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.CommitQuoting(tierkit.NewRecorder(t, e))
	})
	t.Run("images-vs-containers", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.ImagesVsContainers(tierkit.NewRecorder(t, e))
	})
	t.Run("errors", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.Errors(tierkit.NewRecorder(t, e))
	})
	t.Run("volumes", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.Volumes(tierkit.NewRecorder(t, e))
	})
	t.Run("hostname", func(t *testing.T) { hostnameIsShortID(t, e) })
	t.Run("dockerfile-lecture", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.DockerfileLecture(tierkit.NewRecorder(t, e))
	})
}

// TestAsUser runs the lectures with dockling as an unprivileged user (uid 41234, no
// subordinate ids: one uid mapped to root in the container).
func TestAsUser(t *testing.T) {
	tierkit.RequireRoot(t) // to become that user
	tierkit.RequireUserNamespaces(t)
	rootfs := tierkit.Rootfs(t)
	e := tierkit.Dockling(t, tierkit.Unprivileged)
	tierkit.ImportUbuntu(tierkit.NewRecorder(t, e), rootfs)
	if t.Failed() {
		t.FailNow()
	}
	t.Run("images-vs-containers", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.ImagesVsContainers(tierkit.NewRecorder(t, e))
	})
	t.Run("commit-quoting", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.CommitQuoting(tierkit.NewRecorder(t, e))
	})
	t.Run("errors", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.Errors(tierkit.NewRecorder(t, e))
	})
	t.Run("volumes", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.Volumes(tierkit.NewRecorder(t, e))
	})
	t.Run("hostname", func(t *testing.T) { hostnameIsShortID(t, e) })
	t.Run("apt-get-as-typed", func(t *testing.T) {
		// Not a check: what the lecture's own line does here, for the log.
		tierkit.Reset(t, e)
		r := e.Run(t, "run", "--rm", "ubuntu", "bash", "-c", "apt-get update")
		if r.Code == 0 {
			t.Logf("apt-get update works rootless on this machine (subordinate ids mapped?)")
		} else {
			t.Logf("as expected with one mapped uid, the lecture's apt-get fails rootless (the commit lecture below types tierkit.RootlessAptOption):\n%s", lastLines(r.Stdout+r.Stderr, 4))
		}
	})
	t.Run("commit-lecture", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.CommitLecture(tierkit.NewRecorder(t, e))
	})
	t.Run("commit-scripted", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.CommitScripted(tierkit.NewRecorder(t, e))
	})
	t.Run("dockerfile-lecture", func(t *testing.T) {
		tierkit.Reset(t, e)
		tierkit.DockerfileLecture(tierkit.NewRecorder(t, e))
	})
}

// hostnameIsShortID checks what the parity tier cannot (its Docker containers use
// the host's network and so its host name): a container's host name, the one its
// shell prompt shows, is its short ID, as on Docker's default network.
func hostnameIsShortID(t *testing.T, e *tierkit.Engine) {
	tierkit.Reset(t, e)
	r := e.MustRun(t, "run", "--name", "hn", "ubuntu", "hostname")
	id := e.MustRun(t, "inspect", "-f", "{{.Id}}", "hn")
	if got, want := strings.TrimSpace(r.Stdout), strings.TrimSpace(id.Stdout); len(want) < 12 || got != want[:12] {
		t.Errorf("want the short container ID as the host name:\n%s\n%s", r, id)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
