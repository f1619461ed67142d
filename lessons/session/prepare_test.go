package session

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
)

// rootfsTar is a tiny root file system: one file.
func rootfsTar(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	body := []byte("tiny\n")
	if err := tw.WriteHeader(&tar.Header{Name: "etc/os-release", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// openIn opens sandbox name under root.
func openIn(t *testing.T, root, name string) *sandbox.Sandbox {
	t.Helper()
	dir, err := sandbox.Dir(root, name)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// importAs imports the tiny root file system as ref into sandbox name.
func importAs(t *testing.T, root, name, ref string) string {
	t.Helper()
	id, err := openIn(t, root, name).Import(bytes.NewReader(rootfsTar(t)), ImportOptions{Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// ImportOptions is sandbox's, named here for brevity.
type ImportOptions = sandbox.ImportOptions

var errOffline = errors.New("dial tcp: lookup registry-1.docker.io: no such host")

// offline are options whose pull and probe fail as they do without a network.
func offline(pulls *[]string) PrepareOptions {
	return PrepareOptions{
		Pull: func(_ context.Context, _ *sandbox.Sandbox, ref string) error {
			if pulls != nil {
				*pulls = append(*pulls, ref)
			}
			return errOffline
		},
		Probe: func(context.Context) error { return errOffline },
	}
}

func prepare(t *testing.T, root, name string, opts PrepareOptions, images ...Image) (string, error) {
	t.Helper()
	sb, err := OpenLessonSandbox(root, name, opts)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	err = sb.Prepare(context.Background(), images, &log)
	return log.String(), err
}

func hasTag(t *testing.T, root, name, ref string) *store.Image {
	t.Helper()
	img, err := openIn(t, root, name).Store.Lookup(ref)
	if err != nil {
		return nil
	}
	return img
}

// TestPrepareRejectsStandin: a stand-in tagged ubuntu in the sandbox does not pass
// for the real image a lesson requires; the learner is told how to get it at the
// lesson's prompt.
func TestPrepareRejectsStandin(t *testing.T) {
	root := t.TempDir()
	sb := openIn(t, root, "commit")
	ref, _ := store.ParseRef("ubuntu")
	if _, err := sb.AddStandin(ref, "ubuntu-standin"); err != nil {
		t.Skipf("no stand-in on this host: %v", err)
	}
	var pulls []string
	log, err := prepare(t, root, "commit", offline(&pulls), Image{Ref: "ubuntu", Missing: "This lesson installs Python with apt-get."})
	var missing *MissingImageError
	if !errors.As(err, &missing) || !missing.Standin || !errors.Is(err, errOffline) {
		t.Fatalf("want a MissingImageError about the stand-in, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"ubuntu:latest in this lesson's sandbox is dockling's stand-in",
		"this lesson needs the real one",
		"at this lesson's prompt (there docker is dockling",
		"docker pull ubuntu ",
		"docker load -i FILE",
		"docker import ROOTFS.tar ubuntu",
		"then carry on with the lesson",
		"This lesson installs Python with apt-get.",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "start the lesson again") || strings.Contains(msg, "another terminal") && !strings.Contains(msg, "another terminal would not do") {
		t.Errorf("wrong advice:\n%s", msg)
	}
	if len(pulls) != 1 || !strings.Contains(log, "stand-in, and this lesson needs the real image") {
		t.Errorf("pulls %v, log:\n%s", pulls, log)
	}
}

// TestPrepareMissingImage: nothing anywhere, offline: the error says what to type.
func TestPrepareMissingImage(t *testing.T) {
	root := t.TempDir()
	_, err := prepare(t, root, "commit", offline(nil), Image{Ref: "ubuntu"})
	var missing *MissingImageError
	if !errors.As(err, &missing) || missing.Standin {
		t.Fatalf("%v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "ubuntu:latest is not in this lesson's sandbox") || !strings.Contains(msg, "docker pull ubuntu ") {
		t.Errorf("%s", msg)
	}
	// An optional image is only mentioned.
	log, err := prepare(t, root, "commit", offline(nil), Image{Ref: "ubuntu", Optional: true})
	if err != nil || !strings.Contains(log, "docker pull ubuntu") {
		t.Errorf("%v\n%s", err, log)
	}
}

// TestPrepareAnnouncesStandin: where the lesson allows a stand-in and the pull
// fails, the stand-in is built and announced as one.
func TestPrepareAnnouncesStandin(t *testing.T) {
	root := t.TempDir()
	log, err := prepare(t, root, "ivc", offline(nil), Image{Ref: "ubuntu", Standin: "ubuntu-standin", Optional: true})
	if err != nil {
		t.Skipf("no stand-in on this host: %v", err)
	}
	if !strings.Contains(log, "Could not pull ubuntu:latest, so ubuntu:latest is a stand-in built from this host (ubuntu-standin), not the real image.") {
		t.Errorf("log:\n%s", log)
	}
	img := hasTag(t, root, "ivc", "ubuntu")
	ref, _ := store.ParseRef("ubuntu")
	if img == nil || !isStandin(img, ref) {
		t.Fatal("no stand-in tagged ubuntu")
	}
	// Prepared again, the stand-in is accepted silently.
	if log, err := prepare(t, root, "ivc", offline(nil), Image{Ref: "ubuntu", Standin: "ubuntu-standin", Optional: true}); err != nil || log != "" {
		t.Errorf("%v %q", err, log)
	}
}

// TestPrepareCopiesFromOtherSandbox: an image the learner imported in the default
// sandbox serves a lesson's sandbox, offline; a stand-in there does not.
func TestPrepareCopiesFromOtherSandbox(t *testing.T) {
	root := t.TempDir()
	// A stand-in in a sandbox named before "default" is skipped; the real one in
	// "default" is taken.
	ref, _ := store.ParseRef("ubuntu")
	if _, err := openIn(t, root, "aaa").AddStandin(ref, "hello-world"); err != nil {
		t.Fatal(err)
	}
	id := importAs(t, root, sandbox.DefaultSandbox, "ubuntu")
	var pulls []string
	log, err := prepare(t, root, "commit", offline(&pulls), Image{Ref: "ubuntu"})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if !strings.Contains(log, `Copying ubuntu:latest from your sandbox "default"…`) || len(pulls) != 0 {
		t.Errorf("pulls %v, log:\n%s", pulls, log)
	}
	if img := hasTag(t, root, "commit", "ubuntu"); img == nil || img.ID != id {
		t.Errorf("ubuntu in the lesson sandbox: %+v, want %s", img, id)
	}
	if FindImage(root, nil, "ubuntu") == "" || FindImage(root, nil, "debian") != "" {
		t.Error("FindImage")
	}
}

// TestPrepareLoadsFromArchiveFolder: a docker save archive in --images or
// $DOCKLING_IMAGES serves when no sandbox has the image.
func TestPrepareLoadsFromArchiveFolder(t *testing.T) {
	root := t.TempDir()
	id := importAs(t, root, "maker", "ubuntu")
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "ubuntu.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if err := openIn(t, root, "maker").Save(f, []string{"ubuntu"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.RemoveAll(filepath.Join(root, "sandboxes", "maker")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.tar"), []byte("not a tar"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, viaEnv := range []bool{false, true} {
		opts := offline(nil)
		name := "by-flag"
		if viaEnv {
			t.Setenv(ImagesEnv, "/nonexistent"+string(os.PathListSeparator)+dir)
			name = "by-env"
		} else {
			opts.ImageDirs = []string{dir}
		}
		log, err := prepare(t, root, name, opts, Image{Ref: "ubuntu"})
		if err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
		if !strings.Contains(log, "Loaded ubuntu:latest from "+filepath.Join(dir, "ubuntu.tar")) {
			t.Errorf("log:\n%s", log)
		}
		if img := hasTag(t, root, name, "ubuntu"); img == nil || img.ID != id {
			t.Errorf("%s: %+v", name, img)
		}
		// Not from this sandbox the next time round.
		if err := os.RemoveAll(filepath.Join(root, "sandboxes", name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPrepareNeedsNetwork: a lesson that needs the network says so when the
// registry cannot be reached.
func TestPrepareNeedsNetwork(t *testing.T) {
	root := t.TempDir()
	opts := offline(nil)
	opts.Network = true
	_, err := prepare(t, root, "net", opts)
	if !errors.Is(err, ErrNetwork) || !strings.Contains(err.Error(), "this lesson needs the network") {
		t.Errorf("%v", err)
	}
	opts.Probe = func(context.Context) error { return nil }
	if _, err := prepare(t, root, "net", opts); err != nil {
		t.Errorf("online: %v", err)
	}
}

// TestAuthorRunnerResetsOffline: the author test resets its sandbox for every
// wrong answer; offline the pull is tried once, not at every reset (each try may
// take seconds to fail), and what preparing said is said once.
func TestAuthorRunnerResetsOffline(t *testing.T) {
	root := t.TempDir()
	l, problems := lessons.Parse("l.yaml", []byte("id: l\ntitle: T\nimages:\n  - ref: ubuntu\n    standin: ubuntu-standin\n    require: false\nsteps:\n  - id: s\n    title: T\n    text: x\n    solution: docker images\n    checks:\n      - ran: {command: '^docker images'}\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var pulls []string
	var log bytes.Buffer
	r, err := NewAuthorRunner(context.Background(), l, root, "author-test-l", &log, offline(&pulls))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(false)
	for range 3 {
		if err := r.Reset(); err != nil {
			t.Skipf("no stand-in on this host: %v", err)
		}
	}
	if len(pulls) != 1 {
		t.Errorf("pulled %d times over 3 resets: %v", len(pulls), pulls)
	}
	if n := strings.Count(log.String(), "Could not pull ubuntu:latest"); n != 1 {
		t.Errorf("the stand-in announced %d times:\n%s", n, log.String())
	}
	if img := hasTag(t, root, "author-test-l", "ubuntu"); img == nil {
		t.Error("no ubuntu after the last reset")
	}
}

// TestProbeNetworkAnyAnswers: the package archives answering is network enough for
// apt-get, though Docker Hub's registry does not; none answering is an error.
func TestProbeNetworkAnyAnswers(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	down.Close()
	saved := networkURLs
	defer func() { networkURLs = saved }()
	networkURLs = []string{down.URL, up.URL}
	if err := probeNetwork(context.Background()); err != nil {
		t.Errorf("one answers: %v", err)
	}
	networkURLs = []string{down.URL, down.URL + "/debian/"}
	if err := probeNetwork(context.Background()); err == nil || !strings.Contains(err.Error(), "package archives") {
		t.Errorf("none answers: %v", err)
	}
}
