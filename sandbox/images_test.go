package sandbox

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/dockling/dockling/sandbox/store"
)

func tinyRootfs(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi"))
	tw.Close()
	return &buf
}

func TestBuiltinImagesAppearOnFirstUse(t *testing.T) {
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	img, err := sb.Image("hello-world")
	if err != nil {
		t.Fatal(err)
	}
	if tags, _ := sb.RepoTags(img.ID); len(tags) != 1 || tags[0] != "hello-world:latest" {
		t.Fatalf("tags %v", tags)
	}
	if _, err := sb.Image("hello-world:1.0"); !errors.Is(err, store.ErrNoSuchImage) {
		t.Fatalf("only :latest is built in, got %v", err)
	}
	if _, err := sb.Image("nosuchimage"); err == nil || err.Error() != "No such image: nosuchimage" {
		t.Fatalf("unknown image error = %v", err)
	}
}

func TestRemoveImageRefusesWhatAContainerUses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for the container layer's overlay bookkeeping")
	}
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, err := sb.Import(tinyRootfs(t), ImportOptions{Ref: "base"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Create(CreateOptions{Image: "base", Cmd: []string{"true"}, Name: "user1"}); err != nil {
		t.Fatal(err)
	}
	_, err = sb.RemoveImage("base", false)
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("rmi of a used image: %v, want a conflict", err)
	}
	// Forced: the name goes, the image stays for the container.
	res, err := sb.RemoveImage("base", true)
	if err != nil || len(res.Untagged) != 1 || len(res.Deleted) != 0 {
		t.Fatalf("forced rmi = %+v, %v", res, err)
	}
	if _, err := sb.Store.Image(id); err != nil {
		t.Fatalf("image a container uses was deleted: %v", err)
	}
	// Two names, removed by ID: must be forced.
	sb.Tag(id, "one")
	sb.Tag(id, "two")
	if _, err := sb.RemoveImage(store.ShortID(id), false); !errors.As(err, &ce) {
		t.Fatalf("rmi by ID of a twice-tagged image: %v", err)
	}
}

func TestCreateNamesAreUniqueAndValidated(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Import(tinyRootfs(t), ImportOptions{Ref: "base"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Create(CreateOptions{Image: "base", Cmd: []string{"true"}, Name: "web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Create(CreateOptions{Image: "base", Cmd: []string{"true"}, Name: "web"}); !errors.Is(err, ErrNameInUse) {
		t.Fatalf("duplicate name: %v", err)
	}
	for _, bad := range []string{"x", "../etc", "a b", "-lead"} {
		if _, err := sb.Create(CreateOptions{Image: "base", Cmd: []string{"true"}, Name: bad}); !errors.Is(err, ErrBadName) {
			t.Errorf("name %q accepted: %v", bad, err)
		}
	}
	if _, err := sb.Create(CreateOptions{Image: "base"}); !errors.Is(err, ErrNoCommand) {
		t.Fatalf("no command: %v", err)
	}
	seen := map[string]bool{}
	for range 30 {
		c, err := sb.Create(CreateOptions{Image: "base", Cmd: []string{"true"}})
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.Name] {
			t.Fatalf("generated name %s twice", c.Name)
		}
		seen[c.Name] = true
	}
}
