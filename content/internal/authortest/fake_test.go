package authortest

import (
	"fmt"
	"os"
	"testing"

	"github.com/dockling/dockling/content"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/store"
)

// fakeApt makes an "ubuntu" for the commit lesson without a network: the offline
// stand-in plus an apt-get that "installs" a python3 script answering --version and
// -c 'print(1 + 1)'. It proves the lesson's checks, solutions and wrong answers on
// the real runtime; the real distribution is the real-distro tier's business.
const fakeApt = `set -e
mkdir -p /usr/bin /usr/local/lib
cat > /usr/local/lib/python3 <<'PY'
#!/bin/bash
case "$1" in
--version) echo "Python 3.12.3" ;;
-c) case "$2" in *"print(1 + 1)"*|*"print(1+1)"*) echo 2 ;; esac ;;
*) cat > /dev/null ;;
esac
PY
cat > /usr/bin/apt-get <<'APT'
#!/bin/bash
case "$1" in
update) echo "Reading package lists... Done" ;;
install) for p in "$@"; do if [ "$p" = python3 ]; then cp /usr/local/lib/python3 /usr/bin/python3; chmod 755 /usr/bin/python3; fi; done ;;
*) echo "apt-get: unsupported here" >&2; exit 100 ;;
esac
APT
chmod 755 /usr/bin/apt-get /usr/local/lib/python3
`

func prepareFakeUbuntu(sb *sandbox.Sandbox) error {
	ref, err := store.ParseRef("ubuntu-standin")
	if err != nil {
		return err
	}
	if _, err := sb.AddStandin(ref, "ubuntu-standin"); err != nil {
		return err
	}
	c, err := sb.Create(sandbox.CreateOptions{Image: "ubuntu-standin", Cmd: []string{"bash", "-c", fakeApt}})
	if err != nil {
		return err
	}
	defer func() { _, _ = sb.Remove(c.ID, true) }()
	if _, err := sb.Start(c.ID, true); err != nil {
		return err
	}
	code, err := sb.AttachID(c.ID, runtime.Streams{Out: os.Stderr, Err: os.Stderr})
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("preparing the fake ubuntu: exit code %d", code)
	}
	_, err = sb.Commit(c.ID, sandbox.CommitOptions{Ref: "ubuntu", Changes: []string{`CMD ["bash"]`}})
	return err
}

func TestCommitOffline(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the author test runs real containers")
	}
	if testing.Short() {
		t.Skip("the author test runs every solution and wrong answer: skipped with -short")
	}
	ls, err := lessons.LoadAll(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	var l *lessons.Lesson
	for _, x := range ls {
		if x.ID == "commit" {
			l = x
		}
	}
	r := newShellRunner(t, l, prepareFakeUbuntu)
	phases, err := lessons.AuthorTest(l, r, lessons.AuthorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range phases {
		if !p.OK {
			t.Error(p)
		}
	}
	t.Logf("%d shell lines run", r.lines)
}
