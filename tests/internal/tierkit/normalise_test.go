package tierkit

import (
	"strings"
	"testing"
)

// These run in every go test ./...: the tiers' comparison must be right before it
// judges dockling.

func TestParseTableEmptyCells(t *testing.T) {
	out := "" +
		"IMAGE          CREATED         CREATED BY   SIZE      COMMENT\n" +
		"46075f0952bf   1 second ago    bash         221MB     python3 via apt\n" +
		"771831c78dd8   5 minutes ago                117MB     Imported from -\n"
	p := ParseTable(out)
	if got := strings.Join(p.Header, "|"); got != "IMAGE|CREATED|CREATED BY|SIZE|COMMENT" {
		t.Fatalf("header %q", got)
	}
	if got := strings.Join(p.Rows[1], "|"); got != "771831c78dd8|5 minutes ago||117MB|Imported from -" {
		t.Errorf("row 2 %q", got)
	}
	if got := p.Cell(0, "COMMENT"); got != "python3 via apt" {
		t.Errorf("comment %q", got)
	}
}

func TestNormaliseTable(t *testing.T) {
	out := "" +
		"CONTAINER ID   IMAGE     COMMAND                  CREATED          STATUS                      PORTS     NAMES\n" +
		"8379258ad90b   ubuntu    \"bash\"                   1 second ago     Up Less than a second                 focused_bell\n" +
		"0ff3576c8ebd   ubuntu    \"bash -c 'apt-get up…\"   2 minutes ago    Exited (0) 1 second ago               py\n"
	got := NormaliseTable(out, map[string]string{"focused_bell": "<second-container>"})
	want := "CONTAINER ID | IMAGE | COMMAND | CREATED | STATUS | PORTS | NAMES\n" +
		"<id> | ubuntu | \"bash\" | <ago> ago | Up <ago> |  | <second-container>\n" +
		"<id> | ubuntu | \"bash -c 'apt-get up…\" | <ago> ago | Exited (0) <ago> ago |  | py"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if c := NormaliseCell("SIZE", "0B", nil); c != "0B" {
		t.Errorf("an empty layer's size must stay 0B, got %q", c)
	}
	if c := NormaliseCell("NAMES", "nifty_knuth", nil); c != "<generated>" {
		t.Errorf("a generated name: got %q", c)
	}
}

func TestNormaliseText(t *testing.T) {
	in := "sha256:" + strings.Repeat("ab", 32) + "\nroot@733281136efe:/# start nifty_knuth   \n"
	got := Normalise(in, map[string]string{"nifty_knuth": "<first-container>"})
	want := "sha256:<id>\nroot@<host>:/# start <first-container>\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCleanTerminal(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"crlf", "a\r\nb\r\n", "a\nb\n"},
		{"readline redraws its prompt", "root@x:/# \rroot@x:/# pwd\r\n/\r\n", "root@x:/# pwd\n/\n"},
		{"bracketed paste and colours", "\x1b[?2004hroot@x:/# \x1b[32mok\x1b[0m", "root@x:/# ok"},
		{"erase to end of line", "abcdef\r\x1b[Kxy", "xy"},
		{"backspace", "ab\bc", "ac"},
		{"apt-get's progress bar", "Get:1\n\x1b7\x1b[50;0f\x1b[42mProgress: [ 20%]\x1b[49m\x1b8Get:2\n", "Get:1\nGet:2\n"},
		{"title (OSC)", "\x1b]0;root@x: /\aroot@x:/# ", "root@x:/# "},
	} {
		if got := CleanTerminal(c.in); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSideBySideMarksDifferences(t *testing.T) {
	s := SideBySide("docker", "same\nleft", "dockling", "same\nright")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if !strings.HasPrefix(lines[2], "   same") || !strings.HasPrefix(lines[3], " ! left") || !strings.HasSuffix(lines[3], "│ right") {
		t.Errorf("got:\n%s", s)
	}
}

func TestCompareReportsOnlyRealDifferences(t *testing.T) {
	a := []Obs{
		{Label: "ps", Cmd: "docker ps -a", Kind: Table, Stdout: "CONTAINER ID   NAMES\n8379258ad90b   focused_bell\n"},
		{Label: "apt", Cmd: "docker run x apt-get", Kind: Text, Stdout: "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\nFetched 15.0 MB in 1s (10.7 MB/s)      \n", Code: 0},
		{Label: "start", Cmd: "docker start focused_bell", Kind: Text, Stdout: "focused_bell\n"},
	}
	b := []Obs{
		{Label: "ps", Cmd: "docker ps -a", Kind: Table, Stdout: "CONTAINER ID   NAMES\n0ff3576c8ebd   nifty_knuth\n"},
		{Label: "apt", Cmd: "docker run x apt-get", Kind: Text, Stdout: "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\nFetched 15.0 MB in 2s (7,412 kB/s)\n", Code: 0},
		{Label: "start", Cmd: "docker start nifty_knuth", Kind: Text, Stdout: "nifty_knuth\n", Code: 1},
	}
	d := Compare("docker", a, map[string]string{"focused_bell": "<first>"}, "dockling", b, map[string]string{"nifty_knuth": "<first>"})
	if len(d) != 1 || !strings.Contains(d[0].Detail, "exit code: docker 0, dockling 1") {
		t.Errorf("want one difference, the exit code of start; got %v", d)
	}
}

func TestLineSetIgnoresOrder(t *testing.T) {
	a := Obs{Kind: LineSet, Stdout: "C /root\nA /root/.bash_history\nC /home\n"}
	b := Obs{Kind: LineSet, Stdout: "C /home\nC /root\nA /root/.bash_history\n"}
	sa, _ := a.Comparable(nil)
	sb, _ := b.Comparable(nil)
	if sa != sb {
		t.Errorf("%q != %q", sa, sb)
	}
}

// Docker prints an image's repositories in random order; rows of one image compare
// equal whichever order they came in, and rows of different images keep their order.
func TestNormaliseTableImageRowsOfOneImage(t *testing.T) {
	a := "" +
		"REPOSITORY   TAG        IMAGE ID       CREATED         SIZE\n" +
		"ubuntu       latest     771831c78dd8   2 seconds ago   117MB\n" +
		"debian       bookworm   771831c78dd8   2 seconds ago   117MB\n" +
		"busybox      latest     0123456789ab   2 years ago     4.2MB\n"
	b := "" +
		"REPOSITORY   TAG        IMAGE ID       CREATED         SIZE\n" +
		"debian       bookworm   771831c78dd8   2 seconds ago   117MB\n" +
		"ubuntu       latest     771831c78dd8   2 seconds ago   117MB\n" +
		"busybox      latest     0123456789ab   2 years ago     4.2MB\n"
	if na, nb := NormaliseTable(a, nil), NormaliseTable(b, nil); na != nb {
		t.Errorf("the same image's rows in another order compare different:\n%s\n\n%s", na, nb)
	}
	c := "" +
		"REPOSITORY   TAG        IMAGE ID       CREATED         SIZE\n" +
		"busybox      latest     0123456789ab   2 years ago     4.2MB\n" +
		"debian       bookworm   771831c78dd8   2 seconds ago   117MB\n" +
		"ubuntu       latest     771831c78dd8   2 seconds ago   117MB\n"
	if NormaliseTable(c, nil) == NormaliseTable(b, nil) {
		t.Error("rows of different images in another order compare equal")
	}
}

// What differs by design is normalised; what a learner would see differ is not.
func TestNormaliseByDesignDifferences(t *testing.T) {
	for _, c := range []struct {
		name, docker, dockling string
		same                   bool
	}{
		{"runtime's chain of causes",
			`docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH: unknown.` + "\n",
			`docker: Error: exec: "no-such-command": executable file not found in $PATH.` + "\n", true},
		{"another cause is another message",
			`docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "x": permission denied: unknown.` + "\n",
			`docker: Error: exec: "x": executable file not found in $PATH.` + "\n", false},
		{"a line dockling adds",
			`docker: Error: exec: "x": executable file not found in $PATH.` + "\n",
			`docker: Error: exec: "x": executable file not found in $PATH.` + "\nSee 'docker run --help'.\n", false},
		{"apt-get's download time and rate",
			"Fetched 15.0 MB in 1s (10.7 MB/s)                              \nReading package lists... Done\n",
			"Fetched 15.0 MB in 1min 2s (242 kB/s)\nReading package lists... Done\n", true},
		{"apt-get's download size",
			"Fetched 15.0 MB in 1s (10.7 MB/s)\n", "Fetched 15.1 MB in 1s (10.7 MB/s)\n", false},
		{"the unprivileged side's apt log warning",
			"Running hooks in /etc/ca-certificates/update.d...\ndone.\n",
			"Running hooks in /etc/ca-certificates/update.d...\ndone.\nW: chown to root:adm of file /var/log/apt/term.log failed - OpenLog (22: Invalid argument)\n", true},
		{"another apt warning",
			"done.\n", "done.\nW: chown to root:adm of file /var/log/apt/term.log failed - OpenLog (13: Permission denied)\n", false},
		{"a COPY's truncated content hash",
			"/bin/sh -c #(nop) COPY file:8a68933d98ac0b30…\n", "/bin/sh -c #(nop) COPY file:92a2dbfeb22f03e9…\n", true},
		{"a COPY's destination",
			"/bin/sh -c #(nop) COPY file:8a68933d98ac0b30c1cf01227acec7f87a79b37552d36b1eca997bcde337c512 in . \n",
			"/bin/sh -c #(nop) COPY file:92a2dbfeb22f03e9ef004b45e27bc22fc9ee112bc6f6bf7a497f308a16251d5f in /app \n", false},
		{"the unprivileged side's apt option",
			"root@<host>:/# apt-get update && apt-get install -y python3\n",
			"root@<host>:/# " + RootlessApt("apt-get update && apt-get install -y python3") + "\n", true},
	} {
		if got := Normalise(c.docker, nil) == Normalise(c.dockling, nil); got != c.same {
			t.Errorf("%s: compare equal %v, want %v:\n%s", c.name, got, c.same, SideBySide("docker", Normalise(c.docker, nil), "dockling", Normalise(c.dockling, nil)))
		}
	}
	if !SameStep("x: typed apt-get update", "x: typed "+RootlessApt("apt-get update")) || SameStep("x: typed ls", "x: typed pwd") {
		t.Error("SameStep")
	}
}

// A failed check is shown next to what the other engine printed for the same command.
func TestFailureReportSideBySide(t *testing.T) {
	docker := []Obs{
		{Label: "ps", Cmd: "docker ps -a", Stdout: "CONTAINER ID\n"},
		{Label: "run", Cmd: "docker run --name gotcha mypython", Code: 0},
	}
	dockling := []Obs{
		{Label: "ps", Cmd: "docker ps -a", Stdout: "CONTAINER ID\n"},
		{Label: "run", Cmd: "docker run --name gotcha mypython", Stderr: "Error: boom\n", Code: 1},
	}
	got := FailureReport("dockling", dockling, Failure{Msg: "want exit 0", From: 1, To: 2}, "docker", docker)
	for _, want := range []string{"[dockling] want exit 0", "$ docker run --name gotcha mypython", "exit code: dockling 1, docker 0", "│ docker", " ! Error: boom"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	alone := FailureReport("docker", docker, Failure{Msg: "want exit 0", From: 1, To: 2}, "dockling", dockling[:1])
	if !strings.Contains(alone, "dockling did not get this far") {
		t.Errorf("want the other engine's absence said:\n%s", alone)
	}
}
