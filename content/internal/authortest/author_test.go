package authortest

import (
	"os"
	"testing"

	"github.com/dockling/dockling/content"
	"github.com/dockling/dockling/lessons"
)

// tiersOn is tests/internal/tierkit's gate (DOCKLING_TIERS=1, set by .ci/tiers.sh),
// which this package cannot import: with it on, what would skip a test here (not
// root, no archive of a real image) fails it instead.
func tiersOn() bool { return os.Getenv("DOCKLING_TIERS") == "1" }

// skipUnlessTiers skips t with the reason, or fails it when the tiers are on.
func skipUnlessTiers(t testing.TB, format string, args ...any) {
	t.Helper()
	if tiersOn() {
		t.Fatalf("the tiers are on (DOCKLING_TIERS=1) but: "+format, args...)
	}
	t.Skipf(format, args...)
}

func lessonByID(t testing.TB, id string) *lessons.Lesson {
	t.Helper()
	ls, err := lessons.LoadAll(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ls {
		if x.ID == id {
			return x
		}
	}
	t.Fatalf("no lesson %s", id)
	return nil
}

func authorTest(t *testing.T, id string) {
	if os.Geteuid() != 0 {
		skipUnlessTiers(t, "needs root: the author test runs real containers")
	}
	if testing.Short() {
		t.Skip("the author test runs every solution and wrong answer: skipped with -short")
	}
	l := lessonByID(t, id)
	r := newShellRunner(t, l, prepareImages(l))
	phases, err := lessons.AuthorTest(l, r, lessons.AuthorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range phases {
		if !p.OK {
			t.Error(p)
		}
	}
	t.Logf("%d shell lines run", r.lines)
}

func TestImagesVsContainers(t *testing.T) { authorTest(t, "images-vs-containers") }

// TestCommit needs the real ubuntu image (its apt-get) and a network: set
// DOCKLING_TEST_UBUNTU_TAR to a docker save archive of ubuntu to run it (.ci/tiers.sh
// does, with the tiers' Debian root filesystem; without it the test skips, unless the
// tiers are on).
func TestCommit(t *testing.T) { authorTest(t, "commit") }

// TestVolumes runs the volumes lesson: busybox is built in, so it runs offline.
func TestVolumes(t *testing.T) { authorTest(t, "volumes") }
