package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// epoch is the fixed mtime of generated entries, so generated tars are byte-stable.
var epoch = time.Unix(1700000000, 0)

type tarEntry struct {
	hdr  tar.Header
	body string
}

func hdrOf(typ byte, name string, mode int64) tar.Header {
	return tar.Header{Typeflag: typ, Name: name, Mode: mode, ModTime: epoch, Format: tar.FormatPAX}
}

func reg(name, body string) tarEntry {
	h := hdrOf(tar.TypeReg, name, 0o644)
	h.Size = int64(len(body))
	return tarEntry{hdr: h, body: body}
}

func dirEntry(name string) tarEntry { return tarEntry{hdr: hdrOf(tar.TypeDir, name, 0o755)} }

func symlinkEntry(name, target string) tarEntry {
	h := hdrOf(tar.TypeSymlink, name, 0o777)
	h.Linkname = target
	return tarEntry{hdr: h}
}

func hardlinkEntry(name, target string) tarEntry {
	h := hdrOf(tar.TypeLink, name, 0o644)
	h.Linkname = target
	return tarEntry{hdr: h}
}

func deviceEntry(typ byte, name string, major, minor int64) tarEntry {
	h := hdrOf(typ, name, 0o666)
	h.Devmajor, h.Devminor = major, minor
	return tarEntry{hdr: h}
}

// with returns e after letting f adjust its header.
func (e tarEntry) with(f func(h *tar.Header)) tarEntry {
	f(&e.hdr)
	return e
}

func buildTar(entries ...tarEntry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mustTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	b, err := buildTar(entries...)
	if err != nil {
		t.Fatalf("building tar: %v", err)
	}
	return b
}

// tempDir is t.TempDir that a non-root run can still clean up after extracting
// read-only directories into it.
func tempDir(t testing.TB) string {
	dir := t.TempDir()
	if !isRoot() {
		// Registered after TempDir's own cleanup, so it runs before it.
		t.Cleanup(func() {
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					os.Chmod(p, 0o700)
				}
				return nil
			})
		})
	}
	return dir
}

// sandbox is the layout every hostile test uses: parent/layer is the extraction target,
// parent/outside a sibling holding one canary that must survive untouched.
type sandbox struct {
	parent, layer, outside string
}

const canary = "canary"

func newSandbox(t testing.TB, targets ...string) sandbox {
	t.Helper()
	parent := tempDir(t)
	s := sandbox{parent: parent, layer: filepath.Join(parent, "layer"), outside: filepath.Join(parent, "outside")}
	for _, d := range append([]string{"layer", "outside"}, targets...) {
		if err := os.Mkdir(filepath.Join(parent, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.outside, canary), []byte(canary), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// checkConfined fails unless parent holds only the expected directories and the
// outside directory still holds exactly its canary.
func (s sandbox) checkConfined(t testing.TB, targets ...string) {
	t.Helper()
	want := append([]string{"layer", "outside"}, targets...)
	sort.Strings(want)
	if got := dirNames(t, s.parent); !equalStrings(got, want) {
		t.Errorf("parent dir holds %q, want %q", got, want)
	}
	if got := dirNames(t, s.outside); !equalStrings(got, []string{canary}) {
		t.Errorf("outside dir holds %q, want only the canary", got)
	}
	if b, err := os.ReadFile(filepath.Join(s.outside, canary)); err != nil || string(b) != canary {
		t.Errorf("canary changed: %q, %v", b, err)
	}
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func lstat(t testing.TB, p string) (unix.Stat_t, bool) {
	t.Helper()
	var st unix.Stat_t
	err := unix.Lstat(p, &st)
	if errors.Is(err, unix.ENOENT) {
		return st, false
	}
	if err != nil {
		t.Fatalf("lstat %s: %v", p, err)
	}
	return st, true
}

func getxattr(p, name string) (string, error) {
	v, err := lgetxattr(p, name)
	return string(v), err
}

func isRoot() bool { return os.Geteuid() == 0 }

// callerOpts: the mode a test running as the current user can extract in.
func callerOpts() ApplyOptions { return ApplyOptions{Rootless: !isRoot()} }

// readEntries parses a tar into headers and bodies.
func readEntries(t testing.TB, b []byte) []tarEntry {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s: %v", h.Name, err)
		}
		out = append(out, tarEntry{hdr: *h, body: string(body)})
	}
}
