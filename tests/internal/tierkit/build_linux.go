package tierkit

import (
	"os"
	"path/filepath"
	"strings"
)

// The build scenario's context: a multi-stage Dockerfile, and one whose RUN fails.
var buildContext = map[string]string{
	"hello.txt": "hello\n",
	"Dockerfile": `FROM ubuntu AS build
WORKDIR /src
COPY hello.txt .
RUN echo "built from $(cat hello.txt)" > out.txt
FROM ubuntu
ENV GREETING=hi
WORKDIR /app
COPY --from=build /src/out.txt .
CMD ["cat", "/app/out.txt"]
`,
	"Dockerfile.fail": `FROM ubuntu
ENV STAGE=failing
RUN echo about to fail; exit 3
CMD ["never"]
`,
}

// multiStageCached is how many steps an unchanged rebuild takes from the cache:
// every step but the two FROMs.
const multiStageCached = 7

// Build is docker build as the Dockerfile lesson types it, with the classic
// builder's output (DOCKER_BUILDKIT=0; Debian's docker.io has no buildx, so its
// builder is the classic one): a multi-stage build, its history, config and files,
// an unchanged rebuild entirely from the cache, and a failing RUN. A build's own
// output is compared by exit code (Docker's client adds "Sending build context"
// and a deprecation notice); what it made is compared in full.
func Build(r *Recorder) {
	r.T.Helper()
	ctx := writeFiles(r, "buildctx", buildContext)
	res := r.Do("build: multi-stage", ExitCode, "build", "-t", "multi", ctx)
	r.Check(res, res.Code == 0 && strings.Contains(res.Stdout, "Step 1/9 : FROM ubuntu AS build\n") &&
		strings.Contains(res.Stdout, "Successfully tagged multi:latest\n"), "want nine steps and the image tagged multi")
	first := r.Do("build: the image's ID", Text, "inspect", "-f", "{{.Id}}", "multi")
	r.Do("build: history", Table, "history", "multi")
	res = r.Do("build: history --no-trunc", Text, "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "multi")
	r.Check(res, strings.HasPrefix(res.Stdout, `/bin/sh -c #(nop)  CMD ["cat" "/app/out.txt"]|0B`+"\n"), "want the CMD step on top, an empty layer")
	res = r.Do("build: config", Text, "inspect", "-f", "{{json .Config.Cmd}}|{{json .Config.Env}}|{{.Config.WorkingDir}}|{{json .Config.Entrypoint}}|{{len .RootFS.Layers}}", "multi")
	r.Want(res, 0, "CMD, ENV and WORKDIR set", func(s string) bool {
		return strings.HasPrefix(s, `["cat","/app/out.txt"]|`) && strings.Contains(s, `"GREETING=hi"]|/app|null|`)
	})
	res = r.Do("build: run it", Text, "run", "--rm", "multi")
	r.Want(res, 0, "built from hello", Equals("built from hello"))
	res = r.Do("build: the files", Text, "run", "--rm", "multi", "find", "/app", "-printf", `%p %M %U:%G %s\n`)
	r.Check(res, res.Code == 0, "want find to succeed")

	res = r.Do("build: cached rebuild", ExitCode, "build", "-t", "multi", ctx)
	r.Check(res, res.Code == 0 && strings.Count(res.Stdout, " ---> Using cache\n") == multiStageCached && !strings.Contains(res.Stdout, "Running in"),
		"want every step but FROM from the cache, no RUN")
	again := r.Do("build: the same image", Text, "inspect", "-f", "{{.Id}}", "multi")
	r.Check(again, again.Stdout == first.Stdout, "want the same image ID as the first build")

	res = r.Do("build: a failing RUN", ExitCode, "build", "-t", "broken", "-f", filepath.Join(ctx, "Dockerfile.fail"), ctx)
	r.Check(res, res.Code == 3 && strings.Contains(res.Stdout, "about to fail\n") &&
		strings.Contains(res.Stderr, "The command '/bin/sh -c echo about to fail; exit 3' returned a non-zero code: 3"),
		"want exit code 3, the command's output and the classic builder's message")
	res = r.Do("build: no image of the failed build", Table, "images", "broken")
	r.Check(res, len(ParseTable(res.Stdout).Rows) == 0, "want no image broken")
}

// writeFiles writes name -> text into the folder dir of the engine's working
// directory, readable by its user, and returns dir.
func writeFiles(r *Recorder, dir string, files map[string]string) string {
	r.T.Helper()
	p := filepath.Join(r.E.Dir, dir)
	if err := os.MkdirAll(p, 0o755); err != nil {
		r.T.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(p, name), []byte(text), 0o644); err != nil {
			r.T.Fatal(err)
		}
	}
	return dir
}

// DockerfileLecture is the Dockerfile lesson as typed, on the real distribution:
// the commit lecture's python3 image built from a Dockerfile (apt-get in a RUN
// step), its history, CMD and a COPY'd program added with the RUN step taken from
// the cache, then a changed program rebuilt from its COPY on.
func DockerfileLecture(r *Recorder) {
	r.T.Helper()
	run := "RUN " + InstallLine(r.E) + "\n"
	ctx := writeFiles(r, "pyapp", map[string]string{"Dockerfile": "FROM ubuntu\n" + run})
	res := r.Do("dockerfile: first build", ExitCode, "build", "-t", "python-ubuntu", ctx)
	r.Check(res, res.Code == 0 && strings.Contains(res.Stdout, "Step 2/2 : "+strings.TrimSuffix(run, "\n")+"\n"), "want the RUN step to run apt-get and succeed")
	res = r.Do("dockerfile: python3 in the image", Text, "run", "--rm", "python-ubuntu", "python3", "--version")
	r.Want(res, 0, "Python 3.11.x", pythonRE.MatchString)
	res = r.Do("dockerfile: history", Text, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "python-ubuntu")
	r.Check(res, strings.HasPrefix(res.Stdout, "/bin/sh -c "+InstallLine(r.E)+"\n"), "want the RUN line on top of the history")

	writeFiles(r, ctx, map[string]string{
		"hello.py":   `print("Hello from the image")` + "\n",
		"Dockerfile": "FROM ubuntu\n" + run + "COPY hello.py /app/hello.py\nCMD [\"python3\", \"/app/hello.py\"]\n",
	})
	res = r.Do("dockerfile: COPY and CMD added", ExitCode, "build", "-t", "python-ubuntu", ctx)
	r.Check(res, res.Code == 0 && strings.Count(res.Stdout, " ---> Using cache\n") == 1 && !strings.Contains(res.Stdout, "Running in"),
		"want the RUN step from the cache, apt-get not run again")
	res = r.Do("dockerfile: run the program", Text, "run", "--rm", "python-ubuntu")
	r.Want(res, 0, "Hello from the image", Equals("Hello from the image"))

	writeFiles(r, ctx, map[string]string{"hello.py": `print("Hello again")` + "\n"})
	res = r.Do("dockerfile: a changed program", ExitCode, "build", "-t", "python-ubuntu", ctx)
	r.Check(res, res.Code == 0 && strings.Count(res.Stdout, " ---> Using cache\n") == 1, "want RUN from the cache, COPY and CMD again")
	res = r.Do("dockerfile: run the changed program", Text, "run", "--rm", "python-ubuntu")
	r.Want(res, 0, "Hello again", Equals("Hello again"))
}
