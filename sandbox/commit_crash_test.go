package sandbox

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	crashRootEnv  = "DOCKLING_TEST_CRASH_ROOT"
	crashReadyEnv = "DOCKLING_TEST_CRASH_READY"
)

// TestCommitCrashLeavesNoHalfImage kills a commit (a child process) while it is half-way
// through writing its layer: the store must show no trace of it (no image, no layer,
// no tag), and `system check` must find the leftovers, which repair removes.
func TestCommitCrashLeavesNoHalfImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: container layers")
	}
	root := t.TempDir()
	sb, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"true"}, Name: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 2 MiB of changes, as if the container had written them.
	buf := make([]byte, 256<<10)
	os.MkdirAll(filepath.Join(rw.Upper, "data"), 0o755)
	for i := range 8 {
		rand.Read(buf)
		if err := os.WriteFile(filepath.Join(rw.Upper, "data", fmt.Sprintf("f%d", i)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	images := func() []string {
		imgs, err := sb.Store.Images()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, img := range imgs {
			ids = append(ids, img.ID)
		}
		slices.Sort(ids)
		return ids
	}
	reposFile := filepath.Join(root, "image", "overlay2", "repositories.json")
	imagesBefore, treeBefore := images(), storeTree(t, root)
	reposBefore, _ := os.ReadFile(reposFile)

	ready := filepath.Join(t.TempDir(), "ready")
	var out bytes.Buffer
	child := exec.Command(os.Args[0], "-test.run=^TestCommitCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), crashRootEnv+"="+root, crashReadyEnv+"="+ready)
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	defer func() {
		child.Process.Kill()
		<-exited
	}()
	deadline := time.After(60 * time.Second)
	for waiting := true; waiting; {
		select {
		case err := <-exited:
			exited <- err // for the deferred wait
			t.Fatalf("the commit ended before it was killed (%v):\n%s", err, out.Bytes())
		case <-deadline:
			t.Fatalf("the commit never reached half-way:\n%s", out.Bytes())
		case <-time.After(10 * time.Millisecond):
			_, err := os.Stat(ready)
			waiting = err != nil
		}
	}
	child.Process.Kill()
	exited <- <-exited

	if got := images(); !slices.Equal(got, imagesBefore) {
		t.Errorf("images after the crash: %v, before: %v", got, imagesBefore)
	}
	if repos, _ := os.ReadFile(reposFile); !bytes.Equal(repos, reposBefore) {
		t.Errorf("repositories.json changed:\n%s\nwas:\n%s", repos, reposBefore)
	}
	if tags, err := sb.Store.Tags(); err != nil || len(tags["crashed"]) != 0 {
		t.Errorf("tags after the crash: %v, %v", tags, err)
	}
	layers := func(tree []string) []string {
		return slices.DeleteFunc(slices.Clone(tree), func(p string) bool {
			return !strings.HasPrefix(p, "image/overlay2/layerdb/sha256/")
		})
	}
	if layersAfter, layersBefore := layers(storeTree(t, root)), layers(treeBefore); !slices.Equal(layersAfter, layersBefore) {
		t.Errorf("layer records after the crash: %v, before: %v", layersAfter, layersBefore)
	}

	problems, err := sb.Store.Check()
	if err != nil {
		t.Fatal(err)
	}
	var what []string
	for _, p := range problems {
		what = append(what, p.What)
	}
	// The layer is extracted in the tmp folder and moved into place once complete.
	if !slices.ContainsFunc(what, func(s string) bool {
		return strings.Contains(s, "unfinished write left "+filepath.Join(root, "tmp", "wip-layer-"))
	}) {
		t.Errorf("check did not find the half-written layer folder: %q", what)
	}
	t.Logf("check: %q", what)
	if _, err := sb.Store.Repair(); err != nil {
		t.Fatal(err)
	}
	if problems, err := sb.Store.Check(); err != nil || len(problems) != 0 {
		t.Errorf("after repair: %v, %v", problems, err)
	}
	if after := storeTree(t, root); !slices.Equal(after, treeBefore) {
		t.Errorf("store after repair differs from before the commit:\n%s\nbefore:\n%s", strings.Join(after, "\n"), strings.Join(treeBefore, "\n"))
	}
}

// TestCommitCrashChild is the commit TestCommitCrashLeavesNoHalfImage kills: it stalls
// for good once part of the layer is written, and says so with a file.
func TestCommitCrashChild(t *testing.T) {
	root := os.Getenv(crashRootEnv)
	if root == "" {
		t.Skip("run by TestCommitCrashLeavesNoHalfImage")
	}
	sb, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	layerWriteHook = func(w io.Writer) io.Writer {
		return &stallingWriter{w: w, after: 1 << 20, ready: os.Getenv(crashReadyEnv)}
	}
	_, err = sb.Commit("crash", CommitOptions{Ref: "crashed:1"})
	t.Fatalf("the commit ended (%v); it should have stalled", err)
}

// stallingWriter passes writes on until after bytes went through, then blocks.
type stallingWriter struct {
	w     io.Writer
	after int64
	n     int64
	ready string
}

func (s *stallingWriter) Write(p []byte) (int, error) {
	if s.n >= s.after {
		os.WriteFile(s.ready, nil, 0o644)
		time.Sleep(time.Hour) // a sleep, not select{}: the runtime would call that a deadlock
	}
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

// storeTree lists the image store's files under root (the data root's image, layer and
// temporary folders), relative and sorted.
func storeTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	for _, top := range []string{"image", "overlay2", "vfs", "tmp"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}
