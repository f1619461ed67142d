package checker_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dockling/dockling/checker"
)

func TestContainerCheck(t *testing.T) {
	v := lecture()
	for _, tc := range []struct {
		src string
		w   want
	}{
		{`container: {}`, want{true, []string{"found py"}}},
		{`container: {name: marked, state: exited, exit: 0, image: ubuntu}`, want{true, nil}},
		{`container: {name: marked, state: running}`, want{false, []string{`expected container "marked" in state running; found marked, but it has exited`}}},
		{`container: {name: nobody}`, want{false, []string{`found no container named "nobody"`}}},
		{`container: {name: latest, command: sleep}`, want{true, []string{"found py"}}},
		{`container: {name: aaaaaaaa}`, want{true, []string{"found marked"}}},
		{`container: {state: created}`, want{false, []string{"found 3 containers (py, quirky_bell, marked), none is created"}}},
		{`container: {exit: 130}`, want{true, []string{"quirky_bell"}}},
		{`container: {name: py, exit: 0}`, want{false, []string{"it is running, so it has no exit code yet"}}},
		{`container: {image: ubuntu, count: 3}`, want{true, []string{"found 3: py, quirky_bell, marked"}}},
		{`container: {image: ubuntu, count: ">=4"}`, want{false, []string{"expected at least 4 containers made from image ubuntu; found 3"}}},
		{`container: {image: hello-world, exists: false}`, want{true, nil}},
		{`container: {state: running, exists: false}`, want{false, []string{"expected no container in state running; found py"}}},
		{`container: {command: '^bash -c ''sleep'}`, want{true, nil}},
		{`container: {name: marked, command: python}`, want{false, []string{`its command is "bash"`}}},
	} {
		check(t, v, nil, tc.src, tc.w)
	}
}

// A binding is named by what it bound, never by the lesson's name for it.
func TestMessagesNameBoundObjects(t *testing.T) {
	v := lecture()
	b := checker.Bindings{"first": {Kind: checker.KindImage, ID: pyID, ShortID: "333333333333", Name: "333333333333"}}
	r := check(t, v, b, `container: {name: latest, image: first}`, want{false, []string{"made from image 333333333333"}})
	if strings.Contains(r.Message, "first") {
		t.Errorf("binding name in the message: %s", r.Message)
	}
	b["base"] = checker.Object{Kind: checker.KindImage, ID: pyID, ShortID: "333333333333", Name: "333333333333"}
	r = check(t, v, b, `image: {name: ubuntu, parent: base}`, want{false, []string{"committed from 333333333333"}})
	if strings.Contains(r.Message, "base") {
		t.Errorf("binding name in the message: %s", r.Message)
	}
}

func TestContainerCheckBinds(t *testing.T) {
	v := lecture()
	ctx := &checker.Context{View: v}
	r := decode(t, "container: {name: marked}\nas: first").Evaluate(ctx)
	if !r.Passed || r.Bound == nil || r.Bound.Name != "marked" {
		t.Fatalf("result %+v", r)
	}
	o := ctx.Bindings["first"]
	if o.ID != markedID || o.ShortID != "aaaaaaaaaaaa" || o.Kind != checker.KindContainer || o.Image != "ubuntu" {
		t.Errorf("binding %+v", o)
	}
	// The binding selects the container later, even by another name.
	check(t, v, ctx.Bindings, `container: {name: first, state: exited}`, want{true, []string{"found marked"}})
	// A removed container is reported as such.
	v.ContainerList = v.ContainerList[1:]
	check(t, v, ctx.Bindings, `container: {name: first}`, want{false, []string{"expected container marked;", "no longer exists"}})
}

func TestImageCheck(t *testing.T) {
	v := lecture()
	b := checker.Bindings{"base": {Kind: checker.KindImage, ID: ubuntuID, Name: "ubuntu:latest"}}
	for _, tc := range []struct {
		src string
		w   want
	}{
		{`image: {name: ubuntu}`, want{true, []string{"found ubuntu:latest"}}},
		{`image: {name: docker.io/library/ubuntu:latest}`, want{true, nil}},
		{`image: {name: "22222222"}`, want{true, nil}},
		{`image: {name: alpine}`, want{false, []string{`expected image "alpine"; found no image "alpine" (images here: 333333333333 (untagged), ubuntu:latest, hello-world:latest)`}}},
		{`image: {name: alpine, exists: false}`, want{true, nil}},
		{`image: {tag: ubuntu}`, want{true, nil}},
		{`image: {name: hello-world, cmd: [/hello], layers: 1}`, want{true, nil}},
		{`image: {name: ubuntu, cmd: [python3]}`, want{false, []string{`expected image "ubuntu" with CMD ["python3"]; found ubuntu:latest, but its CMD is ["/bin/bash"]`}}},
		{`image: {cmd: [python3], tagged: false}`, want{true, []string{"333333333333 (untagged)"}}},
		{`image: {cmd: python, layers: "+1", parent: ubuntu}`, want{true, nil}},
		{`image: {cmd: python, layers: "+1", base: base}`, want{true, nil}},
		{`image: {cmd: python, layers: "+2"}`, want{false, []string{"expected an image with 2 layers more than its parent, with a CMD matching \"python\"; found 3 images (333333333333 (untagged), ubuntu:latest, hello-world:latest), none has that many layers"}}},
		{`image: {name: "3333", layers: "+2"}`, want{false, []string{"it has 2 layers, ubuntu:latest has 1"}}},
		{`image: {name: ubuntu, layers: "+1"}`, want{false, []string{"it records no parent image to count from"}}},
		{`image: {parent: hello-world}`, want{false, []string{"none was committed from hello-world"}}},
		{`image: {name: "3333", parent: hello-world}`, want{false, []string{"but its parent is 222222222222"}}},
		{`image: {entrypoint: []}`, want{true, nil}},
		{`image: {name: ubuntu, entrypoint: [python3]}`, want{false, []string{"its ENTRYPOINT is []"}}},
		{`image: {name: ubuntu, entrypoint: 'python3'}`, want{false, []string{"with an ENTRYPOINT matching"}}},
		{`image: {env: [PATH], author: ^Ada$, comment: python}`, want{true, nil}},
		{`image: {name: ubuntu, env: ["PATH=/nope"]}`, want{false, []string{`its environment is ["PATH=/usr/bin:/bin"]`}}},
		{`image: {labels: {org.opencontainers.image.version: "24.04"}}`, want{true, []string{"ubuntu"}}},
		{`image: {name: ubuntu, labels: {x: y}}`, want{false, []string{"it has no label x"}}},
		{`image: {created_by: '^bash$'}`, want{true, nil}},
		{`image: {name: hello-world, created_by: apt-get}`, want{false, []string{`its history was created by "COPY hello / # buildkit", 'CMD ["/hello"]'`}}},
		{`image: {name: hello-world, tagged: false}`, want{false, []string{"its tags are hello-world:latest"}}},
	} {
		check(t, v, b, tc.src, tc.w)
	}
}

func TestFileCheck(t *testing.T) {
	v := lecture()
	for _, tc := range []struct {
		src string
		w   want
	}{
		{`file: {container: any, path: /home/awesome/container.txt, contains: only exists}`, want{true, []string{"found marked"}}},
		{`file: {path: /home/awesome/container.txt, matches: '^This only'}`, want{true, nil}},
		{`file: {container: latest, path: /home/awesome/container.txt}`, want{false, []string{"expected the newest container with /home/awesome/container.txt; found py, but it has no /home/awesome/container.txt"}}},
		{`file: {container: latest, path: /home/awesome/container.txt, absent: true}`, want{true, nil}},
		{`file: {path: /home/awesome/container.txt, exists: false}`, want{false, []string{"expected no container with /home/awesome/container.txt; found marked"}}},
		{`file: {path: /home/awesome/container.txt, contains: "only exists here"}`, want{false, []string{`found 3 containers, none qualifies; the closest is marked, but /home/awesome/container.txt holds "This only exists in this container"`}}},
		{`file: {container: any, path: /tmp/nothing, contains: x}`, want{false, []string{`expected a container with /tmp/nothing, containing "x"; found 3 containers (py, quirky_bell, marked), none has that file`}}},
		{`file: {container: marked, path: /home, type: dir}`, want{true, nil}},
		{`file: {container: marked, path: /home, type: file}`, want{false, []string{"/home is a directory"}}},
		{`file: {container: marked, path: /bin/sh, type: symlink}`, want{true, nil}},
		{`file: {container: marked, path: /bin/bash, mode: "0755"}`, want{true, nil}},
		{`file: {container: marked, path: /home/awesome/container.txt, mode: "0600"}`, want{false, []string{"the mode of /home/awesome/container.txt is 0644"}}},
		{`file: {path: "/home/*/container.txt", contains: only}`, want{true, []string{"found marked"}}},
		{`file: {container: latest, path: "/home/*/container.txt", absent: true}`, want{true, nil}},
		{`file: {container: marked, path: "/home/*/*.txt", matches: nope}`, want{false, []string{"/home/awesome/container.txt holds"}}},
		{`file: {container: marked, path: /home/awesome/container.txt/x}`, want{false, []string{"it has no /home/awesome/container.txt/x"}}},
		{`file: {image: ubuntu, path: /usr/bin/python3}`, want{false, []string{`expected image "ubuntu" with /usr/bin/python3; found ubuntu:latest, but it has no /usr/bin/python3`}}},
		{`file: {image: "333333", path: usr/bin/python3}`, want{true, nil}},
		{`file: {container: nobody, path: /x}`, want{false, []string{`found no container named "nobody"`}}},
	} {
		check(t, v, nil, tc.src, tc.w)
	}
	// The file check binds where it found the file.
	ctx := &checker.Context{View: v}
	decode(t, "file: {path: /home/awesome/container.txt}\nas: marked").Evaluate(ctx)
	if ctx.Bindings["marked"].ID != markedID {
		t.Errorf("bindings %+v", ctx.Bindings)
	}
	decode(t, "file: {image: '333333', path: /usr/bin/python3}\nas: py").Evaluate(ctx)
	if o := ctx.Bindings["py"]; o.Kind != checker.KindImage || o.Hex != pyID[7:] {
		t.Errorf("bindings %+v", ctx.Bindings)
	}
}

func TestDiffCheck(t *testing.T) {
	v := lecture()
	for _, tc := range []struct {
		src string
		w   want
	}{
		{`diff: {path: /home/awesome/container.txt, kind: A}`, want{true, []string{"found marked"}}},
		{`diff: {container: marked, path: /home/awesome/container.txt/, kind: C}`, want{false, []string{"it added /home/awesome/container.txt"}}},
		{`diff: {container: quirky_bell, path: /etc/motd}`, want{true, nil}},
		{`diff: {container: py, path: /x}`, want{false, []string{"it changed nothing"}}},
		{`diff: {container: quirky_bell, path: /x}`, want{false, []string{"its changes are C /root, D /etc/motd"}}},
	} {
		check(t, v, nil, tc.src, tc.w)
	}
}

func TestStoreCheck(t *testing.T) {
	v := lecture()
	b := checker.Bindings{"base": {Kind: checker.KindImage, ID: ubuntuID, Hex: ubuntuID[7:]}}
	for _, tc := range []struct {
		src string
		w   want
	}{
		{`store: {path: image/overlay2/repositories.json, contains: '"ubuntu:latest"'}`, want{true, nil}},
		{`store: {path: /image/overlay2/repositories.json, matches: 'hello-world'}`, want{false, []string{"image/overlay2/repositories.json holds"}}},
		{`store: {path: "image/overlay2/imagedb/content/sha256/{{.base.Hex}}", contains: created_by}`, want{true, nil}},
		{`store: {path: "image/overlay2/imagedb/content/sha256/*", contains: created_by}`, want{true, nil}},
		{`store: {path: "containers/*/config.v2.json"}`, want{true, nil}},
		{`store: {path: "containers/*/hostconfig.json"}`, want{false, []string{"found nothing there"}}},
		{`store: {path: "containers/*/hostconfig.json", exists: false}`, want{true, nil}},
		{`store: {path: image, type: dir}`, want{true, nil}},
	} {
		check(t, v, b, tc.src, tc.w)
	}
}

func TestRanCheck(t *testing.T) {
	v := lecture()
	v.Ran("docker images", 0, "REPOSITORY TAG\nubuntu latest\n")
	v.Ran("docker   ps   -a", 0, "")
	since := v.Ran("docker run -it ubuntu bash", 0, "")
	v.Ran("docker start marked", 0, "marked\n")
	v.Ran("docker commit marked", 0, pyID+"\n")
	v.Commands[len(v.Commands)-1].Images = []string{pyID}
	v.Commands[len(v.Commands)-1].Containers = []string{"marked"}
	b := checker.Bindings{"marked": {Kind: checker.KindContainer, ID: markedID, Name: "marked"}}
	for _, tc := range []struct {
		src string
		w   want
	}{
		{`ran: {command: '^docker ps -a$'}`, want{true, []string{`found "docker ps -a"`}}},
		{`ran: {command: '^docker start {{.marked.Name}}$', exit: 0}`, want{true, nil}},
		{`ran: {command: '^docker commit', container: marked, image: "3333"}`, want{true, nil}},
		{`ran: {command: '^docker', container: py}`, want{false, []string{"expected a command like `docker`, on container py; found 5 commands", "none used container py"}}},
		{`ran: {command: '^docker', image: alpine}`, want{false, []string{"none used image alpine"}}},
		{`ran: {command: '^docker attach'}`, want{false, []string{"expected a command like `docker attach`; found 5 commands", "none is like it"}}},
		{`ran: {command: '^docker images', exit: 1}`, want{false, []string{"expected a command like `docker images`, that exited with code 1; found 5 commands", "the closest is \"docker images\", but it exited with code 0"}}},
	} {
		check(t, v, b, tc.src, tc.w)
	}
	// Only the step's own commands count, unless anytime: true.
	ctx := &checker.Context{View: v, Bindings: b, Since: since}
	if r := decode(t, `ran: {command: '^docker ps'}`).Evaluate(ctx); r.Passed || !strings.Contains(r.Message, "run in this step") {
		t.Errorf("since: %+v", r)
	}
	if r := decode(t, `ran: {command: '^docker ps', anytime: true}`).Evaluate(ctx); !r.Passed {
		t.Errorf("anytime: %+v", r)
	}
	// bind: image binds what the journal recorded.
	r := decode(t, "ran: {command: '^docker commit', bind: image}\nas: committed").Evaluate(ctx)
	if !r.Passed || ctx.Bindings["committed"].ID != pyID {
		t.Errorf("bind image: %+v %+v", r, ctx.Bindings)
	}
	r = decode(t, "ran: {command: '^docker commit', bind: container}\nas: c").Evaluate(ctx)
	if !r.Passed || ctx.Bindings["c"].ID != markedID {
		t.Errorf("bind container: %+v", r)
	}
	r = decode(t, "ran: {command: '^docker start', bind: image}\nas: none").Evaluate(ctx)
	if r.Passed || !strings.Contains(r.Message, "found none recorded") {
		t.Errorf("bind nothing: %+v", r)
	}
	// An empty step.
	ctx.Since = 100
	if r := decode(t, `ran: {command: x}`).Evaluate(ctx); !strings.Contains(r.Message, "found no commands run in this step yet") {
		t.Errorf("empty: %s", r.Message)
	}
}

// A command counts however a shell would run it: after another, under time or sudo,
// in a pipe or a subshell, or by another of Docker's names for the verb.
func TestRanCheckReadsLinesAsAShell(t *testing.T) {
	for _, line := range []string{
		"clear; docker images", "time docker images", "sudo docker images", "docker images | head",
		"FOO=1 docker images", "(docker images)", "docker images && echo ok", "docker image ls",
		"dockling images", "env -u X docker images -a",
	} {
		v := lecture()
		v.Ran(line, 0, "")
		check(t, v, nil, `ran: {command: '^docker images( -a)?$'}`, want{true, nil})
		check(t, v, nil, `output: {command: '^docker images', contains: x}`, want{false, []string{"printed nothing"}})
	}
	for _, line := range []string{"echo docker images", `echo "docker images"`, "docker images 'open", "docker imagesx"} {
		v := lecture()
		v.Ran(line, 0, "")
		check(t, v, nil, `ran: {command: '^docker images$'}`, want{false, []string{"it is a different command"}})
	}
	v := lecture()
	v.Ran("docker container ls -a", 0, "")
	check(t, v, nil, `ran: {command: '^docker ps -a$'}`, want{true, nil})
}

func TestOutputCheck(t *testing.T) {
	v := lecture()
	check(t, v, nil, `output: {contains: x}`, want{false, []string{"expected a command of this step to print \"x\"; found no commands run in this step yet"}})
	v.Ran("docker images", 0, "REPOSITORY   TAG\nubuntu       latest\n")
	v.Ran("docker ps", 0, "")
	// Any command of the step counts, not only the last (the grade sees more after it).
	check(t, v, nil, `output: {contains: ubuntu}`, want{true, []string{`found "docker images" printed it`}})
	check(t, v, nil, `output: {contains: nowhere}`, want{false, []string{`found "docker ps" printed nothing`}})
	check(t, v, nil, `output: {command: '^docker images', matches: '(?m)^ubuntu +latest$'}`, want{true, []string{`found "docker images" printed it`}})
	check(t, v, nil, `output: {command: '^docker images', contains: hello-world}`, want{false, []string{"expected a command like `docker images` to print \"hello-world\"; found \"docker images\" printed \"REPOSITORY TAG ubuntu latest\""}})
	check(t, v, nil, `output: {command: '^docker info', contains: x}`, want{false, []string{"found no such command in this step"}})
	// What a terminal draws with escape codes is matched and shown as the learner saw it.
	v.Ran("ls --color", 0, "\x1b[01;34mimagedb\x1b[0m  repositories.json\n")
	check(t, v, nil, `output: {matches: '^imagedb +repositories'}`, want{true, nil})
	v.Ran("clear", 0, "\x1b[H\x1b[J\x1b[3J")
	r := check(t, v, nil, `output: {contains: '"created_by"'}`, want{false, []string{`to print '"created_by"'; found "clear" printed nothing`}})
	if strings.Contains(r.Message, `\x1b`) || strings.Contains(r.Message, `\"`) {
		t.Errorf("escapes in the message: %s", r.Message)
	}
}

func TestExecCheck(t *testing.T) {
	v := lecture()
	v.ExecFunc = func(req checker.ExecRequest) (checker.ExecResult, error) {
		switch {
		case req.Image == pyID && len(req.Args) == 0:
			return checker.ExecResult{ExitCode: 0, Output: "Python 3.12.3\n"}, nil
		case req.Image == ubuntuID && len(req.Args) > 0 && req.Args[0] == "python3":
			return checker.ExecResult{ExitCode: 127, Output: "bash: python3: command not found\n"}, nil
		case req.Container == runID:
			return checker.ExecResult{ExitCode: 0, Output: strings.Join(req.Args[1:], "|") + "\n"}, nil
		}
		return checker.ExecResult{}, errors.New("unexpected")
	}
	for _, tc := range []struct {
		src string
		w   want
	}{
		{`exec: {image: "333333", output: '^Python 3\.\d+\.\d+$'}`, want{true, []string{`found 333333333333 (untagged): it exited with code 0 and printed "Python 3.12.3"`}}},
		{`exec: {image: ubuntu, run: python3 --version}`, want{false, []string{`expected image "ubuntu" running "python3 --version", to exit with code 0; found ubuntu:latest, but it exited with code 127 and printed "bash: python3: command not found"`}}},
		{`exec: {image: ubuntu, run: [python3, -c, "print(1+1)"], exit: 127, contains: not found}`, want{true, nil}},
		{`exec: {container: py, run: "echo 'a b'", output: '^a\|b$'}`, want{false, []string{`printed "a b"`}}},
		{`exec: {container: py, run: "echo 'a b'", output: '^a b$'}`, want{true, nil}},
		{`exec: {container: marked, run: "true"}`, want{false, []string{"it is not running (it is exited), so nothing can run in it"}}},
		{`exec: {container: any, run: "true"}`, want{true, []string{"found py"}}},
		{`exec: {image: alpine}`, want{false, []string{`found no image "alpine"`}}},
	} {
		check(t, v, nil, tc.src, tc.w)
	}
	if last := v.Execs[len(v.Execs)-1]; last.Container != runID {
		t.Errorf("exec any went to %+v", last)
	}
	v.ExecFunc = func(checker.ExecRequest) (checker.ExecResult, error) { return checker.ExecResult{}, errors.New("boom") }
	check(t, v, nil, `exec: {image: ubuntu, run: x}`, want{false, []string{"the command could not run: boom"}})
}

func TestCombinators(t *testing.T) {
	v := lecture()
	for _, tc := range []struct {
		src string
		w   want
	}{
		{`all: [{container: {name: marked}}, {image: {name: ubuntu}}]`, want{true, nil}},
		{`all: [{container: {name: marked}}, {image: {name: alpine}, fail: Pull alpine first.}]`, want{false, []string{`Pull alpine first. (expected image "alpine"`}}},
		{`any: [{image: {name: alpine}}, {image: {name: ubuntu}}]`, want{true, []string{"found ubuntu:latest"}}},
		{`any: [{image: {name: alpine}}, {image: {name: busybox}}]`, want{false, []string{`none of 2 alternatives holds: expected image "alpine"`, ` | expected image "busybox"`}}},
		{`not: {file: {container: latest, path: /home/awesome/container.txt}}`, want{true, []string{"as expected, it does not hold"}}},
		{`not: {file: {container: marked, path: /home/awesome/container.txt}}`, want{false, []string{"expected this not to hold: file {container: marked, path: /home/awesome/container.txt}; but it does: found marked"}}},
	} {
		check(t, v, nil, tc.src, tc.w)
	}
	// Bindings made inside all: reach the step once it passes; a failing all: binds nothing.
	ctx := &checker.Context{View: v}
	r := decode(t, "all: [{container: {name: marked}, as: m}, {file: {container: m, path: /home/awesome/container.txt}}]\nas: both").Evaluate(ctx)
	if !r.Passed || ctx.Bindings["m"].ID != markedID || ctx.Bindings["both"].ID != markedID {
		t.Errorf("all binds: %+v %+v", r, ctx.Bindings)
	}
	ctx = &checker.Context{View: v}
	decode(t, "all: [{container: {name: marked}, as: m}, {image: {name: alpine}}]").Evaluate(ctx)
	if _, ok := ctx.Bindings["m"]; ok {
		t.Errorf("a failing all: bound m")
	}
	ctx = &checker.Context{View: v}
	r = decode(t, "any: [{image: {name: alpine}}, {container: {name: py}}]\nas: x").Evaluate(ctx)
	if !r.Passed || ctx.Bindings["x"].ID != runID {
		t.Errorf("any binds: %+v %+v", r, ctx.Bindings)
	}
}

func TestPointsAndFail(t *testing.T) {
	v := lecture()
	ctx := &checker.Context{View: v, Bindings: checker.Bindings{"m": {Kind: checker.KindContainer, ID: markedID, Name: "marked"}}}
	r := decode(t, "image: {name: alpine}\npoints: 3\nfail: 'No alpine next to {{.m.Name}}.'").Evaluate(ctx)
	if r.Passed || r.Points != 0 || r.MaxPoints != 3 || r.Fail != "No alpine next to marked." || r.Type != "image" || r.Label != "image {name: alpine}" {
		t.Errorf("%+v", r)
	}
	r = decode(t, "image: {name: ubuntu}\npoints: 3").Evaluate(ctx)
	if !r.Passed || r.Points != 3 || r.Fail != "" {
		t.Errorf("%+v", r)
	}
	results, ok := checker.EvaluateAll(ctx, []*checker.Entry{decode(t, "image: {name: ubuntu}"), decode(t, "image: {name: alpine}")})
	if ok || len(results) != 2 || results[0].Points != 1 || results[1].Points != 0 {
		t.Errorf("EvaluateAll: %v %+v", ok, results)
	}
}

func TestUnreadableSandbox(t *testing.T) {
	v := lecture()
	v.Err = errors.New("permission denied")
	for _, src := range []string{
		`container: {}`, `image: {}`, `file: {path: /x}`, `diff: {path: /x}`, `store: {path: x}`,
		`ran: {command: x}`, `output: {contains: x}`, `exec: {image: ubuntu}`, `not: {image: {}}`,
		`any: [{image: {}}]`, `all: [{image: {}}]`,
	} {
		r := decode(t, src).Evaluate(&checker.Context{View: v})
		if r.Passed || r.Error == "" || !strings.Contains(r.Message, "permission denied") {
			t.Errorf("%s: %+v", src, r)
		}
	}
}

func TestDeterministic(t *testing.T) {
	v := lecture()
	// The same sandbox in another order gives the same results.
	w := lecture()
	for i, j := 0, len(w.ContainerList)-1; i < j; i, j = i+1, j-1 {
		w.ContainerList[i], w.ContainerList[j] = w.ContainerList[j], w.ContainerList[i]
		w.ImageList[i], w.ImageList[j] = w.ImageList[j], w.ImageList[i]
	}
	for _, src := range []string{
		`file: {container: any, path: /tmp/nothing}`, `container: {}`, `image: {}`, `image: {cmd: [x]}`,
	} {
		a := decode(t, src).Evaluate(&checker.Context{View: v})
		b := decode(t, src).Evaluate(&checker.Context{View: w})
		if a.Message != b.Message {
			t.Errorf("%s: %q vs %q", src, a.Message, b.Message)
		}
	}
}

func TestDescribeInPlainWords(t *testing.T) {
	b := checker.Bindings{"marked": {Kind: checker.KindContainer, Name: "glad_hopper", ID: "c1"}}
	for src, want := range map[string]string{
		`ran: {command: '^docker (images|image (ls|list))\b', exit: 0}`:                                 "you ran `docker images` and it worked",
		`ran: {command: '^docker (ps|container (ls|ps|list))( .*)? (-[a-zA-Z]*a[a-zA-Z]*|--all)( |$)'}`: "you ran `docker ps -a`",
		`ran: {command: '^docker (container )?start\b', container: marked, exit: 0}`:                    "you ran `docker start` on container glad_hopper and it worked",
		`ran: {command: '\b(cat|less)\b.*(imagedb/content/sha256/|\b[0-9a-f]{64}\b)'}`:                  "you ran `cat … imagedb/content/sha256/`",
		`container: {image: hello-world, state: exited, exit: 0}`:                                       "a container from hello-world that has stopped, with exit code 0",
		`image: {parent: ubuntu, entrypoint: 'python3'}`:                                                "an image committed from ubuntu, with its ENTRYPOINT set",
		`file: {container: latest, path: "/home/*/container.txt", absent: true}`:                        "the newest container has no /home/*/container.txt",
		`output: {contains: '"created_by"'}`:                                                            `a command you ran printed '"created_by"'`,
		`container: {name: unbound, state: exited}`:                                                     "container unbound that has stopped",
		`container: {name: latest, command: '^echo', state: running}`:                                   "the newest container running `echo`, still up",
	} {
		ent := decode(t, src)
		if got := ent.Describe(b); got != want {
			t.Errorf("%s:\n got %q\nwant %q", src, got, want)
		}
		if strings.Contains(ent.Describe(b), `\b`) {
			t.Errorf("%s: a regular expression shows", src)
		}
	}
}
