package cmd_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// A load, import or pull killed with SIGKILL half-way leaves its work in progress in
// the sandbox: load its copy of the archive, import and pull the files they extracted
// so far (pull from a registry that stalls half-way through a layer). The
// next command that opens the store removes it (in the background, as it may be
// gigabytes), without `system check`. As root and as an unprivileged user.
func TestKilledCommandLeavesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		feed func(w io.Writer) error // the first part of stdin; the rest never comes
		// ready finds the sign that the command is half-way, anywhere in its sandbox.
		ready func(path string, fi fs.FileInfo) bool
	}{
		{"load", []string{"load"}, writeRandom,
			func(p string, fi fs.FileInfo) bool { return fi.Mode().IsRegular() && fi.Size() >= 1<<20 }},
		{"import", []string{"import", "-", "half:v1"}, writeHalfTar,
			func(p string, fi fs.FileInfo) bool { return filepath.Base(p) == "big" && fi.Size() >= 512<<10 }},
		{"pull", []string{"pull", stallingRegistry(t) + "/test/big:v1"}, func(io.Writer) error { return nil },
			func(p string, fi fs.FileInfo) bool { return fi.Mode().IsRegular() && fi.Size() >= 512<<10 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dataRoot, command := docklingAsSelf(t)
			// While the command lives, what it has made is not a leftover.
			stillThere := func() {
				if out, err := command("images").CombinedOutput(); err != nil {
					t.Fatalf("images beside a live %s: %v\n%s", tc.name, err, out)
				}
				tmp := entries(t, filepath.Join(dataRoot, "sandboxes", "default", "tmp"))
				if len(tmp) == 0 || strings.HasPrefix(tmp[0], "trash-") {
					t.Fatalf("images beside a live %s removed its work: tmp holds %v", tc.name, tmp)
				}
			}
			killHalfway(t, dataRoot, command(tc.args...), tc.feed, tc.ready, stillThere)
			if out, err := command("images").CombinedOutput(); err != nil {
				t.Fatalf("images after the kill: %v\n%s", err, out)
			}
			assertNoLeftovers(t, dataRoot)
		})
		t.Run(tc.name+"_rootless", func(t *testing.T) {
			dataRoot, command := docklingAsUser(t)
			killHalfway(t, dataRoot, command(tc.args...), tc.feed, tc.ready, func() {})
			if out, err := command("images").CombinedOutput(); err != nil {
				t.Fatalf("images after the kill: %v\n%s", err, out)
			}
			assertNoLeftovers(t, dataRoot)
		})
	}
}

// stallingRegistry serves, on loopback, an image with one 4 MiB layer of random bytes,
// whose blob stops half-way and never ends (until the test does).
func stallingRegistry(t *testing.T) string {
	img, err := random.Image(4<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	digest, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+digest.String()) {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		body := rec.Body.Bytes()
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stall) }) // before Close, which waits for the handler
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host + "/test/big:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return host
}

// docklingAsSelf runs this test binary as dockling with a data root of its own.
func docklingAsSelf(t *testing.T) (string, func(...string) *exec.Cmd) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dk := filepath.Join(dir, "dockling")
	if err := os.Symlink(self, dk); err != nil {
		t.Fatal(err)
	}
	dataRoot := filepath.Join(dir, "root")
	return dataRoot, func(args ...string) *exec.Cmd {
		cmd := exec.Command(dk, args...)
		cmd.Env = append(os.Environ(), "DOCKLING_ROOT="+dataRoot, "DOCKLING_JOURNAL=")
		return cmd
	}
}

// docklingAsUser runs dockling as the unprivileged test user (see userSetup).
func docklingAsUser(t *testing.T) (string, func(...string) *exec.Cmd) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user")
	}
	userSetup(t)
	home, err := newUserHome()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	return filepath.Join(home, "root"), func(args ...string) *exec.Cmd {
		return userCmd(home, "dockling", args, nil, nil)
	}
}

// killHalfway starts cmd, feeds it the first part of its input, waits until ready
// finds a file of the sandbox showing the command is half-way, calls alive, and kills it.
func killHalfway(t *testing.T, dataRoot string, cmd *exec.Cmd, feed func(io.Writer) error, ready func(string, fs.FileInfo) bool, alive func()) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		stdin.Close()
	}()
	if err := feed(stdin); err != nil {
		t.Fatalf("feeding %s: %v\n%s", cmd.Args[1], err, out.Bytes())
	}
	sandboxDir := filepath.Join(dataRoot, "sandboxes", "default")
	deadline := time.After(60 * time.Second)
	for found := false; !found; {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s ended before it was killed (%v):\n%s", cmd.Args[1], err, out.Bytes())
		case <-deadline:
			t.Fatalf("%s never got half-way:\n%s", cmd.Args[1], out.Bytes())
		case <-time.After(10 * time.Millisecond):
			filepath.Walk(sandboxDir, func(p string, fi fs.FileInfo, err error) error {
				if err == nil && ready(p, fi) {
					found = true
					return filepath.SkipAll
				}
				return nil
			})
		}
	}
	alive()
	cmd.Process.Signal(syscall.SIGKILL)
	exited <- <-exited
	if names := entries(t, filepath.Join(sandboxDir, "tmp")); len(names) == 0 {
		t.Fatalf("the killed %s left nothing in tmp: the test proves nothing", cmd.Args[1])
	}
}

// assertNoLeftovers checks that the command after the kill moved every leftover to
// the trash at once, that the trash empties, and that no layer folder is left.
func assertNoLeftovers(t *testing.T, dataRoot string) {
	t.Helper()
	sandboxDir := filepath.Join(dataRoot, "sandboxes", "default")
	tmp := filepath.Join(sandboxDir, "tmp")
	for _, n := range entries(t, tmp) {
		if !strings.HasPrefix(n, "trash-") {
			t.Errorf("after the next command, tmp still has %s", n)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(entries(t, tmp)) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the trash is emptied in the background
	}
	if left := entries(t, tmp); len(left) > 0 {
		t.Errorf("the trash was never emptied: %v", left)
	}
	if layers := entries(t, filepath.Join(sandboxDir, "overlay2")); len(layers) != 1 || layers[0] != "l" {
		t.Errorf("overlay2 holds %v, want only l: a half-extracted layer was left", layers)
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

// writeRandom writes 2 MiB that load copies before it reads them.
func writeRandom(w io.Writer) error {
	_, err := io.CopyN(w, rand.Reader, 2<<20)
	return err
}

// writeHalfTar writes a tar header for an 8 MiB file and its first MiB.
func writeHalfTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: 8 << 20, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	// tar.Writer passes header and content straight through: no Flush, which
	// would refuse the half entry.
	_, err := io.CopyN(tw, rand.Reader, 1<<20)
	return err
}
