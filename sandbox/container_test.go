package sandbox

import (
	"errors"
	"strings"
	"testing"
)

// Container finds a container by full ID, by name and by unique ID prefix, as Docker does.
func TestContainerLookup(t *testing.T) {
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, err := sb.Create(CreateOptions{Image: "busybox", Name: "alpha", Cmd: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{a.ID, a.ID}, {b.ID, b.ID}, {"alpha", a.ID}, {"/alpha", a.ID}, {a.ID[:12], a.ID},
		{strings.TrimPrefix(b.Name, "/"), b.ID},
	} {
		c, err := sb.Container(tc.name)
		if err != nil || c.ID != tc.want {
			t.Errorf("Container(%q) = %v, %v; want %s", tc.name, c, err, tc.want)
		}
	}
	unknown := strings.Repeat("0", 64)
	if a.ID == unknown || b.ID == unknown {
		t.Skip("an ID of zeros")
	}
	for _, name := range []string{unknown, "nosuch", "../alpha", ""} {
		var nse *NoSuchContainerError
		if _, err := sb.Container(name); !errors.As(err, &nse) {
			t.Errorf("Container(%q) = %v, want no such container", name, err)
		}
	}
}
