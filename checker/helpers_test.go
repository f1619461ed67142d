package checker_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/fakeview"
)

const (
	helloID  = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	ubuntuID = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	pyID     = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	markedID = "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000"
	otherID  = "bbbbbbbbbbbb0000000000000000000000000000000000000000000000000000"
	runID    = "cccccccccccc0000000000000000000000000000000000000000000000000000"
)

func at(min int) time.Time { return time.Date(2025, 1, 1, 10, min, 0, 0, time.UTC) }

// lecture is the sandbox of the lecture, after both lessons: hello-world and ubuntu,
// the marked container with the file, a second one without it, a running one, and an
// image committed from a container with python3.
func lecture() *fakeview.View {
	file := &fstest.MapFile{Data: []byte("This only exists in this container\n"), Mode: 0o644}
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"bin/bash":     {Data: []byte("ELF"), Mode: 0o755},
			"home":         {Mode: fs.ModeDir | 0o755},
			"etc/hostname": {Data: []byte("x")},
			"bin/sh":       {Data: []byte("bash"), Mode: fs.ModeSymlink | 0o777},
		}
	}
	marked := base()
	marked["home/awesome/container.txt"] = file
	py := base()
	py["usr/bin/python3"] = &fstest.MapFile{Data: []byte("ELF"), Mode: 0o755}
	return &fakeview.View{
		ImageList: []checker.Image{
			{ID: helloID, Tags: []string{"hello-world:latest"}, Layers: []string{"sha256:h1"}, Cmd: []string{"/hello"}, Created: at(0),
				History: []checker.History{{CreatedBy: "COPY hello / # buildkit"}, {CreatedBy: `CMD ["/hello"]`, EmptyLayer: true}}},
			{ID: ubuntuID, Tags: []string{"ubuntu:latest"}, Layers: []string{"sha256:u1"}, Cmd: []string{"/bin/bash"}, Created: at(1),
				Env:     []string{"PATH=/usr/bin:/bin"},
				Labels:  map[string]string{"org.opencontainers.image.version": "24.04"},
				History: []checker.History{{CreatedBy: "/bin/sh -c #(nop) ADD file:abc in / "}, {CreatedBy: `/bin/sh -c #(nop)  CMD ["/bin/bash"]`, EmptyLayer: true}}},
			{ID: pyID, Layers: []string{"sha256:u1", "sha256:p1"}, Cmd: []string{"python3"}, Parent: ubuntuID, Created: at(9),
				Env: []string{"PATH=/usr/bin:/bin"}, Author: "Ada", Comment: "python added",
				History: []checker.History{{CreatedBy: "/bin/sh -c #(nop) ADD file:abc in / "}, {CreatedBy: "bash"}}},
		},
		ContainerList: []checker.Container{
			{ID: markedID, Name: "marked", Image: "ubuntu", ImageID: ubuntuID, Args: []string{"bash"}, State: "exited", ExitCode: 0, Created: at(2)},
			{ID: otherID, Name: "quirky_bell", Image: "ubuntu", ImageID: ubuntuID, Args: []string{"bash"}, State: "exited", ExitCode: 130, Created: at(3)},
			{ID: runID, Name: "py", Image: "ubuntu", ImageID: ubuntuID, Args: []string{"bash", "-c", "sleep 1000"}, State: "running", Created: at(4)},
		},
		Files: map[string]fstest.MapFS{
			markedID: marked, otherID: base(), runID: base(),
			ubuntuID: base(), pyID: py, helloID: {"hello": {Data: []byte("ELF"), Mode: 0o755}},
		},
		Changes: map[string][]checker.Change{
			markedID: {{Kind: 'C', Path: "/home"}, {Kind: 'A', Path: "/home/awesome"}, {Kind: 'A', Path: "/home/awesome/container.txt"}},
			otherID:  {{Kind: 'C', Path: "/root"}, {Kind: 'D', Path: "/etc/motd"}},
		},
		Store: fstest.MapFS{
			"image/overlay2/repositories.json":                      {Data: []byte(`{"Repositories":{"ubuntu":{"ubuntu:latest":"` + ubuntuID + `"}}}`)},
			"image/overlay2/imagedb/content/sha256/" + ubuntuID[7:]: {Data: []byte(`{"history":[{"created_by":"/bin/sh -c #(nop) ADD file"}]}`)},
			"containers/" + markedID + "/config.v2.json":            {Data: []byte(`{}`)},
		},
	}
}

// decode reads one check entry from YAML.
func decode(t *testing.T, src string) *checker.Entry {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	e, err := checker.DecodeEntry(&doc)
	if err != nil {
		t.Fatalf("decoding %q: %v", src, err)
	}
	return e
}

// decodeErr reads a check entry that must not decode and returns the problems.
func decodeErr(t *testing.T, src string) string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	_, err := checker.DecodeEntry(&doc)
	if err == nil {
		t.Fatalf("decoding %q: no error", src)
	}
	return err.Error()
}

type want struct {
	pass bool
	msg  []string // substrings of the message
}

// check evaluates src against v and compares.
func check(t *testing.T, v checker.View, b checker.Bindings, src string, w want) checker.Result {
	t.Helper()
	ctx := &checker.Context{View: v, Bindings: b}
	r := decode(t, src).Evaluate(ctx)
	if r.Passed != w.pass {
		t.Errorf("%s: passed = %v, want %v (message: %s)", src, r.Passed, w.pass, r.Message)
	}
	for _, m := range w.msg {
		if !strings.Contains(r.Message, m) {
			t.Errorf("%s: message %q lacks %q", src, r.Message, m)
		}
	}
	return r
}
