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
// them reads the first member only (here the tail is cut off altogether, and the
// bundle still grades, with the grader's own layers linked); one without them reads
// on and finds the tail missing. Read as one stream, the two members are one tar.
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
	// Where the first member ends.
	cr := &countingReader{r: bytes.NewReader(raw)}
	zr, err = gzip.NewReader(cr)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatal(err)
	}
	if cr.n >= int64(len(raw)) {
		t.Fatalf("one gzip member only (%d bytes); want the image layers in a second", len(raw))
	}
	head := filepath.Join(t.TempDir(), "head.tar.gz")
	if err := os.WriteFile(head, raw[:cr.n], 0o644); err != nil {
		t.Fatal(err)
	}

	h, err := Extract(head, t.TempDir(), sourceFrom(sb), Options{})
	if err != nil {
		t.Fatalf("first member alone, with the grader holding the image layers: %v", err)
	}
	if len(h.Tail) == 0 {
		t.Fatal("the header names no tail")
	}
	for _, n := range h.Tail {
		if !strings.HasPrefix(n, layerPrefix) || !slices.Contains(names, n) {
			t.Errorf("tail entry %q is not a layer of the bundle (%v)", n, names)
		}
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
