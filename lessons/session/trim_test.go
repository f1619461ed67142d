package session

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
)

// An author test's reset after the first keeps the prepared images and nothing else:
// no container, no other image, no tag a solution added, no journal; an image a
// solution removed comes back through Prepare.
func TestTrimKeepsOnlyThePreparedImages(t *testing.T) {
	root := t.TempDir()
	images := []Image{{Ref: "ubuntu"}}
	sbi, err := OpenSandbox(root, "author")
	if err != nil {
		t.Fatal(err)
	}
	ubuntu := importAs(t, root, "author", "ubuntu")
	if err := sbi.Prepare(context.Background(), images, io.Discard); err != nil {
		t.Fatal(err)
	}
	sb := openIn(t, root, "author")
	// What a solution leaves: a container, a second image, a tag on the kept one, a journal.
	if _, err := sb.Create(sandbox.CreateOptions{Image: "ubuntu", Cmd: []string{"true"}, Name: "box"}); err != nil {
		t.Fatal(err)
	}
	other := importAs(t, root, "author", "mine:v1")
	if err := sb.Tag("ubuntu", "myubuntu"); err != nil {
		t.Fatal(err)
	}
	if err := journal.Append(sb.Dir(), journal.Entry{Line: "docker tag ubuntu myubuntu"}); err != nil {
		t.Fatal(err)
	}

	if err := sbi.(trimmer).Trim([]string{ubuntu}, []string{"ubuntu:latest"}); err != nil {
		t.Fatal(err)
	}
	st := sbi.Capture()
	if len(st.Containers) != 0 {
		t.Errorf("containers left: %v", st.Containers)
	}
	if _, ok := st.Images[other]; ok || len(st.Images) != 1 {
		t.Errorf("images left: %v, want only %s", st.Images, ubuntu)
	}
	tags, err := sb.Store.Tags()
	if err != nil {
		t.Fatal(err)
	}
	if got := tags[ubuntu]; len(got) != 1 || got[0].String() != "ubuntu:latest" {
		t.Errorf("tags of the kept image: %v, want ubuntu:latest alone", got)
	}
	if _, err := os.Stat(journal.Path(sb.Dir())); !os.IsNotExist(err) {
		t.Errorf("journal still there: %v", err)
	}

	// A solution that removed the image: Prepare after Trim brings it back (here from
	// the instructor's default sandbox).
	importAs(t, root, sandbox.DefaultSandbox, "ubuntu")
	if _, err := sb.RemoveImage("ubuntu", true); err != nil {
		t.Fatal(err)
	}
	if err := sbi.(trimmer).Trim([]string{ubuntu}, []string{"ubuntu:latest"}); err != nil {
		t.Fatal(err)
	}
	if err := sbi.Prepare(context.Background(), images, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Store.Lookup("ubuntu"); err != nil {
		t.Fatalf("after Prepare: %v", err)
	}
}
