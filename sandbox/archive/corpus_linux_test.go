package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

var update = flag.Bool("update", false, "rewrite testdata/hostile from the generators in corpus_linux_test.go")

const corpusDir = "testdata/hostile"

// hostileCase is one attack: the tar written to testdata/hostile/file, and what must
// happen when it is applied. Every case is also checked for confinement.
type hostileCase struct {
	file   string
	build  func() ([]byte, error)
	unsafe bool   // refused with ErrUnsafe; otherwise applies without error
	reason string // expected in the UnsafeEntryError's Reason
	check  func(t *testing.T, s sandbox, st applyStats)
}

func entries(e ...tarEntry) func() ([]byte, error) {
	return func() ([]byte, error) { return buildTar(e...) }
}

var hostileCases = []hostileCase{
	{file: "dotdot.tar", unsafe: true, reason: "escapes", build: entries(reg("../evil", "pwned"))},
	{file: "absolute.tar", unsafe: true, reason: "absolute", build: entries(reg("/tmp/evil", "pwned"))},
	{file: "symlink-then-write.tar", unsafe: true, reason: "through symlink", build: entries(
		symlinkEntry("a", "/etc"),
		reg("a/pwned", "pwned"),
	)},
	{file: "symlink-relative-escape.tar", unsafe: true, reason: "through symlink", build: entries(
		symlinkEntry("a", "../../.."),
		reg("a/pwned", "pwned"),
	)},
	{file: "symlink-sibling-escape.tar", unsafe: true, reason: "through symlink", build: entries(
		symlinkEntry("a", "../outside"),
		reg("a/pwned", "pwned"),
	)},
	{file: "symlink-then-mkdir.tar", unsafe: true, reason: "through symlink", build: entries(
		symlinkEntry("a", "../outside"),
		dirEntry("a/newdir/"),
	)},
	{file: "whiteout-via-symlink.tar", unsafe: true, reason: "through symlink", build: entries(
		symlinkEntry("a", "../outside"),
		reg("a/.wh."+canary, ""),
	)},
	{file: "opaque-via-symlink.tar", unsafe: true, reason: "through symlink", build: entries(
		symlinkEntry("a", "../outside"),
		reg("a/"+whiteoutOpaque, ""),
	)},
	{file: "hardlink-outside.tar", unsafe: true, reason: "escapes", build: entries(hardlinkEntry("x", "../../etc/passwd"))},
	{file: "hardlink-absolute.tar", unsafe: true, reason: "absolute", build: entries(hardlinkEntry("x", "/etc/passwd"))},
	{file: "hardlink-via-symlink.tar", unsafe: true, reason: "through symlink", build: entries(
		symlinkEntry("s", "/etc"),
		hardlinkEntry("h", "s/passwd"),
	), check: func(t *testing.T, s sandbox, _ applyStats) {
		if _, ok := lstat(t, filepath.Join(s.layer, "h")); ok {
			t.Error("hardlink h was created")
		}
	}},
	{file: "device-node.tar", build: entries(
		dirEntry("dev/"),
		deviceEntry(tar.TypeChar, "dev/null", 1, 3),
		deviceEntry(tar.TypeBlock, "dev/sda", 8, 0),
		reg("ok", "fine"),
	), check: func(t *testing.T, s sandbox, st applyStats) {
		for _, n := range []string{"dev/null", "dev/sda"} {
			if _, ok := lstat(t, filepath.Join(s.layer, n)); ok {
				t.Errorf("device node %s was created", n)
			}
		}
		if _, ok := lstat(t, filepath.Join(s.layer, "ok")); !ok {
			t.Error("regular file after the devices was not extracted")
		}
		if st.devices != 2 {
			t.Errorf("skipped %d devices, want 2", st.devices)
		}
	}},
	{file: "bad-whiteout.tar", unsafe: true, reason: "malformed whiteout", build: entries(reg(".wh.", ""), reg(".wh...", ""))},
	{file: "bad-whiteout-dots.tar", unsafe: true, reason: "malformed whiteout", build: entries(reg("d/.wh...", ""))},
	{file: "bad-whiteout-dot.tar", unsafe: true, reason: "malformed whiteout", build: entries(reg(".wh..", ""))},
	{file: "bad-whiteout-slash.tar", unsafe: true, reason: "whiteout name used as a directory", build: entries(reg(".wh.x/y", ""))},
	{file: "whiteout-escape.tar", unsafe: true, reason: "escapes", build: entries(reg("../.wh.x", ""))},
	{file: "long-name.tar", unsafe: true, reason: "longer than 4096", build: entries(reg(strings.Repeat("a/", 2100)+"f", "x"))},
	{file: "root-replace.tar", unsafe: true, reason: "layer root", build: entries(symlinkEntry("./", "/"))},
	{file: "sparse-bomb.tar", unsafe: true, reason: "sparse", build: sparseBomb},
}

// sparseBomb is a ~2 KiB PAX GNU sparse 1.0 file claiming 64 MiB of logical content.
// archive/tar cannot write sparse files, so the extended header is forged by hand: a
// regular entry whose type byte is then patched to 'x'.
func sparseBomb() ([]byte, error) {
	records := ""
	for _, kv := range [][2]string{
		{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"},
		{"GNU.sparse.name", "big"}, {"GNU.sparse.realsize", fmt.Sprint(64 << 20)},
	} {
		rec := " " + kv[0] + "=" + kv[1] + "\n"
		n := len(rec)
		for len(fmt.Sprint(n))+len(rec) != n {
			n = len(fmt.Sprint(n)) + len(rec)
		}
		records += fmt.Sprint(n) + rec
	}
	sparseMap := fmt.Sprintf("1\n%d\n1\n", 64<<20-1)
	data := sparseMap + strings.Repeat("\x00", 512-len(sparseMap)) + "x"
	b, err := buildTar(reg("PaxHeaders/big", records), reg("big", data))
	if err != nil {
		return nil, err
	}
	b[156] = tar.TypeXHeader
	sum := 0
	for i := 0; i < 512; i++ {
		if i >= 148 && i < 156 {
			sum += ' '
		} else {
			sum += int(b[i])
		}
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b, nil
}

func TestGenerateCorpus(t *testing.T) {
	for _, c := range hostileCases {
		b, err := c.build()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		p := filepath.Join(corpusDir, c.file)
		if *update {
			if err := os.MkdirAll(corpusDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s is missing or stale (%v); run: go test -run TestGenerateCorpus -update", p, err)
		}
	}
}

// hostSnapshot records host paths an escaping layer would touch.
func hostSnapshot(t *testing.T, s sandbox) map[string]string {
	t.Helper()
	out := make(map[string]string)
	for _, p := range []string{
		"/tmp/evil", "/etc/pwned", "/etc/passwd", "/tmp/pwned", "/pwned",
		filepath.Join(s.parent, "..", "..", "pwned"), filepath.Join(s.parent, "..", "pwned"),
	} {
		st, ok := lstat(t, p)
		out[p] = fmt.Sprint(ok, st.Ino, st.Nlink, st.Size, st.Mtim, st.Ctim)
	}
	return out
}

type applyMode struct {
	name string
	flat bool
	opts ApplyOptions
}

var applyModes = []applyMode{
	{"overlay", false, ApplyOptions{}},
	{"overlay-rootless", false, ApplyOptions{Rootless: true}},
	{"flat", true, ApplyOptions{}},
	{"flat-rootless", true, ApplyOptions{Rootless: true}},
}

func (m applyMode) skipUnlessAllowed(t *testing.T) {
	if !m.opts.Rootless && !isRoot() {
		t.Skip("non-rootless extraction needs root (chown)")
	}
}

func TestHostileCorpus(t *testing.T) {
	for _, c := range hostileCases {
		data, err := os.ReadFile(filepath.Join(corpusDir, c.file))
		if err != nil {
			t.Fatalf("%v (run: go test -run TestGenerateCorpus -update)", err)
		}
		for _, m := range applyModes {
			t.Run(c.file+"/"+m.name, func(t *testing.T) {
				m.skipUnlessAllowed(t)
				s := newSandbox(t)
				before := hostSnapshot(t, s)
				st, err := apply(s.layer, bytes.NewReader(data), m.opts, m.flat)
				if c.unsafe {
					var ue *UnsafeEntryError
					if !errors.Is(err, ErrUnsafe) || !errors.As(err, &ue) || ue.Name == "" {
						t.Fatalf("got %v, want an UnsafeEntryError", err)
					}
					if !strings.Contains(ue.Reason, c.reason) {
						t.Errorf("reason %q, want it to mention %q", ue.Reason, c.reason)
					}
				} else if err != nil {
					t.Fatalf("apply: %v", err)
				}
				s.checkConfined(t)
				after := hostSnapshot(t, s)
				for p, v := range before {
					if after[p] != v {
						t.Errorf("host path %s changed", p)
					}
				}
				if c.check != nil {
					c.check(t, s, st)
				}
			})
		}
	}
}

// TestSymlinkToAbsoluteOutside aims absolute symlinks at the real sibling directory,
// which a static corpus file cannot know.
func TestSymlinkToAbsoluteOutside(t *testing.T) {
	attacks := map[string]func(outside string) []tarEntry{
		"write": func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("a", o), reg("a/pwned", "pwned")}
		},
		"overwrite": func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("a", o), reg("a/"+canary, "pwned")}
		},
		"mkdir": func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("a", o), dirEntry("a/d/")}
		},
		"whiteout": func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("a", o), reg("a/.wh."+canary, "")}
		},
		"opaque": func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("a", o), reg("a/"+whiteoutOpaque, "")}
		},
		"hardlink": func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("a", o), hardlinkEntry("h", "a/"+canary)}
		},
		"nested": func(o string) []tarEntry {
			return []tarEntry{dirEntry("d/"), symlinkEntry("d/a", o), reg("d/a/x", "pwned")}
		},
	}
	for name, build := range attacks {
		for _, m := range applyModes {
			t.Run(name+"/"+m.name, func(t *testing.T) {
				m.skipUnlessAllowed(t)
				s := newSandbox(t)
				_, err := apply(s.layer, bytes.NewReader(mustTar(t, build(s.outside)...)), m.opts, m.flat)
				if !errors.Is(err, ErrUnsafe) {
					t.Fatalf("got %v, want ErrUnsafe", err)
				}
				s.checkConfined(t)
				if !isRoot() || m.opts.Rootless {
					return
				}
				if v, err := getxattr(s.outside, opaqueTrusted); err == nil {
					t.Errorf("outside got opaque xattr %q", v)
				}
			})
		}
	}
}

// TestHostileFlatOverExistingSymlink: in flat mode the symlink may come from a lower
// layer already on disk rather than from the tar itself.
func TestHostileFlatOverExistingSymlink(t *testing.T) {
	for _, e := range []tarEntry{
		reg("a/pwned", "x"),
		reg("a/.wh."+canary, ""),
		reg("a/"+whiteoutOpaque, ""),
		hardlinkEntry("h", "a/"+canary),
	} {
		t.Run(e.hdr.Name, func(t *testing.T) {
			s := newSandbox(t)
			if err := os.Symlink(s.outside, filepath.Join(s.layer, "a")); err != nil {
				t.Fatal(err)
			}
			_, err := ApplyFlat(s.layer, bytes.NewReader(mustTar(t, e)), callerOpts())
			if !errors.Is(err, ErrUnsafe) {
				t.Fatalf("got %v, want ErrUnsafe", err)
			}
			s.checkConfined(t)
		})
	}
}

func TestUnsafeErrorNamesEntry(t *testing.T) {
	s := newSandbox(t)
	_, err := Apply(s.layer, bytes.NewReader(mustTar(t, reg("../evil", "x"))), callerOpts())
	var ue *UnsafeEntryError
	if !errors.As(err, &ue) || ue.Name != "../evil" {
		t.Fatalf("got %v, want UnsafeEntryError naming ../evil", err)
	}
	if want := `unsafe entry "../evil": name escapes the layer root`; err.Error() != want {
		t.Errorf("error text %q, want %q", err.Error(), want)
	}
	// A hardlink whose target is missing is a broken layer, not an attack.
	_, err = Apply(s.layer, bytes.NewReader(mustTar(t, hardlinkEntry("l", "nope"))), callerOpts())
	if err == nil || errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), `"l"`) {
		t.Errorf("missing hardlink target: got %v", err)
	}
	var st unix.Stat_t
	if unix.Lstat(filepath.Join(s.layer, "l"), &st) == nil {
		t.Error("dangling hardlink entry left a file behind")
	}
}
