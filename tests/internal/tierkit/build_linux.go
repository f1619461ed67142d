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

// writeBuildContext writes the context into the engine's working directory,
// readable by its user.
func writeBuildContext(r *Recorder) string {
	r.T.Helper()
	dir := filepath.Join(r.E.Dir, "buildctx")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.T.Fatal(err)
	}
	for name, text := range buildContext {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			r.T.Fatal(err)
		}
	}
	return "buildctx"
}

// Build is docker build as the Dockerfile lesson types it, with the classic
// builder's output (DOCKER_BUILDKIT=0; Debian's docker.io has no buildx, so its
// builder is the classic one): a multi-stage build, its history, config and files,
// an unchanged rebuild entirely from the cache, and a failing RUN. A build's own
// output is compared by exit code (Docker's client adds "Sending build context"
// and a deprecation notice); what it made is compared in full.
func Build(r *Recorder) {
	r.T.Helper()
	ctx := writeBuildContext(r)
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
