package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
)

// learnerSandbox makes a sandbox with a built-in image, a container that changed a
// file, a committed image and a journal, and returns it with its bundle.
func learnerSandbox(t *testing.T) (*sandbox.Sandbox, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: container layers carry overlay whiteouts")
	}
	sb, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := sb.Create(sandbox.CreateOptions{Image: "busybox", Name: "marked", Cmd: []string{"sh"}})
	if err != nil {
		t.Fatal(err)
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// What the container's shell would have written.
	os.MkdirAll(filepath.Join(rw.Upper, "home/awesome"), 0o755)
	os.WriteFile(filepath.Join(rw.Upper, "home/awesome/container.txt"), []byte("only in this container\n"), 0o644)
	if _, err := sb.Commit("marked", sandbox.CommitOptions{Ref: "mine", Message: "mine"}); err != nil {
		t.Fatal(err)
	}
	for i, line := range []string{"docker run -it --name marked busybox sh", "docker commit marked mine"} {
		if err := journal.Append(sb.Dir(), journal.Entry{Line: line, ExitCode: i}); err != nil {
			t.Fatal(err)
		}
	}
	return sb, writeBundle(t, sb)
}

// writeBundle packs sb for the images-vs-containers lesson into a temporary file.
func writeBundle(t *testing.T, sb *sandbox.Sandbox) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Write(f, sb, Submission{Lesson: "images-vs-containers", Learner: "ada"}); err != nil {
		t.Fatal(err)
	}
	return out
}

func sourceFrom(sb *sandbox.Sandbox) LayerSource {
	return func(chain string) (string, bool) {
		l, err := sb.Store.Layer(chain)
		if err != nil {
			return "", false
		}
		return sb.Store.DiffDir(l.CacheID), true
	}
}

func TestBundleRoundTrip(t *testing.T) {
	_, path := learnerSandbox(t)
	// The built-in busybox is made from the host's files (the grader's differ), so
	// it travels in the bundle: extracting needs no layers from the grader.
	dest := t.TempDir()
	h, err := Extract(path, dest, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h.Lesson != "images-vs-containers" || len(h.External) != 0 || len(h.Missing) != 0 {
		t.Fatalf("header %+v", h)
	}
	got, err := sandbox.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := got.ContainerFS("marked")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "home/awesome/container.txt"); err != nil || string(b) != "only in this container\n" {
		t.Fatalf("container file after round trip: %q %v", b, err)
	}
	if _, err := fs.Stat(fsys, "bin/sh"); err != nil {
		t.Fatalf("base image files missing after round trip: %v", err)
	}
	img, err := got.Image("mine")
	if err != nil {
		t.Fatal(err)
	}
	ifs, _ := got.ImageFS(img.ID)
	if _, err := fs.Stat(ifs, "home/awesome/container.txt"); err != nil {
		t.Fatalf("committed layer missing: %v", err)
	}
	entries, err := journal.Read(dest)
	if err != nil || len(entries) != 2 {
		t.Fatalf("journal after round trip: %d entries, %v", len(entries), err)
	}
}

// rewrite copies a bundle, letting edit change (or drop, by returning nil) entries.
func rewrite(t *testing.T, path string, edit func(name string, data []byte) []byte) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, _ := gzip.NewReader(f)
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		data, _ := io.ReadAll(tr)
		data = edit(h.Name, data)
		if data == nil {
			continue
		}
		h.Size = int64(len(data))
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	out := filepath.Join(t.TempDir(), "tampered.tar.gz")
	os.WriteFile(out, buf.Bytes(), 0o644)
	return out
}

func TestTamperingIsDetected(t *testing.T) {
	sb, path := learnerSandbox(t)
	cases := map[string]func(name string, data []byte) []byte{
		"edit a journal line": func(name string, data []byte) []byte {
			if strings.HasSuffix(name, journal.FileName) {
				return bytes.Replace(data, []byte("exit_code\":1"), []byte("exit_code\":0"), 1)
			}
			return data
		},
		"delete a file": func(name string, data []byte) []byte {
			if strings.HasSuffix(name, "config.v2.json") {
				return nil
			}
			return data
		},
		"change a config": func(name string, data []byte) []byte {
			if strings.HasSuffix(name, "hostconfig.json") {
				return bytes.Replace(data, []byte("host"), []byte("none"), 1)
			}
			return data
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			bad := rewrite(t, path, edit)
			_, err := Extract(bad, t.TempDir(), sourceFrom(sb), Options{})
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("tampering not reported: %v", err)
			}
		})
	}
}

func TestNotABundle(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.tar.gz")
	os.WriteFile(junk, []byte("hello"), 0o644)
	if _, err := Extract(junk, t.TempDir(), nil, Options{}); !errors.Is(err, ErrNotBundle) {
		t.Fatalf("junk: %v", err)
	}
	// A truncated real bundle.
	if os.Geteuid() == 0 {
		_, path := learnerSandbox(t)
		b, _ := os.ReadFile(path)
		cut := filepath.Join(dir, "cut.tar.gz")
		os.WriteFile(cut, b[:len(b)/2], 0o644)
		if _, err := Extract(cut, t.TempDir(), nil, Options{}); !errors.Is(err, ErrNotBundle) {
			t.Fatalf("truncated: %v", err)
		}
	}
}
