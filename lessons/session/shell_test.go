package session

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockling/dockling/internal/iostreams"
)

func newTestShell(t *testing.T) *Shell {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash")
	}
	ios, _, _, _ := iostreams.Test()
	root := t.TempDir()
	sh, err := NewShell(ShellOptions{IO: ios, DataRoot: root, Sandbox: "demo", Env: append(os.Environ(), "GONE=1", "DOCKLING_SANDBOX=other")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sh.Close() })
	return sh
}

func runOK(t *testing.T, sh *Shell, line string) Result {
	t.Helper()
	res, err := sh.Run(context.Background(), line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return res
}

func TestShellStatePersists(t *testing.T) {
	sh := newTestShell(t)
	dir := t.TempDir()
	for _, line := range []string{
		"cd " + shQuote(dir),
		"X='a b'; export Y=6; arr=(one two)",
		"greet() { echo \"hi $1\"; }",
		"alias ll='echo listed'",
		"unset GONE",
	} {
		if res := runOK(t, sh, line); res.ExitCode != 0 {
			t.Fatalf("%s: exit %d: %s", line, res.ExitCode, res.Output)
		}
	}
	res := runOK(t, sh, `echo "$X|$Y|${arr[1]}|$PWD|${GONE-unset}"; greet you; ll; bash -c 'echo child sees $Y'`)
	want := "a b|6|two|" + dir + "|unset\nhi you\nlisted\nchild sees 6\n"
	if res.Output != want {
		t.Errorf("got %q, want %q", res.Output, want)
	}
	if sh.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", sh.Dir(), dir)
	}
}

func TestShellExitCodesAndErrors(t *testing.T) {
	sh := newTestShell(t)
	runOK(t, sh, "export KEEP=yes")
	cases := []struct {
		line   string
		code   int
		output string
	}{
		{"false", 1, ""},
		{"exit 3", 3, ""},
		{"dockr ps", 127, "bash: line 1: dockr: command not found"},
		{`echo "unterminated`, 2, "unexpected EOF"},
		{"kill -TERM $$", 128 + 15, ""},
	}
	for _, c := range cases {
		res := runOK(t, sh, c.line)
		if res.ExitCode != c.code || !strings.Contains(res.Output, c.output) {
			t.Errorf("%s: exit %d, output %q; want %d, %q", c.line, res.ExitCode, res.Output, c.code, c.output)
		}
	}
	// None of that lost the state.
	if res := runOK(t, sh, "echo $KEEP"); res.Output != "yes\n" {
		t.Errorf("state after failures: %q", res.Output)
	}
}

func TestShellDockerIsDockling(t *testing.T) {
	sh := newTestShell(t)
	exe, _ := os.Executable()
	res := runOK(t, sh, `readlink "$(command -v docker)"; echo "$DOCKLING_SANDBOX"; export DOCKLING_SANDBOX=mine`)
	if res.Output != exe+"\ndemo\n" {
		t.Errorf("got %q", res.Output)
	}
	// The sandbox the checks look at cannot be switched away from under them.
	if res := runOK(t, sh, `echo "$DOCKLING_SANDBOX"`); res.Output != "demo\n" {
		t.Errorf("got %q", res.Output)
	}
}

func TestShellBackgroundJobDoesNotHang(t *testing.T) {
	sh := newTestShell(t)
	start := time.Now()
	res := runOK(t, sh, "sleep 30 & echo started")
	if time.Since(start) > 5*time.Second || res.Output != "started\n" {
		t.Errorf("took %v, output %q", time.Since(start), res.Output)
	}
}

func TestShellCancel(t *testing.T) {
	sh := newTestShell(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := sh.Run(ctx, "sleep 30; echo late")
	if err != nil || time.Since(start) > 5*time.Second || strings.Contains(res.Output, "late") {
		t.Errorf("cancel: %v after %v, %q", err, time.Since(start), res.Output)
	}
}

func TestInteractive(t *testing.T) {
	yes := []string{
		"docker run -it ubuntu bash",
		"docker run -ti ubuntu bash",
		"docker run --rm -dit ubuntu",
		"docker run --name x -i ubuntu cat",
		"docker run --interactive --tty ubuntu",
		"dockling docker run -it ubuntu bash",
		"docker container run -it ubuntu",
		"docker exec -it marked bash",
		"docker attach marked",
		"docker start -ai marked",
		"sudo docker run -it ubuntu",
		"cd /tmp && docker run -it ubuntu bash",
		"bash",
		"FOO=1 vim notes.txt",
		"docker ps | less",
		"time docker run -it ubuntu",
		"(docker exec -it marked sh)",
		`docker run -e "A=b c" -it ubuntu`,
		"clear; docker container start -a marked",
		"python3",
		"python3 -i",
	}
	no := []string{
		"docker run hello-world",
		"docker run --name it ubuntu ls -lt",
		"docker run -e T=1 ubuntu ls -ti",
		"docker run -w /tmp/it ubuntu true",
		"docker ps -a",
		"docker images",
		"docker start marked",
		"echo 'docker run -it ubuntu'",
		"ls -lt # docker run -it",
		"cat /etc/hostname",
		"cat <<EOF\ndocker run -it ubuntu\nEOF",
		"docker run --interactive=false ubuntu",
		`docker run -e "A=b -it" ubuntu`,
		"cat f.json | python3 -m json.tool",
		"bash -c 'echo hi'",
		"sh script.sh",
	}
	for _, l := range yes {
		if !Interactive(l) {
			t.Errorf("Interactive(%q) = false", l)
		}
	}
	for _, l := range no {
		if Interactive(l) {
			t.Errorf("Interactive(%q) = true", l)
		}
	}
}

func TestShFallbackKeepsDirAndExports(t *testing.T) {
	sh := newTestShell(t)
	p, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("needs sh")
	}
	sh.path, sh.bash = p, false
	dir := t.TempDir()
	runOK(t, sh, "cd "+shQuote(dir)+" && export Y='it''s'")
	res := runOK(t, sh, `echo "$PWD $Y $DOCKLING_SANDBOX"; dockr`)
	// Output and errors come through separate pipes here: their order is not kept.
	if !strings.Contains(res.Output, dir+" its demo\n") || res.ExitCode != 127 {
		t.Errorf("got %d %q", res.ExitCode, res.Output)
	}
}

func TestShellKeepsOnlyCompleteState(t *testing.T) {
	sh := newTestShell(t)
	runOK(t, sh, "export A=1")
	// An epilogue cut short (say by Ctrl-C) leaves a state file without its end.
	os.WriteFile(filepath.Join(sh.stateDir, "state.new"), []byte("declare -x PATH=\"\"\ndeclare -x A="), 0o600)
	sh.keepState()
	if res := runOK(t, sh, "echo $A; command -v docker >/dev/null && echo docker-found"); res.Output != "1\ndocker-found\n" {
		t.Errorf("got %q", res.Output)
	}
}
