package tierkit

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// The lecture's command sequences, written once and run on every engine. The checks
// in them are what Docker does; the parity tier runs them on Docker too.

var (
	imageIDRE   = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	pythonRE    = regexp.MustCompile(`^Python 3\.11\.\d+$`)
	exitedZero  = regexp.MustCompile(`^Exited \(0\) `)
	upRE        = regexp.MustCompile(`^Up `)
	theFileText = "This only exists in this container"
)

// ImportUbuntu imports the Debian root filesystem tarball and tags it ubuntu, the
// name the lecture types (the lecture's ubuntu is a Debian-family image too).
func ImportUbuntu(r *Recorder, rootfs string) {
	r.T.Helper()
	res := r.Do("import: import the root filesystem", Text, "import", rootfs, "debian:bookworm")
	r.Want(res, 0, "the new image's ID", imageIDRE.MatchString)
	res = r.Do("import: tag it ubuntu", Text, "tag", "debian:bookworm", "ubuntu")
	r.Want(res, 0, "no output", Equals(""))
	res = r.Do("import: images, one image with two names", Table, "images")
	p := ParseTable(res.Stdout)
	ids := p.Column("IMAGE ID")
	r.Check(res, len(ids) == 2 && ids[0] == ids[1], "want two rows with the same IMAGE ID")
	res = r.Do("import: untag debian:bookworm", Text, "rmi", "debian:bookworm")
	r.Want(res, 0, "Untagged: debian:bookworm", Equals("Untagged: debian:bookworm"))
	res = r.Do("import: images", Table, "images")
	p = ParseTable(res.Stdout)
	r.Check(res, len(p.Rows) == 1 && p.Cell(0, "REPOSITORY") == "ubuntu" && p.Cell(0, "TAG") == "latest", "want one row, ubuntu latest")
	res = r.Do("import: history ubuntu", Table, "history", "ubuntu")
	p = ParseTable(res.Stdout)
	r.Check(res, len(p.Rows) == 1 && strings.HasPrefix(p.Cell(0, "COMMENT"), "Imported from "), "want one layer, commented Imported from …")
}

// LectureInstall is the lecture's install line (see InstallLine for the unprivileged
// side's).
const LectureInstall = "apt-get update && apt-get install -y python3"

// CommitLecture is the commit lecture as typed: python3 is installed by hand (with the
// install line, InstallLine) in an interactive container, the container is committed,
// the committed image's CMD is bash and so it exits at once without -it (the gotcha),
// and commit --change fixes it.
func CommitLecture(r *Recorder) {
	r.T.Helper()
	install := InstallLine(r.E)
	res := r.Do("commit: ps -a before", Table, "ps", "-a")
	r.Check(res, len(ParseTable(res.Stdout).Rows) == 0, "want no containers")

	term := r.Terminal("run", "-it", "--name", "py", "ubuntu", "bash")
	term.WaitPrompt(1)
	term.Type("python3 --version")
	term.Type(install)
	term.Type(`echo "apt-get exit status: $?"`)
	term.Type("python3 --version")
	code := term.TypeLast("exit")
	ex := r.EndTerminal("commit: install python3 by hand", term, code)
	r.CheckTerm(term, code == 0, "want exit code 0 after exit, got %d", code)
	if r.CheckTerm(term, len(ex) >= 5, "want a prompt after each typed line") {
		r.CheckTerm(term, strings.Contains(output(ex[1]), "python3: command not found"), "want python3 missing before apt-get")
		r.CheckTerm(term, output(ex[3]) == "apt-get exit status: 0", "want apt-get to succeed")
		r.CheckTerm(term, pythonRE.MatchString(output(ex[4])), "want Python 3.11.x after apt-get")
	}

	res = r.Do("commit: ps -a after exit", Table, "ps", "-a")
	p := ParseTable(res.Stdout)
	r.Check(res, len(p.Rows) == 1 && p.Cell(0, "NAMES") == "py" && exitedZero.MatchString(p.Cell(0, "STATUS")), "want py, Exited (0)")

	res = r.Do("commit: commit py mypython", Text, "commit", "py", "mypython")
	r.Want(res, 0, "the new image's ID", imageIDRE.MatchString)
	res = r.Do("commit: images", Table, "images")
	p = ParseTable(res.Stdout)
	r.Check(res, strings.Join(p.Column("REPOSITORY"), " ") == "mypython ubuntu", "want mypython (newest) then ubuntu")
	res = r.Do("commit: history mypython", Table, "history", "mypython")
	p = ParseTable(res.Stdout)
	r.Check(res, len(p.Rows) == 2 && p.Cell(0, "CREATED BY") == "bash" && p.Cell(0, "COMMENT") == "", "want two layers, the new one created by bash, no comment")
	res = r.Do("commit: mypython's CMD", Text, "inspect", "-f", "{{json .Config.Cmd}}", "mypython")
	r.Want(res, 0, `["bash"]`, Equals(`["bash"]`))

	// The gotcha: without -it bash has no input and ends at once, successfully.
	res = r.Do("commit: the gotcha, run mypython", Text, "run", "--name", "gotcha", "mypython")
	r.Want(res, 0, "no output", Equals(""))
	res = r.Do("commit: ps -a after the gotcha", Table, "ps", "-a")
	p = ParseTable(res.Stdout)
	r.Check(res, p.Cell(0, "NAMES") == "gotcha" && exitedZero.MatchString(p.Cell(0, "STATUS")), "want gotcha on top, Exited (0)")

	res = r.Do("commit: commit --change", Text, "commit", "--change", `CMD ["python3","--version"]`, "-m", "python3 via apt", "-a", "Dockling CI <ci@dockling.test>", "py", "mypython:v2")
	r.Want(res, 0, "the new image's ID", imageIDRE.MatchString)
	res = r.Do("commit: mypython:v2's config", Text, "inspect", "-f", "{{json .Config.Cmd}}|{{.Comment}}|{{.Author}}", "mypython:v2")
	r.Want(res, 0, `["python3","--version"]|python3 via apt|Dockling CI <ci@dockling.test>`, Equals(`["python3","--version"]|python3 via apt|Dockling CI <ci@dockling.test>`))
	res = r.Do("commit: mypython:v2's parent", Text, "inspect", "-f", "{{.Parent}}", "mypython:v2")
	r.Want(res, 0, "the parent image's ID", imageIDRE.MatchString)
	res = r.Do("commit: history mypython:v2", Table, "history", "mypython:v2")
	p = ParseTable(res.Stdout)
	r.Check(res, len(p.Rows) == 2 && p.Cell(0, "COMMENT") == "python3 via apt", "want two layers, the new one commented")
	res = r.Do("commit: history --no-trunc --format", Text, "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", "mypython:v2")
	r.Want(res, 0, "bash|python3 via apt, then the import", func(s string) bool { return strings.HasPrefix(s, "bash|python3 via apt\n|Imported from ") })

	res = r.Do("commit: run --rm mypython:v2", Text, "run", "--rm", "mypython:v2")
	r.Want(res, 0, "Python 3.11.x", pythonRE.MatchString)
	res = r.Do("commit: images at the end", Table, "images")
	r.Check(res, strings.Join(ParseTable(res.Stdout).Column("TAG"), " ") == "v2 latest latest", "want mypython:v2, mypython, ubuntu")
	res = r.Do("commit: ps -a at the end", Table, "ps", "-a")
	r.Check(res, strings.Join(ParseTable(res.Stdout).Column("NAMES"), " ") == "gotcha py", "want gotcha and py (run --rm left nothing)")
}

// CommitScripted is the lecture's install as one command, `bash -c '…'`: the
// committed CMD is then that command, so running the image installs again.
func CommitScripted(r *Recorder) {
	r.T.Helper()
	install := InstallLine(r.E)
	res := r.Do("scripted: install python3", Text, "run", "--name", "pyscript", "ubuntu", "bash", "-c", install)
	r.Check(res, res.Code == 0, "want apt-get to succeed")
	res = r.Do("scripted: commit", Text, "commit", "pyscript", "scripted")
	r.Want(res, 0, "the new image's ID", imageIDRE.MatchString)
	res = r.Do("scripted: CMD is the container's command", Text, "inspect", "-f", "{{json .Config.Cmd}}", "scripted")
	r.Want(res, 0, "the bash -c command", Equals(jsonOf([]string{"bash", "-c", install})))
	res = r.Do("scripted: python3 in the image", Text, "run", "--rm", "scripted", "python3", "--version")
	r.Want(res, 0, "Python 3.11.x", pythonRE.MatchString)
}

// jsonOf is v as docker's {{json …}} prints it: no HTML escapes (&& stays &&).
func jsonOf(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err.Error()
	}
	return strings.TrimSpace(b.String())
}

// CommitQuoting commits a container whose command has quotes and spaces, and looks
// at how ps, history and inspect show that command (no network needed).
func CommitQuoting(r *Recorder) {
	r.T.Helper()
	res := r.Do("quoting: run bash -c", Text, "run", "--name", "note", "ubuntu", "bash", "-c", `echo "made by hand" > /note.txt`)
	r.Want(res, 0, "no output", Equals(""))
	res = r.Do("quoting: ps -a", Table, "ps", "-a")
	r.Check(res, ParseTable(res.Stdout).Cell(0, "NAMES") == "note", "want the container note")
	res = r.Do("quoting: diff note", LineSet, "diff", "note")
	r.Want(res, 0, "A /note.txt", Equals("A /note.txt"))
	res = r.Do("quoting: commit", Text, "commit", "note", "noted")
	r.Want(res, 0, "the new image's ID", imageIDRE.MatchString)
	r.Do("quoting: history noted", Table, "history", "noted")
	res = r.Do("quoting: history --no-trunc", Text, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "noted")
	r.Check(res, res.Code == 0, "want success")
	res = r.Do("quoting: noted's CMD", Text, "inspect", "-f", "{{json .Config.Cmd}}", "noted")
	r.Want(res, 0, "the bash -c command", Equals(`["bash","-c","echo \"made by hand\" > /note.txt"]`))
	// Docker runs a template on its own types first: empty fields print as "", [] and
	// <nil>, not <no value>; {{.Size}} is a whole number (its type, not its value,
	// is compared: sizes differ by design); {{.Id}} is found in the JSON document.
	res = r.Do("quoting: noted's empty fields", Text, "inspect", "-f", `{{.Config.WorkingDir}}|{{.Config.Entrypoint}}|{{.Config.Healthcheck}}|{{printf "%T" .Size}}`, "noted")
	r.Want(res, 0, "|[]|<nil>|int64", Equals("|[]|<nil>|int64"))
	res = r.Do("quoting: noted's Id (the JSON document's name)", Text, "inspect", "-f", "{{.Id}}", "noted")
	r.Want(res, 0, "the image's ID", imageIDRE.MatchString)
	res = r.Do("quoting: the file in the image", Text, "run", "--rm", "noted", "cat", "/note.txt")
	r.Want(res, 0, "made by hand", Equals("made by hand"))
	res = r.Do("quoting: rm note", Text, "rm", "note")
	r.Want(res, 0, "note", Equals("note"))
}

// ImagesVsContainers is the images-vs-containers lecture: a file made in one
// container is not in a second one from the same image; start and attach bring the
// first one back, file and all.
func ImagesVsContainers(r *Recorder) {
	r.T.Helper()
	term := r.Terminal("run", "-it", "ubuntu", "bash")
	term.WaitPrompt(1)
	term.Type("pwd")
	term.Type("ls -A /home")
	term.Type("mkdir /home/awesome")
	term.Type("cd /home/awesome")
	term.Type(`echo "` + theFileText + `" > container.txt`)
	term.Type("cat container.txt")
	code := term.TypeLast("exit")
	ex := r.EndTerminal("images-vs-containers: first container", term, code)
	r.CheckTerm(term, code == 0, "want exit code 0 after exit, got %d", code)
	if r.CheckTerm(term, len(ex) >= 7, "want a prompt after each typed line") {
		r.CheckTerm(term, output(ex[1]) == "/", "want / as the working directory")
		r.CheckTerm(term, output(ex[2]) == "", "want an empty /home")
		r.CheckTerm(term, output(ex[6]) == theFileText, "want the file's text")
	}

	res := r.Do("images-vs-containers: ps", Table, "ps")
	r.Check(res, len(ParseTable(res.Stdout).Rows) == 0, "want no running container")

	term = r.Terminal("run", "-it", "ubuntu", "bash")
	term.WaitPrompt(1)
	term.Type("ls -A /home")
	code = term.TypeLast("exit")
	ex = r.EndTerminal("images-vs-containers: second container", term, code)
	r.CheckTerm(term, code == 0, "want exit code 0 after exit, got %d", code)
	if r.CheckTerm(term, len(ex) >= 2, "want a prompt after each typed line") {
		r.CheckTerm(term, output(ex[1]) == "", "want an empty /home in the second container")
	}

	res = r.Do("images-vs-containers: ps -a", Table, "ps", "-a")
	p := ParseTable(res.Stdout)
	names := p.Column("NAMES")
	if !r.Check(res, len(names) == 2 && names[0] != names[1] && genNameRE.MatchString(names[0]) && genNameRE.MatchString(names[1]), "want two containers with generated names") {
		return
	}
	first := names[1] // the older one, below the newer: the one with the file
	r.Names[first] = "<first-container>"
	r.Names[names[0]] = "<second-container>"

	res = r.Do("images-vs-containers: start the first", Text, "start", first)
	r.Want(res, 0, "the name", Equals(first))
	res = r.Do("images-vs-containers: ps after start", Table, "ps")
	p = ParseTable(res.Stdout)
	r.Check(res, len(p.Rows) == 1 && p.Cell(0, "NAMES") == first && upRE.MatchString(p.Cell(0, "STATUS")), "want the first container, Up")

	term = r.Terminal("attach", first)
	// Like a learner, type at the prompt: the one bash draws again when the attach
	// resizes its terminal. (Typing at once raced that redraw, on either engine, on a
	// loaded machine.) Without a redraw it types anyway, and the parity comparison of
	// what came before the first prompt shows the difference.
	term.SettlePrompt(1, 5*time.Second)
	term.Type("cat /home/awesome/container.txt")
	code = term.TypeLast("exit")
	ex = r.EndTerminal("images-vs-containers: attach", term, code)
	r.CheckTerm(term, code == 0, "want exit code 0 after exit, got %d", code)
	// Here: the file.
	out, ok := exchangeOf(ex, "cat /home/awesome/container.txt")
	r.CheckTerm(term, ok && out == theFileText, "want the file's text in the first container")

	res = r.Do("images-vs-containers: ps -a at the end", Table, "ps", "-a")
	p = ParseTable(res.Stdout)
	st := p.Column("STATUS")
	r.Check(res, len(st) == 2 && exitedZero.MatchString(st[0]) && exitedZero.MatchString(st[1]), "want both Exited (0)")
	res = r.Do("images-vs-containers: diff the first", LineSet, "diff", first)
	r.Check(res, res.Code == 0 && strings.Contains(res.Stdout, "A /home/awesome/container.txt\n"), "want the file among the changes")
}

// exchangeOf finds the exchange where line was typed and returns its output.
func exchangeOf(ex []Exchange, line string) (string, bool) {
	// Attached to a shell that already showed its prompt, the first line typed has
	// none before it (unless the shell draws it again): it is in the first exchange.
	if len(ex) > 0 {
		if typed, out, _ := strings.Cut(ex[0].Output, "\n"); typed == line {
			return strings.TrimRight(out, "\n"), true
		}
	}
	for _, x := range ex {
		if x.Line == line {
			return output(x), true
		}
	}
	return "", false
}

// output is what an exchange printed, without the last newline.
func output(x Exchange) string { return strings.TrimRight(x.Output, "\n") }

// Errors are the mistakes a learner makes on the way: what each one prints and its
// exit code.
func Errors(r *Recorder) {
	r.T.Helper()
	res := r.Do("errors: start a container that does not exist", Text, "start", "nosuch")
	r.Check(res, res.Code == 1 && strings.Contains(res.Stderr, "No such container: nosuch"), "want exit 1 and No such container")
	res = r.Do("errors: run a detached container", Text, "run", "-d", "--name", "busy", "ubuntu", "sleep", "300")
	r.Want(res, 0, "the container's ID", regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString)
	res = r.Do("errors: rm a running container", Text, "rm", "busy")
	r.Check(res, res.Code == 1, "want exit 1")
	res = r.Do("errors: run with a name in use", Text, "run", "--name", "busy", "ubuntu", "true")
	r.Check(res, res.Code == 125 && strings.Contains(res.Stderr, `Conflict. The container name "/busy" is already in use`), "want exit 125 and Conflict")
	res = r.Do("errors: rmi an image a container uses", Text, "rmi", "ubuntu")
	r.Check(res, res.Code == 1 && strings.Contains(res.Stderr, `unable to remove repository reference "ubuntu" (must force)`), "want exit 1 and must force")
	res = r.Do("errors: commit a container that does not exist", Text, "commit", "nosuch")
	r.Check(res, res.Code == 1 && strings.Contains(res.Stderr, "No such container: nosuch"), "want exit 1 and No such container")
	res = r.Do("errors: attach to a container that does not exist", Text, "attach", "nosuch")
	r.Check(res, res.Code == 1 && strings.Contains(res.Stderr, "No such container: nosuch"), "want exit 1 and No such container")
	// Docker words this through its runtime's chain of causes; Normalise keeps the
	// cause, which is what a learner acts on, and compares the rest.
	res = r.Do("errors: run a command the image lacks", Text, "run", "ubuntu", "no-such-command")
	r.Check(res, res.Code == 127 && strings.Contains(res.Stderr, `exec: "no-such-command": executable file not found in $PATH`), "want exit 127 and executable file not found")
	res = r.Do("errors: run -it without a terminal", Text, "run", "-it", "ubuntu", "bash")
	r.Check(res, res.Code == 1 && strings.Contains(res.Stderr, "the input device is not a TTY"), "want exit 1 and not a TTY")
	res = r.Do("errors: stop", Text, "stop", "busy")
	r.Want(res, 0, "busy", Equals("busy"))
	res = r.Do("errors: ps -a at the end", Table, "ps", "-a")
	r.Check(res, res.Code == 0, "want success")
}
