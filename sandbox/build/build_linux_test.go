package build

import (
	"archive/tar"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockling/dockling/sandbox"
	"golang.org/x/sys/unix"
)

// files writes name -> content below dir ("name/" makes a folder, "name@target" a link).
func files(t *testing.T, dir string, m map[string]string) {
	t.Helper()
	for name, content := range m {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(content, "@"):
			err = os.Symlink(content[1:], p)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// buildIn builds the Dockerfile text in a context made of m, in a fresh sandbox.
func buildIn(t *testing.T, dockerfile string, m map[string]string) (*sandbox.Sandbox, string, error) {
	t.Helper()
	sb, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.TempDir()
	m["Dockerfile"] = dockerfile
	files(t, ctx, m)
	id, err := Build(sb, Options{ContextDir: ctx})
	return sb, id, err
}

func readImageFile(t *testing.T, sb *sandbox.Sandbox, id, name string) (string, error) {
	t.Helper()
	fsys, err := sb.ImageFS(id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, name)
	return string(b), err
}

// A source leaving the context, by ".." or by a link (absolute or relative, to a
// file or a folder), is refused; a link that stays inside is followed.
func TestCopyRefusesWhatLeavesTheContext(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := map[string]string{
		"in.txt": "in", "abs": "@" + outside, "rel": "@../../../../../../" + outside, "root": "@/",
		"up": "@..", "sub/back": "@../in.txt", "sub/deep": "@../../x",
	}
	for _, src := range []string{"../x", "../../etc/passwd", "abs", "rel", "root/etc/passwd", "up/x", "sub/deep", "sub/../../x"} {
		t.Run(src, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range ctx {
				m[k] = v
			}
			_, _, err := buildIn(t, "FROM scratch\nCOPY "+src+" /got\n", m)
			if !errors.Is(err, ErrOutsideContext) {
				t.Fatalf("COPY %s: err %v, want ErrOutsideContext", src, err)
			}
		})
	}
	sb, id, err := buildIn(t, "FROM scratch\nCOPY sub/back /got\n", map[string]string{"in.txt": "in", "sub/back": "@../in.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readImageFile(t, sb, id, "got"); got != "in" {
		t.Fatalf("a link inside the context: got %q (%v), want its target's content", got, err)
	}
}

// A destination that is a link in the image to /etc is followed inside the
// image: the files land in the image's /etc (its layer), never the host's.
func TestDestinationLinksStayInTheImage(t *testing.T) {
	probe := "dockling-build-probe-" + filepath.Base(t.TempDir())
	linkTar := filepath.Join(t.TempDir(), "links.tar")
	writeTar(t, linkTar, []*tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "app", Typeflag: tar.TypeSymlink, Linkname: "/etc"},
		{Name: "deep", Typeflag: tar.TypeSymlink, Linkname: "../../../../../etc"},
	})
	b, _ := os.ReadFile(linkTar)
	df := "FROM scratch\nADD links.tar /\nWORKDIR /app\nCOPY " + probe + " .\nCOPY " + probe + " /deep/again\n"
	sb, id, err := buildIn(t, df, map[string]string{"links.tar": string(b), probe: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join("/etc", probe)); err == nil {
		os.Remove(filepath.Join("/etc", probe))
		t.Fatal("COPY wrote to the host's /etc")
	}
	for _, name := range []string{"etc/" + probe, "etc/again"} {
		if got, err := readImageFile(t, sb, id, name); got != "probe" {
			t.Errorf("%s in the image: %q (%v)", name, got, err)
		}
	}
}

// ADD refuses an archive entry climbing out of the destination, and one that
// would be a whiteout; an entry through a link the archive made never reaches the
// host either.
func TestAddRefusesHostileArchives(t *testing.T) {
	probe := "dockling-add-probe-" + filepath.Base(t.TempDir())
	cases := map[string][]*tar.Header{
		"climbs":       {{Name: "../../" + probe, Typeflag: tar.TypeReg, Mode: 0o644}},
		"hard link up": {{Name: "l", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}},
		"whiteout":     {{Name: ".wh.bin", Typeflag: tar.TypeReg, Mode: 0o644}},
	}
	for name, hdrs := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "a.tar")
			writeTar(t, p, hdrs)
			b, _ := os.ReadFile(p)
			if _, _, err := buildIn(t, "FROM scratch\nADD a.tar /x/\n", map[string]string{"a.tar": string(b)}); err == nil {
				t.Fatal("built")
			}
		})
	}
	p := filepath.Join(t.TempDir(), "through.tar")
	writeTar(t, p, []*tar.Header{
		{Name: "lnk", Typeflag: tar.TypeSymlink, Linkname: "/etc"},
		{Name: "lnk/" + probe, Typeflag: tar.TypeReg, Mode: 0o644},
	})
	b, _ := os.ReadFile(p)
	_, _, _ = buildIn(t, "FROM scratch\nADD through.tar /\n", map[string]string{"through.tar": string(b)})
	if _, err := os.Lstat(filepath.Join("/etc", probe)); err == nil {
		os.Remove(filepath.Join("/etc", probe))
		t.Fatal("ADD wrote through a link to the host's /etc")
	}
}

func writeTar(t *testing.T, p string, hdrs []*tar.Header) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// A deep and wide context is copied with a bounded number of open files, and a
// path too long for the kernel is a clear error, not a crash.
func TestDeepContext(t *testing.T) {
	ctx := t.TempDir()
	deep := ctx
	for i := 0; i < 200; i++ {
		deep = filepath.Join(deep, "d")
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if err := os.WriteFile(filepath.Join(ctx, "f"+strings.Repeat("x", i%50)+string(rune('a'+i%26))+".txt"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(deep, "bottom"), []byte("b"), 0o644)
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM scratch\nCOPY . /c/\n"), 0o644)
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	low := syscall.Rlimit{Cur: 64, Max: lim.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	sb, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, err := Build(sb, Options{ContextDir: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readImageFile(t, sb, id, "c/"+strings.Repeat("d/", 200)+"bottom"); got != "b" {
		t.Fatalf("the deepest file: %q (%v)", got, err)
	}
	// Deeper than PATH_MAX: made one folder at a time, relative to the last.
	fd, err := unix.Open(deep, unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2100; i++ {
		if err := unix.Mkdirat(fd, "d", 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, "d", unix.O_DIRECTORY|unix.O_RDONLY, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	unix.Close(fd)
	if _, err := Build(sb, Options{ContextDir: ctx}); err == nil || !strings.Contains(err.Error(), "file name too long") {
		t.Fatalf("a path past PATH_MAX: err %v", err)
	}
}

// A FIFO in the context, named by COPY or inside a copied folder, neither hangs
// the build nor is read: it is left out, as sockets and devices are.
func TestFifoInContextDoesNotHang(t *testing.T) {
	ctx := t.TempDir()
	files(t, ctx, map[string]string{"Dockerfile": "FROM scratch\nCOPY fifo /top\nCOPY . /all/\n", "a": "a"})
	if err := unix.Mkfifo(filepath.Join(ctx, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var id string
	go func() {
		var err error
		id, err = Build(sb, Options{ContextDir: ctx})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the build hangs on a FIFO")
	}
	if got, err := readImageFile(t, sb, id, "all/a"); got != "a" {
		t.Fatalf("all/a: %q (%v)", got, err)
	}
	if _, err := readImageFile(t, sb, id, "top"); err == nil {
		t.Fatal("the FIFO was copied as a file")
	}
}
