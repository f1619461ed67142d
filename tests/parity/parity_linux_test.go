package parity_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/tests/internal/tierkit"
)

func TestMain(m *testing.M) { tierkit.Main(m) }

// side is one engine and what it recorded of the scenario being compared.
type side struct {
	e   *tierkit.Engine
	rec *tierkit.Recorder
}

// TestAgainstDocker runs the lectures' command sequences on Docker (Debian's
// docker.io, a private daemon) and on dockling (as root, and as an unprivileged user
// where the sequence needs no apt-get), from the same root filesystem, and compares
// what a learner sees. Every difference that survives tierkit's normalisation (IDs,
// times, sizes, generated names) fails the test, shown side by side.
func TestAgainstDocker(t *testing.T) {
	tierkit.Require(t)
	tierkit.RequireRoot(t)
	rootfs := tierkit.Rootfs(t)
	docker := tierkit.Dockerd(t)
	dockling := tierkit.Dockling(t, nil)
	var rootless *tierkit.Engine
	if reason := tierkit.UserNamespacesOff(); reason == "" {
		rootless = tierkit.Dockling(t, tierkit.Unprivileged)
	} else {
		t.Logf("the unprivileged side is left out: %s", reason)
	}

	var all []string // every difference, for the summary at the end
	compare := func(t *testing.T, scenario func(*tierkit.Recorder), sides ...*side) {
		// Each engine in a subtest of its own: a fatal problem in one engine's run
		// stops that run only, and what it recorded so far is still compared.
		for _, s := range sides {
			t.Run(strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(s.e.Name), func(t *testing.T) {
				tierkit.Reset(t, s.e)
				s.rec = tierkit.NewRecorder(t, s.e)
				scenario(s.rec)
			})
		}
		if dir := os.Getenv("DOCKLING_PARITY_DUMP"); dir != "" {
			for _, s := range sides {
				if s.rec == nil {
					continue
				}
				name := strings.NewReplacer("/", "-", " ", "-", "(", "", ")", "").Replace(t.Name() + "-" + s.e.Name)
				if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(tierkit.Dump(s.rec.Obs, s.rec.Names)), 0o644); err != nil {
					t.Errorf("dumping: %v", err)
				}
			}
		}
		ref := sides[0]
		for _, s := range sides[1:] {
			if ref.rec == nil || s.rec == nil {
				continue
			}
			diffs := tierkit.Compare(ref.e.Name, ref.rec.Obs, ref.rec.Names, s.e.Name, s.rec.Obs, s.rec.Names)
			for _, d := range diffs {
				t.Errorf("%s differs from %s: %s", s.e.Name, ref.e.Name, d)
				all = append(all, fmt.Sprintf("[%s] %s vs %s: %s", t.Name(), ref.e.Name, s.e.Name, d))
			}
		}
	}
	sides := func(withRootless bool) []*side {
		out := []*side{{e: docker}, {e: dockling}}
		if withRootless && rootless != nil {
			out = append(out, &side{e: rootless})
		}
		return out
	}

	// The import is compared, then every engine keeps its ubuntu for the rest.
	t.Run("import", func(t *testing.T) {
		compare(t, func(r *tierkit.Recorder) { tierkit.ImportUbuntu(r, rootfs) }, sides(true)...)
	})
	t.Run("images-vs-containers", func(t *testing.T) {
		compare(t, tierkit.ImagesVsContainers, sides(true)...)
	})
	t.Run("commit-quoting", func(t *testing.T) {
		compare(t, tierkit.CommitQuoting, sides(true)...)
	})
	t.Run("errors", func(t *testing.T) {
		compare(t, tierkit.Errors, sides(true)...)
	})
	// apt-get as typed needs more than one uid in the user namespace (it drops to
	// _apt), so the commit lecture is compared as root only; tests/distro runs it
	// rootless with apt told to stay root.
	t.Run("commit-lecture", func(t *testing.T) {
		compare(t, func(r *tierkit.Recorder) { tierkit.CommitLecture(r, tierkit.LectureInstall) }, sides(false)...)
	})

	if len(all) > 0 {
		t.Logf("%d differences between dockling and Docker in all:\n\n%s", len(all), strings.Join(all, "\n\n"))
		if p := os.Getenv("DOCKLING_PARITY_REPORT"); p != "" {
			if err := os.WriteFile(p, []byte(strings.Join(all, "\n\n")+"\n"), 0o644); err != nil {
				t.Errorf("writing %s: %v", p, err)
			}
		}
	}
}
