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
// docker.io, a private daemon) and on dockling, as root and as an unprivileged user
// (with the one difference tierkit's rootless.go gives), from the same root
// filesystem, and compares what a learner sees. Every difference that survives
// tierkit's normalisation (IDs, times, sizes, generated names) fails the test, shown
// side by side; so does every failed check, next to what the other engine printed.
func TestAgainstDocker(t *testing.T) {
	tierkit.Require(t)
	tierkit.RequireRoot(t)
	tierkit.RequireUserNamespaces(t)
	rootfs := tierkit.Rootfs(t)
	docker := tierkit.Dockerd(t)
	dockling := tierkit.Dockling(t, nil)
	rootless := tierkit.Dockling(t, tierkit.Unprivileged)

	var all []string // every difference, for the summary at the end
	compare := func(t *testing.T, scenario func(*tierkit.Recorder), sides ...*side) {
		// Each engine in a subtest of its own: a fatal problem in one engine's run
		// stops that run only, and what it recorded so far is still compared.
		for _, s := range sides {
			t.Run(strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(s.e.Name), func(t *testing.T) {
				tierkit.Reset(t, s.e)
				s.rec = tierkit.NewRecorder(t, s.e)
				s.rec.Deferred = true // reported below, next to the other engine's output
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
		// Failed checks, each next to what another engine printed for the same
		// command: Docker's, or for a check that failed on Docker, dockling's.
		for i, s := range sides {
			if s.rec == nil {
				continue
			}
			other := sides[0]
			if i == 0 {
				other = sides[1]
			}
			var otherObs []tierkit.Obs
			if other.rec != nil {
				otherObs = other.rec.Obs
			}
			for _, f := range s.rec.Failures {
				msg := tierkit.FailureReport(s.e.Name, s.rec.Obs, f, other.e.Name, otherObs)
				t.Error(msg)
				all = append(all, fmt.Sprintf("[%s] check failed on %s: %s", t.Name(), s.e.Name, msg))
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
	sides := func() []*side { return []*side{{e: docker}, {e: dockling}, {e: rootless}} }

	// The import is compared, then every engine keeps its ubuntu for the rest.
	t.Run("import", func(t *testing.T) {
		compare(t, func(r *tierkit.Recorder) { tierkit.ImportUbuntu(r, rootfs) }, sides()...)
	})
	t.Run("images-vs-containers", func(t *testing.T) {
		compare(t, tierkit.ImagesVsContainers, sides()...)
	})
	t.Run("commit-quoting", func(t *testing.T) {
		compare(t, tierkit.CommitQuoting, sides()...)
	})
	t.Run("build", func(t *testing.T) {
		compare(t, tierkit.Build, sides()...)
	})
	t.Run("errors", func(t *testing.T) {
		compare(t, tierkit.Errors, sides()...)
	})
	t.Run("volumes", func(t *testing.T) {
		compare(t, tierkit.Volumes, sides()...)
	})
	// The unprivileged side types apt-get with tierkit.RootlessAptOption (rootless.go
	// says why); Normalise drops it, and everything apt-get printed is compared.
	t.Run("commit-lecture", func(t *testing.T) {
		compare(t, tierkit.CommitLecture, sides()...)
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
