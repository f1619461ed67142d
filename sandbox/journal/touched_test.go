package journal

import (
	"testing"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
)

func TestCaptureSeesANewTag(t *testing.T) {
	sb, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	before := Capture(sb)
	if len(before.Containers) != 0 || len(before.Images) != 0 {
		t.Fatalf("a new sandbox holds %+v", before)
	}
	ref, _ := store.ParseRef("hello-world")
	id, err := sb.PullBuiltin(ref)
	if err != nil {
		t.Skipf("no built-in hello-world here: %v", err)
	}
	mid := Capture(sb)
	if err := sb.Tag("hello-world", "mine:v1"); err != nil {
		t.Fatal(err)
	}
	after := Capture(sb)
	for _, step := range []struct{ a, b State }{{before, mid}, {mid, after}} {
		cs, is := Touched(step.a, step.b)
		if len(cs) != 0 || len(is) != 1 || is[0] != id {
			t.Errorf("touched %v %v, want image %s", cs, is, id)
		}
	}
	if cs, is := Touched(after, Capture(sb)); len(cs)+len(is) != 0 {
		t.Errorf("nothing changed, yet touched %v %v", cs, is)
	}
}
