package authortest

import (
	"os"
	"testing"

	"github.com/dockling/dockling/content"
	"github.com/dockling/dockling/lessons"
)

func authorTest(t *testing.T, id string) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the author test runs real containers")
	}
	if testing.Short() {
		t.Skip("the author test runs every solution and wrong answer: skipped with -short")
	}
	ls, err := lessons.LoadAll(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	var l *lessons.Lesson
	for _, x := range ls {
		if x.ID == id {
			l = x
		}
	}
	if l == nil {
		t.Fatalf("no lesson %s", id)
	}
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
// DOCKLING_TEST_UBUNTU_TAR to a docker save archive of ubuntu to run it.
func TestCommit(t *testing.T) { authorTest(t, "commit") }
