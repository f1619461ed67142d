package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dockling/dockling/sandbox/journal"
)

// diskUse is what the files below dir take on disk (bytes), links not followed.
func diskUse(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := os.Lstat(p); err == nil {
			n += fi.Sys().(*syscall.Stat_t).Blocks * 512
		}
		return nil
	})
	return n
}

// isContainerLayer: the bundle's container layers are in its first member, the
// image layers (Header.Tail) in the second; rewrite and resign see them in order.
func containerLayerEdit(edit func([]byte) []byte) func(string, []byte) []byte {
	seen := false
	return func(name string, data []byte) []byte {
		if strings.HasPrefix(name, layerPrefix) && !seen {
			seen = true
			return edit(data)
		}
		return data
	}
}

// withFile returns the layer tar with one more file in it.
func withFile(t *testing.T, layer []byte, name string, content []byte) []byte {
	t.Helper()
	// A tar ends with two zero blocks: the new entry goes before them.
	body := bytes.TrimRight(layer, "\x00")
	body = body[:(len(body)+511)/512*512]
	var buf bytes.Buffer
	buf.Write(body)
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
	tw.Write(content)
	tw.Close()
	return buf.Bytes()
}

// A file added to a container's layer with its manifest line updated to match is
// an edit: the manifest no longer is the one the journal's seal names.
func TestManifestEditIsDetected(t *testing.T) {
	sb, path := learnerSandbox(t)
	old, new := "", ""
	edit := containerLayerEdit(func(data []byte) []byte {
		s := sha256.Sum256(data)
		old = hex.EncodeToString(s[:])
		data = withFile(t, data, "home/awesome/extra.txt", []byte("copied in later\n"))
		s = sha256.Sum256(data)
		new = hex.EncodeToString(s[:])
		return data
	})
	bad := rewrite(t, path, func(name string, data []byte) []byte {
		if name == manifestName {
			return bytes.Replace(data, []byte(old), []byte(new), 1)
		}
		return edit(name, data)
	})
	_, err := Extract(bad, t.TempDir(), sourceFrom(sb), Options{})
	var te *TamperError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "manifest.sha256 was changed") {
		t.Fatalf("layer and manifest edited: %v", err)
	}
	// What this does not prove: with the source, the seal is made again too, and
	// the forgery passes.
	if _, err := Extract(resign(t, path, edit, nil), t.TempDir(), sourceFrom(sb), Options{}); err != nil {
		t.Fatalf("resealed forgery: %v (a forger with the source makes a valid bundle)", err)
	}
}

// The header carries who handed the bundle in and the lesson text's hash, and
// Extract names the container layers' sums (for copied-work checks).
func TestHeaderSaysWhoAndWhat(t *testing.T) {
	_, path := learnerSandbox(t)
	h, err := Extract(path, t.TempDir(), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h.Learner != "ada" || h.Format != Format || h.Unsealed() != "" {
		t.Fatalf("header %+v", h)
	}
	if len(h.ContainerLayers) != 1 {
		t.Fatalf("container layers %v, want the one container's", h.ContainerLayers)
	}
}

// Bombs: a layer tar that inflates (a gzip inside the bundle's gzip) is refused; a
// plain one whose folders take far more disk than its bytes runs out of budget.
// Either way extraction stops before the folder holds more than the budget.
func TestExtractStopsBombs(t *testing.T) {
	sb, path := learnerSandbox(t)
	// The budget: what the honest bundle writes, and 8 MiB more.
	honest := t.TempDir()
	if _, err := Extract(path, honest, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	limit := diskUse(t, honest) + 8<<20
	zeros := func(data []byte) []byte {
		var inner bytes.Buffer
		zw := gzip.NewWriter(&inner)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: 64 << 20, Typeflag: tar.TypeReg})
		tw.Write(make([]byte, 64<<20))
		tw.Close()
		zw.Close()
		return inner.Bytes()
	}
	folders := func(data []byte) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for i := range 12000 {
			tw.WriteHeader(&tar.Header{Name: strings.Repeat("d/", 1+i%3) + strings.Repeat("x", 8) + string(rune('a'+i%26)) + hex.EncodeToString([]byte{byte(i >> 8), byte(i)}) + "/", Mode: 0o755, Typeflag: tar.TypeDir})
		}
		tw.Close()
		return buf.Bytes()
	}
	deep := func(data []byte) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: strings.Repeat("a/", maxDepth+1), Mode: 0o755, Typeflag: tar.TypeDir})
		tw.Close()
		return buf.Bytes()
	}
	for name, bomb := range map[string]func([]byte) []byte{"gzip in gzip": zeros, "folders": folders, "deep": deep} {
		t.Run(name, func(t *testing.T) {
			bad := resign(t, path, containerLayerEdit(bomb), nil)
			if st, _ := os.Stat(bad); st.Size() > limit/2 {
				t.Fatalf("the bomb is %d bytes, not small", st.Size())
			}
			dest := t.TempDir()
			_, err := Extract(bad, dest, sourceFrom(sb), Options{MaxSize: limit})
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNotBundle) {
				t.Fatalf("bomb extracted: %v", err)
			}
			if used := diskUse(t, dest); used > limit {
				t.Fatalf("extraction wrote %d bytes, over the %d budget", used, limit)
			}
		})
	}
}

// A bundle of format 2 (no seal, no tail hash) is still extracted, untampered, and
// says why it is weaker.
func TestOlderFormatIsReadUnsealed(t *testing.T) {
	sb, path := learnerSandbox(t)
	old := resign(t, path, func(name string, data []byte) []byte {
		switch name {
		case headerName:
			var h map[string]any
			if err := json.Unmarshal(data, &h); err != nil {
				t.Fatal(err)
			}
			h["Format"] = 2
			delete(h, "TailSHA256")
			data, _ = json.Marshal(h)
			return data
		case metaPrefix + journal.FileName:
			body, _, err := journal.CutSeal(data)
			if err != nil {
				t.Fatal(err)
			}
			return body
		}
		return data
	}, nil)
	h, err := Extract(old, t.TempDir(), sourceFrom(sb), Options{})
	if err != nil {
		t.Fatalf("format 2 bundle: %v", err)
	}
	if h.Format != 2 || !strings.Contains(h.Unsealed(), "no full tamper evidence") {
		t.Fatalf("format 2 header %+v, Unsealed %q", h, h.Unsealed())
	}
}

// A learner's name is the bundle's to say: what reports show of it is printable
// and short, so it cannot forge report lines or send a terminal escapes.
func TestLearnerNameIsPrintable(t *testing.T) {
	if got := printable("ada\n\x1b[2Jbob.tar.gz — lesson x: 7/7\r", maxLearner); got != "ada[2Jbob.tar.gz — lesson x: 7/7" {
		t.Errorf("printable: %q", got)
	}
	if got := printable(strings.Repeat("é", 500), maxLearner); len([]rune(got)) != maxLearner {
		t.Errorf("long name kept %d runes", len([]rune(got)))
	}
}
