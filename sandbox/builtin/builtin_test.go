package builtin

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// layerEntry is one parsed tar entry of a layer.
type layerEntry struct {
	hdr  *tar.Header
	data []byte
}

// readLayer parses a layer tar and checks the properties every built-in layer
// must have: sorted names, owner 0:0, the fixed mtime.
func readLayer(t *testing.T, layer []byte) (map[string]layerEntry, []string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(layer))
	entries := map[string]layerEntry{}
	var order []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading layer: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s: %v", hdr.Name, err)
		}
		if hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s: owner %d:%d, want 0:0", hdr.Name, hdr.Uid, hdr.Gid)
		}
		if !hdr.ModTime.Equal(created) {
			t.Errorf("%s: mtime %v, want %v", hdr.Name, hdr.ModTime, created)
		}
		entries[hdr.Name] = layerEntry{hdr: hdr, data: data}
		order = append(order, hdr.Name)
	}
	if !slices.IsSorted(order) {
		t.Errorf("layer entries are not sorted: %v", order)
	}
	return entries, order
}

// checkImage verifies what every built-in image must satisfy.
func checkImage(t *testing.T, img *Image, name string) {
	t.Helper()
	if img.Name != name {
		t.Errorf("Name = %q, want %q", img.Name, name)
	}
	sum := sha256.Sum256(img.Layer)
	ids := img.Config.RootFS.DiffIDs
	if len(ids) != 1 || ids[0].Algorithm != "sha256" || ids[0].Hex != hex.EncodeToString(sum[:]) {
		t.Errorf("DiffIDs = %v, want [sha256:%x]", ids, sum)
	}
	cfg := img.Config
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
		t.Errorf("platform = %s/%s, want linux/%s", cfg.OS, cfg.Architecture, runtime.GOARCH)
	}
	if !cfg.Created.Equal(created) || len(cfg.History) != 1 || cfg.History[0].CreatedBy == "" {
		t.Errorf("created/history not as expected: %v %+v", cfg.Created, cfg.History)
	}
	if !slices.Equal(cfg.Config.Env, []string{defaultPathEnv}) {
		t.Errorf("Env = %v", cfg.Config.Env)
	}
	if cfg.Config.Labels[labelBuiltin] != "true" {
		t.Errorf("labels = %v, want %s=true", cfg.Config.Labels, labelBuiltin)
	}
	if cfg.RootFS.Type != "layers" {
		t.Errorf("RootFS.Type = %q", cfg.RootFS.Type)
	}
}

func TestNamesAndUnknown(t *testing.T) {
	want := []string{"busybox", "hello-world", "ubuntu-standin"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	_, err := Build("ubuntu")
	if !errors.Is(err, ErrUnknown) {
		t.Fatalf("Build(ubuntu) error = %v, want ErrUnknown", err)
	}
}

func TestHelloWorldELFHeaders(t *testing.T) {
	for _, tc := range []struct {
		arch    string
		machine elf.Machine
	}{{"amd64", elf.EM_X86_64}, {"arm64", elf.EM_AARCH64}} {
		t.Run(tc.arch, func(t *testing.T) {
			bin, err := HelloWorldELF(tc.arch)
			if err != nil {
				t.Fatal(err)
			}
			if len(bin) >= 16384 {
				t.Errorf("size %d, want < 16384", len(bin))
			}
			f, err := elf.NewFile(bytes.NewReader(bin))
			if err != nil {
				t.Fatalf("debug/elf cannot parse it: %v", err)
			}
			if f.Machine != tc.machine || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
				t.Errorf("machine/class/type = %v/%v/%v", f.Machine, f.Class, f.Type)
			}
			if len(f.Progs) != 1 {
				t.Fatalf("%d program headers, want 1", len(f.Progs))
			}
			p := f.Progs[0]
			if p.Type != elf.PT_LOAD || p.Flags != elf.PF_R|elf.PF_X || p.Off != 0 || p.Filesz != uint64(len(bin)) {
				t.Errorf("segment = %+v", p.ProgHeader)
			}
			if f.Entry < p.Vaddr || f.Entry >= p.Vaddr+p.Filesz {
				t.Errorf("entry %#x outside segment [%#x, %#x)", f.Entry, p.Vaddr, p.Vaddr+p.Filesz)
			}
			if !bytes.HasSuffix(bin, []byte(helloMessage)) {
				t.Error("message is not at the end of the file")
			}
		})
	}
	if _, err := HelloWorldELF("riscv64"); err == nil {
		t.Error("HelloWorldELF(riscv64) succeeded, want an error")
	}
}

func TestHelloWorldRuns(t *testing.T) {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skipf("cannot execute a linux/amd64 or linux/arm64 program on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	bin, err := HelloWorldELF(runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(p, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(p)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running generated hello: %v (stderr %q)", err, stderr.String())
	}
	if string(out) != helloMessage {
		t.Errorf("output:\n%s\nwant:\n%s", out, helloMessage)
	}
	if stderr.Len() != 0 {
		t.Errorf("unexpected stderr %q", stderr.String())
	}
}

func TestHelloWorldImage(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("no hello-world for %s", runtime.GOARCH)
	}
	img, err := Build("hello-world")
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img, "hello-world")
	entries, order := readLayer(t, img.Layer)
	if !slices.Equal(order, []string{"hello"}) {
		t.Fatalf("layer entries = %v, want [hello]", order)
	}
	h := entries["hello"]
	want, _ := HelloWorldELF(runtime.GOARCH)
	if h.hdr.Typeflag != tar.TypeReg || h.hdr.Mode != 0o755 || !bytes.Equal(h.data, want) {
		t.Errorf("hello entry: type %c mode %o size %d", h.hdr.Typeflag, h.hdr.Mode, len(h.data))
	}
	if !slices.Equal(img.Config.Config.Cmd, []string{"/hello"}) {
		t.Errorf("Cmd = %v", img.Config.Config.Cmd)
	}
	again, err := Build("hello-world")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.Layer, again.Layer) {
		t.Error("two builds gave different layers")
	}
	t.Logf("hello-world: binary %d bytes, layer %d bytes", len(want), len(img.Layer))
}

func TestTreeConflicts(t *testing.T) {
	tr := newTree()
	if err := tr.symlink("/usr/bin", "../bin"); err != nil {
		t.Fatal(err)
	}
	// Writing through a symlinked directory would escape the intended path.
	if err := tr.file("/usr/bin/x", 0o644, nil); err == nil {
		t.Error("file below a symlink was accepted")
	}
	if err := tr.dir("/usr/bin", 0o755); err == nil {
		t.Error("directory replacing a symlink was accepted")
	}
	if err := tr.symlink("/usr/bin", "../bin"); err != nil {
		t.Errorf("identical symlink rejected: %v", err)
	}
	if err := tr.file("/etc/x", 0o644, nil); err != nil {
		t.Fatal(err)
	}
	if err := tr.dir("/etc", 0o700); err != nil {
		t.Errorf("explicit mode for an implicit parent rejected: %v", err)
	}
	if err := tr.file("relative", 0o644, nil); err == nil {
		t.Error("relative path accepted")
	}
}
