package sandboxview_test

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/sandboxview"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/dockling/dockling/sandbox/runtime"
)

func TestMain(m *testing.M) {
	// Containers are run by re-executing the test binary as shim and init.
	runtime.Init()
	m.Run()
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test runs real containers (the rootless tier is covered by the runtime's own tests)")
	}
}

// tinyRootfs is a root file system tarball of one folder and one file.
func tinyRootfs(t *testing.T) *bytes.Buffer {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	must(t, tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}))
	body := "tiny\n"
	must(t, tw.WriteHeader(&tar.Header{Name: "etc/motd", Typeflag: tar.TypeReg, Mode: 0o640, Size: int64(len(body))}))
	_, err := tw.Write([]byte(body))
	must(t, err)
	must(t, tw.Close())
	return &b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func evaluate(t *testing.T, ctx *checker.Context, src string) checker.Result {
	t.Helper()
	var doc yaml.Node
	must(t, yaml.Unmarshal([]byte(src), &doc))
	e, err := checker.DecodeEntry(&doc)
	must(t, err)
	return e.Evaluate(ctx)
}

func TestRealSandbox(t *testing.T) {
	needRoot(t)
	sb, err := sandbox.Open(t.TempDir())
	must(t, err)
	v := sandboxview.New(sb)

	// An imported image and its files.
	tinyID, err := sb.Import(tinyRootfs(t), sandbox.ImportOptions{Ref: "tiny", Message: "a tiny rootfs"})
	must(t, err)
	imgs, err := v.Images()
	must(t, err)
	if len(imgs) != 1 || imgs[0].ID != tinyID || imgs[0].Tags[0] != "tiny:latest" || len(imgs[0].Layers) != 1 || imgs[0].Comment != "a tiny rootfs" {
		t.Fatalf("images %+v", imgs)
	}
	ifs, err := v.ImageFS(tinyID)
	must(t, err)
	if b, err := fs.ReadFile(ifs, "etc/motd"); err != nil || string(b) != "tiny\n" {
		t.Errorf("image file: %q %v", b, err)
	}

	// A container of the built-in busybox that leaves a file behind.
	if _, err := sb.Image("busybox"); err != nil {
		t.Skipf("no busybox image on this host: %v", err)
	}
	c, err := sb.Create(sandbox.CreateOptions{Image: "busybox", Name: "marked", Cmd: []string{"sh", "-c", "echo hi > /x"}})
	must(t, err)
	t.Cleanup(func() { _, _ = sb.Remove(c.ID, true) })
	_, err = sb.Start(c.ID, true)
	must(t, err)
	code, err := sb.AttachID(c.ID, runtime.Streams{})
	must(t, err)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	cs, err := v.Containers()
	must(t, err)
	if len(cs) != 1 || cs[0].Name != "marked" || cs[0].State != "exited" || cs[0].Image != "busybox" || strings.Join(cs[0].Args, " ") != "sh -c echo hi > /x" {
		t.Fatalf("containers %+v", cs)
	}
	cfs, err := v.ContainerFS(c.ID)
	must(t, err)
	if b, err := fs.ReadFile(cfs, "x"); err != nil || string(b) != "hi\n" {
		t.Errorf("container file: %q %v", b, err)
	}
	changes, err := v.Diff(c.ID)
	must(t, err)
	found := false
	for _, ch := range changes {
		found = found || ch == checker.Change{Kind: 'A', Path: "/x"}
	}
	if !found {
		t.Errorf("diff %+v", changes)
	}

	// The journal and the data root.
	must(t, journal.Append(sb.Dir(), journal.Entry{Time: time.Now(), Line: "docker run --name marked busybox sh -c 'echo hi > /x'", Containers: []string{c.ID}}))
	cmds, err := v.Journal()
	must(t, err)
	if len(cmds) != 1 || cmds[0].Seq != 1 || cmds[0].Containers[0] != c.ID {
		t.Errorf("journal %+v", cmds)
	}
	sfs, err := v.StoreFS()
	must(t, err)
	if _, err := fs.Stat(sfs, "image/overlay2/repositories.json"); err != nil {
		t.Errorf("store: %v", err)
	}

	// Exec in fresh containers, which are removed afterwards.
	res, err := v.Exec(checker.ExecRequest{Image: tinyID, Args: []string{"true"}})
	must(t, err)
	if res.ExitCode != 127 || !strings.Contains(res.Output, "executable file not found") {
		t.Errorf("exec in an image without programs: %+v", res)
	}
	res, err = v.Exec(checker.ExecRequest{Image: c.Image, Args: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}})
	must(t, err)
	if res.ExitCode != 3 || !strings.Contains(res.Output, "out\n") || !strings.Contains(res.Output, "err\n") {
		t.Errorf("exec in busybox: %+v", res)
	}
	if cs, _ := v.Containers(); len(cs) != 1 {
		t.Errorf("exec left containers behind: %+v", cs)
	}

	// Exec in a running container.
	run, err := sb.Create(sandbox.CreateOptions{Image: "busybox", Name: "runner", Cmd: []string{"sleep", "100"}})
	must(t, err)
	t.Cleanup(func() { _, _ = sb.Remove(run.ID, true) })
	_, err = sb.Start(run.ID, false)
	must(t, err)
	res, err = v.Exec(checker.ExecRequest{Container: run.ID, Args: []string{"cat", "/proc/1/cmdline"}})
	must(t, err)
	if res.ExitCode != 0 || !strings.HasPrefix(res.Output, "sleep") {
		t.Errorf("exec in a running container: %+v", res)
	}

	// Checks against the real thing.
	ctx := &checker.Context{View: v}
	for _, tc := range []struct {
		src  string
		pass bool
	}{
		{"file: {container: marked, path: /x, contains: hi}\nas: m", true},
		{"file: {container: latest, path: /x}", false},
		{"diff: {container: m, path: /x, kind: A}", true},
		{"container: {name: m, state: exited, exit: 0, image: busybox}", true},
		{"container: {name: runner, state: running}", true},
		{"image: {name: tiny, layers: 1, comment: tiny}", true},
		{"file: {image: tiny, path: /etc/motd, mode: '0640'}", true},
		{"exec: {image: busybox, run: [sh, -c, 'echo $((1+1))'], output: '^2$'}", true},
		{"exec: {container: runner, run: [ls, /x]}", false},
		{"ran: {command: '^docker run --name marked', bind: container}", true},
		{"store: {path: 'containers/{{.m.ID}}/config.v2.json', contains: marked}", true},
	} {
		if r := evaluate(t, ctx, tc.src); r.Passed != tc.pass {
			t.Errorf("%s: passed %v: %s", tc.src, r.Passed, r.Message)
		}
	}
}

func TestOpen(t *testing.T) {
	if _, err := sandboxview.Open(t.TempDir()+"/missing", sandboxview.Options{}); err == nil || !strings.Contains(err.Error(), "opening sandbox") {
		t.Errorf("missing folder: %v", err)
	}
	f := t.TempDir() + "/file"
	must(t, os.WriteFile(f, nil, 0o644))
	if _, err := sandboxview.Open(f, sandboxview.Options{}); err == nil {
		t.Error("a file opened as a sandbox")
	}
}

// A grading view's exec checks run without a network; a learner's view keeps the
// host's, as their docker run does.
func TestGradingExecHasNoNetwork(t *testing.T) {
	needRoot(t)
	sb, err := sandbox.Open(t.TempDir())
	must(t, err)
	img, err := sb.Image("busybox")
	if err != nil {
		t.Skipf("no busybox image on this host: %v", err)
	}
	hostDev, err := os.ReadFile("/proc/net/dev")
	must(t, err)
	if strings.Count(string(hostDev), ":") < 2 {
		t.Skip("this host has no network interface but lo")
	}
	interfaces := func(v *sandboxview.View) string {
		res, err := v.Exec(checker.ExecRequest{Image: img.ID, Args: []string{"sh", "-c", "grep : /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '"}})
		must(t, err)
		if res.ExitCode != 0 {
			t.Fatalf("listing interfaces: %+v", res)
		}
		return strings.TrimSpace(res.Output)
	}
	if got := interfaces(sandboxview.NewWith(sb, sandboxview.Grading)); got != "lo" {
		t.Errorf("grading exec sees interfaces %q, want lo alone", got)
	}
	if got := interfaces(sandboxview.New(sb)); got == "lo" {
		t.Errorf("a learner's exec sees only lo: the host network is expected")
	}
}
