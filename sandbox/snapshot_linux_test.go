package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox/snapshot"
)

// runIn runs cmd in a new container (named name) of busybox and waits for its end.
func runIn(t *testing.T, sb *Sandbox, name string, cmd ...string) *Container {
	t.Helper()
	c, err := sb.Create(CreateOptions{Image: "busybox", Name: name, Cmd: cmd})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sb.Remove(c.ID, true) })
	if _, err := sb.Start(c.ID, false); err != nil {
		t.Fatal(err)
	}
	if code, err := sb.Wait(c.ID); err != nil || code != 0 {
		t.Fatalf("%s: exit %d, %v", strings.Join(cmd, " "), code, err)
	}
	return c
}

// readIn is a file's content in a fresh run of container c (started again).
func upperFile(t *testing.T, sb *Sandbox, c *Container, p string) string {
	t.Helper()
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(rw.Upper, p))
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// TestSnapshotRestore: a restore puts back containers (with their files, though
// changed in place since), images and tags, starts again a container that was
// running, removes what was made since, and brings back an image removed since.
// As root here; TestSnapshotRestoreRootless runs it as a user.
func TestSnapshotRestore(t *testing.T) {
	requireContainers(t)
	if os.Getenv(snapChildEnv) == "" && os.Geteuid() != 0 {
		t.Skip("as a user, TestSnapshotRestoreRootless runs it")
	}
	sb, err := Open(snapTempDir(t))
	if err != nil {
		t.Fatal(err)
	}
	// /home/b belongs to another id where a subordinate range maps one: only the
	// containers' root can read it.
	a := runIn(t, sb, "keeper", "sh", "-c", "mkdir -p /home/a /home/b && echo one > /home/a/f && rm -f /bin/sed && "+
		"echo s > /home/b/s && chmod 700 /home/b && { chown -R 42:42 /home/b 2>/dev/null || true; }")
	b, err := sb.Create(CreateOptions{Image: "busybox", Name: "sleeper", Cmd: []string{"sleep", "1000"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sb.Remove(b.ID, true) })
	if _, err := sb.Start(b.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := sb.Snapshot("step-one"); err != nil {
		t.Fatal(err)
	}

	// Changes since: a's file changed in place (the snapshot must not share it), the
	// sleeper removed, a new container, a commit, a tag.
	if err := os.WriteFile(filepath.Join(mustUpper(t, sb, a), "home/a/f"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	appendIn(t, sb, a)
	if _, err := sb.Remove("sleeper", true); err != nil {
		t.Fatal(err)
	}
	runIn(t, sb, "later", "true")
	if _, err := sb.Commit("keeper", CommitOptions{Ref: "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := sb.Tag("busybox", "mine"); err != nil {
		t.Fatal(err)
	}

	res, err := sb.Restore("step-one")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Restarted, []string{"sleeper"}) || len(res.Failed) > 0 {
		t.Fatalf("restarted %v, failed %v; want the sleeper restarted", res.Restarted, res.Failed)
	}
	if got := upperFile(t, sb, a, "home/a/f"); got != "one\n" {
		t.Fatalf("keeper's file after restore = %q, want one", got)
	}
	if fi, err := os.Lstat(filepath.Join(mustUpper(t, sb, a), "bin/sed")); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("keeper's whiteout of /bin/sed not restored: %v %v", fi, err)
	}
	names := containerNames(t, sb)
	if !slices.Equal(names, []string{"keeper", "sleeper"}) {
		t.Fatalf("containers after restore: %v", names)
	}
	if c, err := sb.Container("sleeper"); err != nil || !c.State.Running {
		t.Fatalf("sleeper after restore: %+v %v", c, err)
	}
	for _, ref := range []string{"kept", "mine"} {
		if _, err := sb.Store.Lookup(ref); err == nil {
			t.Fatalf("image %s made since the snapshot is still there", ref)
		}
	}
	// The restored keeper runs, on its restored files.
	if _, err := sb.Start("keeper", false); err != nil {
		t.Fatal(err)
	}
	if code, _ := sb.Wait("keeper"); code != 0 {
		t.Fatalf("keeper after restore exits %d", code)
	}

	// Everything removed, the image too: the layer comes back from the snapshot.
	for _, n := range []string{"keeper", "sleeper"} {
		if _, err := sb.Remove(n, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sb.RemoveImage("busybox", true); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Restore("step-one"); err != nil {
		t.Fatal(err)
	}
	if got := upperFile(t, sb, a, "home/a/f"); got != "one\n" {
		t.Fatalf("keeper's file after the second restore = %q", got)
	}
	runIn(t, sb, "", "sh", "-c", "test -d /home || exit 9")
	if _, err := sb.Remove("sleeper", true); err != nil {
		t.Fatal(err)
	}

	// Pruned: a key not kept goes, and with no snapshot left the layer pool too.
	if err := sb.Snapshot("step-two"); err != nil {
		t.Fatal(err)
	}
	if err := sb.DropSnapshots([]string{"step-two"}); err != nil {
		t.Fatal(err)
	}
	if sb.HasSnapshot("step-one") || !sb.HasSnapshot("step-two") {
		t.Fatal("DropSnapshots kept the wrong snapshots")
	}
	if err := sb.DropSnapshots(nil); err != nil {
		t.Fatal(err)
	}
	if sb.HasSnapshot("step-two") {
		t.Fatal("DropSnapshots(nil) left a snapshot")
	}
	if _, err := os.Stat(sb.Store.LayerPool()); err == nil {
		t.Fatal("the layer pool outlived the snapshots")
	}
}

// appendIn changes keeper's file in place from inside the container (>>): the
// write goes to the same inode, which a hard-linked snapshot would share.
func appendIn(t *testing.T, sb *Sandbox, c *Container) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(mustUpper(t, sb, c), "home/a/f"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("three\n")
	f.Close()
}

func mustUpper(t *testing.T, sb *Sandbox, c *Container) string {
	t.Helper()
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rw.Upper
}

func containerNames(t *testing.T, sb *Sandbox) []string {
	t.Helper()
	cs, err := sb.Containers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.ShortName())
	}
	slices.Sort(out)
	return out
}

// TestSnapshotForged: a snapshot folder is the learner's to change. Links in it
// pointing out of the sandbox are restored as links, never followed; bad IDs in its
// record are refused; a folder that is a link is no snapshot. Nothing outside the
// sandbox is written.
func TestSnapshotForged(t *testing.T) {
	requireContainers(t)
	if os.Getenv(snapChildEnv) == "" && os.Geteuid() != 0 {
		t.Skip("as a user, TestSnapshotRestoreRootless runs it")
	}
	root, outside := snapTempDir(t), t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	sb, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	c := runIn(t, sb, "marked", "sh", "-c", "echo x > /x")
	if err := sb.Snapshot("s"); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(root, "snapshots", "steps", "s")
	rw, _ := sb.Store.RWLayer(c.ID)
	diff := filepath.Join(snap, "overlay2", rw.MountID, "diff")
	// A link where a file was, and a link as a folder with a file "below" it.
	os.Remove(filepath.Join(diff, "x"))
	mustSymlink(t, victim, filepath.Join(diff, "x"))
	mustSymlink(t, outside, filepath.Join(diff, "dir"))
	hosts := filepath.Join(snap, "containers", c.ID, "hosts")
	os.Remove(hosts)
	mustSymlink(t, victim, hosts)
	if _, err := sb.Restore("s"); !errors.Is(err, snapshot.ErrUnsupported) {
		t.Fatalf("a snapshot with a link for a container's hosts file: %v, want refused", err)
	}
	os.Remove(hosts)
	if err := os.WriteFile(hosts, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Restore("s"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(rw.Upper, "x")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the forged link came back as %v, %v; want a link", fi, err)
	}
	// Writing through the restored container's files stays inside it.
	if _, err := sb.Start("marked", false); err != nil {
		t.Fatal(err)
	}
	sb.Wait("marked")

	// Forged records: an ID that climbs out, and the containers folder as a link.
	m, err := snapshot.ReadMeta(snap)
	if err != nil {
		t.Fatal(err)
	}
	bad := m
	bad.Containers = []snapshot.Container{{ID: "../../../../" + strings.Repeat("a", 52), MountID: rw.MountID, Driver: "overlay2"}}
	if err := snapshot.WriteMeta(snap, bad); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Restore("s"); err == nil {
		t.Fatal("a snapshot naming ../ as a container was restored")
	}
	if err := snapshot.WriteMeta(snap, m); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(snap, "containers"))
	mustSymlink(t, outside, filepath.Join(snap, "containers"))
	if _, err := sb.Restore("s"); err == nil {
		t.Fatal("a snapshot whose containers folder is a link was restored")
	}
	// The whole snapshot folder as a link out.
	os.RemoveAll(snap)
	mustSymlink(t, outside, snap)
	if _, err := sb.Restore("s"); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("a linked snapshot folder: %v, want ErrNoSnapshot", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "untouched" {
		t.Fatalf("the file outside was written: %q", b)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Fatalf("something was made outside the sandbox: %v", ents)
	}
	if cs := containerNames(t, sb); !slices.Equal(cs, []string{"marked"}) {
		t.Fatalf("a refused restore changed the sandbox: %v", cs)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// snapTempDir is a test's sandbox folder. As a user with a subordinate range, its
// containers leave files the user cannot delete: the parent test (root) does.
func snapTempDir(t *testing.T) string {
	if os.Getenv(snapChildEnv) == "" {
		return t.TempDir()
	}
	d, err := os.MkdirTemp("", "sandbox-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
