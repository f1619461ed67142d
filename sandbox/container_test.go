package sandbox

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
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

// A record written before NetworkSettings existed still lists with its network, read
// from hostconfig.json.
func TestContainersWithoutNetworkSettings(t *testing.T) {
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"true"}, NetworkNone: true})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(sb.containerDir(c.ID), "config.v2.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec["NetworkSettings"]; !ok {
		t.Fatal("a new record has no NetworkSettings")
	}
	delete(rec, "NetworkSettings")
	if b, err = json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cs, err := sb.Containers()
	if err != nil || len(cs) != 1 {
		t.Fatalf("Containers = %v, %v", cs, err)
	}
	if got := cs[0].HostConfig.NetworkMode; got != "none" {
		t.Errorf("listed network mode %q, want none", got)
	}
	full, err := sb.Container(c.ShortName())
	if err != nil || full.HostConfig.NetworkMode != "none" {
		t.Errorf("Container(name) = %+v, %v; want network none", full, err)
	}
}
