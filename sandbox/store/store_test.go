package store

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{Rootless: os.Geteuid() != 0})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type entry struct {
	name, body string
	typ        byte
}

func tarOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typ, ModTime: time.Unix(1700000000, 0)}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeDir {
			h.Mode, h.Size = 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestChainIDFollowsDockerFormula(t *testing.T) {
	a := "sha256:" + fmt.Sprintf("%064x", 1)
	b := "sha256:" + fmt.Sprintf("%064x", 2)
	if got := ChainID("", a); got != a {
		t.Fatalf("base chain ID = %s, want the diff ID %s", got, a)
	}
	want := sha([]byte(a + " " + b))
	if got := ChainIDs([]string{a, b}); got[1] != want {
		t.Fatalf("chain ID of two layers = %s, want %s", got[1], want)
	}
}

func TestPutLayerRecordsDockerLayoutAndGivesBackSameBytes(t *testing.T) {
	s := openTest(t)
	layer := tarOf(t, entry{name: "home/", typ: tar.TypeDir}, entry{name: "home/hello.txt", body: "hi there\n"})
	var l Layer
	err := s.Write(func(w *Writer) error {
		var err error
		l, err = w.PutLayer("", bytes.NewReader(layer), "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.DiffID != sha(layer) || l.ChainID != l.DiffID {
		t.Fatalf("diff ID %s chain %s, want %s", l.DiffID, l.ChainID, sha(layer))
	}
	h := l.ChainID[len("sha256:"):]
	for _, f := range []string{"diff", "size", "cache-id", "tar-split.json.gz"} {
		if _, err := os.Stat(filepath.Join(s.Root(), "image/overlay2/layerdb/sha256", h, f)); err != nil {
			t.Errorf("layerdb entry lacks %s: %v", f, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(s.DiffDir(l.CacheID), "home/hello.txt")); err != nil || string(b) != "hi there\n" {
		t.Fatalf("layer content: %q %v", b, err)
	}
	link, err := os.ReadFile(filepath.Join(s.Root(), "overlay2", l.CacheID, "link"))
	if err != nil || len(link) != 26 {
		t.Fatalf("short link %q %v", link, err)
	}
	if target, err := os.Readlink(filepath.Join(s.Root(), "overlay2/l", string(link))); err != nil || target != "../"+l.CacheID+"/diff" {
		t.Fatalf("l/ link points at %q (%v)", target, err)
	}
	rc, err := s.LayerTar(l.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(back, layer) {
		t.Fatalf("reassembled layer differs: %d bytes vs %d", len(back), len(layer))
	}
}

func TestPutLayerRefusesWrongDigestAndKeepsNothing(t *testing.T) {
	s := openTest(t)
	layer := tarOf(t, entry{name: "a", body: "x"})
	err := s.Write(func(w *Writer) error {
		_, err := w.PutLayer("", bytes.NewReader(layer), "sha256:"+fmt.Sprintf("%064x", 7))
		return err
	})
	if !errors.Is(err, ErrDigest) {
		t.Fatalf("err = %v, want ErrDigest", err)
	}
	ps, err := s.Check()
	if err != nil || len(ps) != 0 {
		t.Fatalf("store not clean after refused layer: %v %v", ps, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Root(), "overlay2")); len(entries) != 1 {
		t.Fatalf("overlay2 holds %d entries, want only l/", len(entries))
	}
}

func putImage(t *testing.T, s *Store, ref string, layers ...[]byte) *Image {
	t.Helper()
	var id string
	err := s.Write(func(w *Writer) error {
		parent := ""
		cfg := v1.ConfigFile{OS: "linux", Architecture: "amd64", Created: v1.Time{Time: time.Unix(1700000000, 0)}, RootFS: v1.RootFS{Type: "layers"}}
		for _, l := range layers {
			got, err := w.PutLayer(parent, bytes.NewReader(l), "")
			if err != nil {
				return err
			}
			parent = got.ChainID
			h, _ := v1.NewHash(got.DiffID)
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
			cfg.History = append(cfg.History, v1.History{CreatedBy: "test"})
		}
		raw, _ := json.Marshal(cfg)
		var err error
		if id, err = w.PutImage(raw, ""); err != nil {
			return err
		}
		if ref == "" {
			return nil
		}
		r, err := ParseRef(ref)
		if err != nil {
			return err
		}
		return w.Tag(id, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Image(id)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestImageIDIsDigestOfConfigAndLookupWorks(t *testing.T) {
	s := openTest(t)
	img := putImage(t, s, "ubuntu", tarOf(t, entry{name: "etc/", typ: tar.TypeDir}), tarOf(t, entry{name: "etc/os", body: "x"}))
	if img.ID != sha(img.Raw) {
		t.Fatalf("image ID %s is not sha256 of its config", img.ID)
	}
	b, err := os.ReadFile(filepath.Join(s.Root(), "image/overlay2/repositories.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"Repositories":{"ubuntu":{"ubuntu:latest":"%s"}}}`, img.ID)
	if string(b) != want {
		t.Fatalf("repositories.json = %s\nwant %s", b, want)
	}
	for _, name := range []string{"ubuntu", "ubuntu:latest", "docker.io/library/ubuntu", img.ID, ShortID(img.ID), img.ID[7:10]} {
		got, err := s.Lookup(name)
		if err != nil || got.ID != img.ID {
			t.Errorf("Lookup(%q) = %v, %v", name, got, err)
		}
	}
	_, err = s.Lookup("foo")
	var nsi *NoSuchImageError
	if !errors.As(err, &nsi) || err.Error() != "No such image: foo" {
		t.Fatalf("Lookup(foo) error = %v", err)
	}
	dirs, err := s.LayerDirs(img.TopLayer())
	if err != nil || len(dirs) != 2 {
		t.Fatalf("LayerDirs = %v, %v", dirs, err)
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "etc/os")); err != nil {
		t.Fatalf("topmost layer dir should come first: %v", err)
	}
}

func TestDeleteImageKeepsSharedLayers(t *testing.T) {
	s := openTest(t)
	base := tarOf(t, entry{name: "base", body: "b"})
	a := putImage(t, s, "a", base, tarOf(t, entry{name: "a", body: "a"}))
	b := putImage(t, s, "b", base)
	if err := s.Write(func(w *Writer) error { return w.DeleteImage(a.ID) }); err != nil {
		t.Fatal(err)
	}
	if !s.HasLayer(b.TopLayer()) {
		t.Fatal("layer shared with b was deleted")
	}
	if s.HasLayer(a.TopLayer()) {
		t.Fatal("a's own layer survived")
	}
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	s := openTest(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine opens its own Store, like separate processes would.
			s2, err := Open(s.Root(), Options{Rootless: os.Geteuid() != 0})
			if err != nil {
				errs <- err
				return
			}
			layer := tarOf(t, entry{name: fmt.Sprintf("f%d", i), body: "x"})
			errs <- s2.Write(func(w *Writer) error {
				l, err := w.PutLayer("", bytes.NewReader(layer), "")
				if err != nil {
					return err
				}
				h, _ := v1.NewHash(l.DiffID)
				raw, _ := json.Marshal(v1.ConfigFile{RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{h}}})
				id, err := w.PutImage(raw, "")
				if err != nil {
					return err
				}
				r, _ := ParseRef(fmt.Sprintf("img%d", i))
				return w.Tag(id, r)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	tags, err := s.Tags()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, refs := range tags {
		n += len(refs)
	}
	if n != 16 {
		t.Fatalf("%d tags survived concurrent writers, want 16", n)
	}
}

func TestCheckFindsAndRepairsLeftovers(t *testing.T) {
	s := openTest(t)
	img := putImage(t, s, "keep", tarOf(t, entry{name: "k", body: "k"}))
	// What a killed pull leaves: a half-extracted layer folder, a temp metadata
	// folder, a temp config file, and a tag whose image never arrived.
	os.MkdirAll(filepath.Join(s.Root(), "overlay2", NewID(), "diff", "half"), 0o755)
	os.MkdirAll(filepath.Join(s.Root(), "image/overlay2/layerdb/tmp/write-set-123"), 0o755)
	os.WriteFile(filepath.Join(s.Root(), "image/overlay2/imagedb/content/sha256", ".abc.tmp-1"), []byte("{"), 0o644)
	s.Write(func(w *Writer) error {
		r, _ := ParseRef("ghost")
		reps, _ := s.readRepos()
		reps.Repositories["ghost"] = map[string]string{r.String(): "sha256:" + NewID()}
		return s.writeRepos(reps)
	})
	ps, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 {
		for _, p := range ps {
			t.Log(p.What)
		}
		t.Fatalf("Check found %d problems, want 4", len(ps))
	}
	if _, err := s.Repair(); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.Check(); len(ps) != 0 {
		t.Fatalf("problems left after repair: %v", ps)
	}
	if got, err := s.Lookup("keep"); err != nil || got.ID != img.ID {
		t.Fatalf("repair damaged a good image: %v", err)
	}
}

func TestAtomicWriteLeavesNoTempOnSuccess(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, v := range []string{"one", "two"} {
		if err := WriteFileAtomic(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files after atomic writes, want 1", len(entries))
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
}

func TestRWLayer(t *testing.T) {
	s := openTest(t)
	img := putImage(t, s, "base", tarOf(t, entry{name: "x", body: "x"}))
	cid := NewID()
	var rw RWLayer
	if err := s.Write(func(w *Writer) error {
		var err error
		rw, err = w.CreateRWLayer(cid, img.TopLayer(), DriverOverlay, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(rw.Lower) != 1 || rw.Upper == "" {
		t.Fatalf("rw layer %+v", rw)
	}
	if ps, _ := s.Check(); len(ps) != 0 {
		t.Fatalf("container layer seen as leftover: %v", ps[0].What)
	}
	if err := s.Write(func(w *Writer) error { return w.RemoveRWLayer(cid) }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(rw.Upper)); !os.IsNotExist(err) {
		t.Fatal("container layer folder survived removal")
	}
}

// IsFullID accepts what NewID makes and nothing that could leave a folder.
func TestIsFullID(t *testing.T) {
	if id := NewID(); !IsFullID(id) {
		t.Errorf("IsFullID(%q) = false", id)
	}
	for _, s := range []string{"", "abc", strings.Repeat("A", 64), strings.Repeat("a", 63), strings.Repeat("a", 65), strings.Repeat("a", 62) + "/.", "../" + strings.Repeat("a", 61)} {
		if IsFullID(s) {
			t.Errorf("IsFullID(%q) = true", s)
		}
	}
}

// ImageHeads gives what Images gives of each image, in the same order, and skips what
// is not an image config.
func TestImageHeadsAgreeWithImages(t *testing.T) {
	s := openTest(t)
	base := tarOf(t, entry{name: "base", body: "bb"})
	putImage(t, s, "a", base, tarOf(t, entry{name: "a", body: "aaaa"}))
	putImage(t, s, "b", base)
	putImage(t, s, "c")
	if err := os.WriteFile(filepath.Join(s.contentDir(), ".tmp-half"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	imgs, err := s.Images()
	if err != nil {
		t.Fatal(err)
	}
	heads, err := s.ImageHeads()
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != len(imgs) || len(heads) != 3 {
		t.Fatalf("%d heads, %d images; want 3 each", len(heads), len(imgs))
	}
	for i, img := range imgs {
		want := ImageHead{ID: img.ID, Created: img.Config.Created.Time, Size: s.Size(img)}
		if heads[i] != want {
			t.Errorf("head %d = %+v, want %+v", i, heads[i], want)
		}
	}
}
