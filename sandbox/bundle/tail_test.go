package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox"
)

// countingReader counts what gzip took: a ByteReader is never read ahead.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// A bundle's image layers come in a second gzip member (its tail): a grader holding
// them does not inflate it, but hashes its bytes against the header (so the tail cut
// off altogether, or any byte of it changed, is a broken bundle); one without them
// inflates it. Read as one stream, the two members are one tar.
func TestTailGoesUnreadWhenTheGraderHasTheLayers(t *testing.T) {
	sb, path := learnerSandbox(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The whole bundle reads as one archive, as gunzip and tar see it.
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the bundle as one stream: %v", err)
		}
		names = append(names, h.Name)
	}
	n := firstMember(t, raw)
	if n >= int64(len(raw)) {
		t.Fatalf("one gzip member only (%d bytes); want the image layers in a second", len(raw))
	}
	h, err := Extract(path, t.TempDir(), sourceFrom(sb), Options{})
	if err != nil {
		t.Fatalf("grader holding the image layers: %v", err)
	}
	if len(h.Tail) == 0 || h.TailSHA256 == "" {
		t.Fatal("the header names no tail")
	}
	for _, n := range h.Tail {
		if !strings.HasPrefix(n, layerPrefix) || !slices.Contains(names, n) {
			t.Errorf("tail entry %q is not a layer of the bundle (%v)", n, names)
		}
	}
	// Not inflated: a tail of the right length that is no gzip at all is caught by
	// its hash, not by gzip.
	junk := append(append([]byte{}, raw[:n]...), bytes.Repeat([]byte{'x'}, len(raw)-int(n))...)
	junkPath := filepath.Join(t.TempDir(), "junk.tar.gz")
	if err := os.WriteFile(junkPath, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(junkPath, t.TempDir(), sourceFrom(sb), Options{}); !errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), "not the ones its header names") {
		t.Fatalf("tail replaced, grader holding the layers: %v", err)
	}
	head := filepath.Join(t.TempDir(), "head.tar.gz")
	if err := os.WriteFile(head, raw[:n], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(head, t.TempDir(), sourceFrom(sb), Options{}); !errors.Is(err, ErrNotBundle) {
		t.Fatalf("first member alone, with the grader holding the image layers: %v, want a truncated bundle", err)
	}

	other, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(head, t.TempDir(), sourceFrom(other), Options{}); !errors.Is(err, ErrNotBundle) {
		t.Fatalf("first member alone, grader without the layers: %v, want a truncated bundle", err)
	}
	// And the whole bundle grades there, its tail unpacked.
	if _, err := Extract(path, t.TempDir(), sourceFrom(other), Options{}); err != nil {
		t.Fatalf("whole bundle, grader without the layers: %v", err)
	}
}

// firstMember is where a bundle's first gzip member ends.
func firstMember(t *testing.T, raw []byte) int64 {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(raw)}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatal(err)
	}
	return cr.n
}

// A bundle cut anywhere, or with bytes of its tail flipped, or with anything after
// its end, is a broken bundle (ErrNotBundle), whether or not the grader holds the
// image layers: none of them is graded.
func TestBrokenBundlesAreRefused(t *testing.T) {
	sb, path := learnerSandbox(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := firstMember(t, raw)
	flip := func(at int64) []byte {
		b := append([]byte{}, raw...)
		for i := at; i < at+100 && i < int64(len(b)); i++ {
			b[i] ^= 0xff
		}
		return b
	}
	other, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"cut in the first member": raw[:n/2],
		"cut in the tail":         raw[:n+(int64(len(raw))-n)/2],
		"tail flipped":            flip(n + (int64(len(raw))-n)/2),
		"first member flipped":    flip(n / 2),
		"a member after the end":  append(append([]byte{}, raw...), raw[:n]...),
		"garbage after the end":   append(append([]byte{}, raw...), "trailing"...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "b.tar.gz")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			for who, src := range map[string]LayerSource{"grader holding the layers": sourceFrom(sb), "grader without them": sourceFrom(other)} {
				if _, err := Extract(p, t.TempDir(), src, Options{}); !errors.Is(err, ErrNotBundle) {
					t.Errorf("%s: %v, want a broken bundle", who, err)
				}
			}
		})
	}
}
