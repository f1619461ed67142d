package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
)

// resign rewrites a bundle with edit (nil drops an entry) and extra entries, then
// writes a manifest matching the result and seals it into the journal again: what
// someone who knows the format would hand in.
func resign(t *testing.T, path string, edit func(name string, data []byte) []byte, extra map[string][]byte) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	var lines []string
	var jdata []byte
	put := func(name string, data []byte, listed bool) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
		if listed {
			s := sha256.Sum256(data)
			lines = append(lines, hex.EncodeToString(s[:])+"  "+name)
		}
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if h.Name == manifestName {
			continue
		}
		if data = edit(h.Name, data); data == nil {
			continue
		}
		if h.Name == metaPrefix+journal.FileName {
			// An unsealed journal (an older format's) stays unsealed.
			if jdata, _, err = journal.CutSeal(data); err != nil {
				put(h.Name, data, true)
				continue
			}
			s := sha256.Sum256(jdata)
			lines = append(lines, hex.EncodeToString(s[:])+"  "+h.Name)
			continue
		}
		put(h.Name, data, true)
	}
	for n, d := range extra {
		put(n, d, true)
	}
	sort.Strings(lines)
	manifest := []byte(strings.Join(lines, "\n") + "\n")
	if jdata != nil {
		s := sha256.Sum256(manifest)
		sealed, err := journal.Seal(jdata, hex.EncodeToString(s[:]), "resign", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		put(metaPrefix+journal.FileName, sealed, false)
	}
	put(manifestName, manifest, false)
	tw.Close()
	zw.Close()
	out := filepath.Join(t.TempDir(), "resigned.tar.gz")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// A container running when the sandbox was submitted, even one whose state names a
// live process of the grader's machine with its true start time, is exited in the
// extracted sandbox: 255, at the submit time, and no pid.
func TestExtractSettlesRunningContainers(t *testing.T) {
	sb, path := learnerSandbox(t)
	c, err := sb.Container("marked")
	if err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", self))
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	forged := fmt.Sprintf(`{"status":"running","pid":%d,"shimPid":%d,"shimStart":%s,"initStart":%s,"startedAt":"2024-01-02T03:04:05Z"}`, self, self, f[19], f[19])
	state := metaPrefix + "containers/" + c.ID + "/state.json"
	bad := resign(t, path, func(name string, data []byte) []byte {
		if name == state {
			return nil
		}
		return data
	}, map[string][]byte{state: []byte(forged)})
	dest := t.TempDir()
	h, err := Extract(bad, dest, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dest, "containers", c.ID, "state.json"))
	if err != nil {
		t.Fatalf("the forged state was not in the bundle: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pid", "shimPid", "shimStart", "initStart"} {
		if _, ok := raw[k]; ok {
			t.Errorf("state keeps %s: %s", k, b)
		}
	}
	got, err := sandbox.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := got.Container("marked")
	if err != nil {
		t.Fatal(err)
	}
	if gc.State.Status != "exited" || gc.State.ExitCode != RunningExitCode || gc.State.Pid != 0 || gc.State.Error != RunningAtSubmit {
		t.Fatalf("state after extraction: %+v", gc.State)
	}
	if want := h.created(); !gc.State.FinishedAt.Equal(want) || want.IsZero() {
		t.Fatalf("finished at %v, want the submit time %v", gc.State.FinishedAt, want)
	}
}

func TestExtractBudget(t *testing.T) {
	_, path := learnerSandbox(t)
	// The whole bundle fits the default; a budget below its content does not, and
	// extraction stops with ErrTooLarge.
	if _, err := Extract(path, t.TempDir(), nil, Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := Extract(path, t.TempDir(), nil, Options{MaxSize: 64 << 10})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "65536 bytes") {
		t.Fatalf("over the budget: %v", err)
	}
}

// A layer tar no image or container uses is refused, even with a matching manifest.
func TestExtractRefusesUnreferencedLayers(t *testing.T) {
	_, path := learnerSandbox(t)
	name := layerPrefix + strings.Repeat("ab", 32) + ".tar"
	bad := resign(t, path, func(_ string, d []byte) []byte { return d }, map[string][]byte{name: make([]byte, 1024)})
	_, err := Extract(bad, t.TempDir(), nil, Options{})
	if !errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), "no image or container uses it") {
		t.Fatalf("unreferenced layer: %v", err)
	}
}

// A referenced layer the grader lacks is listed, not fatal.
func TestExtractListsMissingBaseLayers(t *testing.T) {
	_, path := learnerSandbox(t)
	chain := "sha256:" + strings.Repeat("cd", 32)
	bad := resign(t, path, func(name string, d []byte) []byte {
		if name != headerName {
			return d
		}
		var h Header
		json.Unmarshal(d, &h)
		h.External = map[string]string{chain: strings.Repeat("ef", 32)}
		out, _ := json.Marshal(h)
		return out
	}, nil)
	h, err := Extract(bad, t.TempDir(), func(string) (string, bool) { return "", false }, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Missing) != 1 || h.Missing[0] != chain {
		t.Fatalf("missing %v, want [%s]", h.Missing, chain)
	}
}

// Copied layers the grader holds itself (same chain ID) are only hashed and the
// grader's copy linked, not unpacked; a copy that does not hash to its diff ID is
// reported as an edit.
func TestExtractLinksLayersTheGraderHas(t *testing.T) {
	sb, path := learnerSandbox(t)
	img, err := sb.Store.Lookup("busybox")
	if err != nil {
		t.Fatal(err)
	}
	chain := img.ChainIDs()[0]
	ly, err := sb.Store.Layer(chain)
	if err != nil {
		t.Fatal(err)
	}
	diffAt := func(dest string) string { return filepath.Join(dest, "overlay2", ly.CacheID, "diff") }

	dest := t.TempDir()
	if _, err := Extract(path, dest, sourceFrom(sb), Options{}); err != nil {
		t.Fatal(err)
	}
	if to, err := os.Readlink(diffAt(dest)); err != nil || to != sb.Store.DiffDir(ly.CacheID) {
		t.Fatalf("busybox's layer: link %q, %v; want a link to the grader's copy", to, err)
	}

	// Without the grader having it, the layer is unpacked.
	other, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dest = t.TempDir()
	if _, err := Extract(path, dest, sourceFrom(other), Options{}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(diffAt(dest)); err != nil || !st.IsDir() {
		t.Fatalf("busybox's layer without the grader's copy: %v %v", st, err)
	}

	// A layer changed and the manifest signed again: an edit all the same (the copy
	// is not the layer its records name), and the grader's own copy stands in.
	layerName := layerPrefix + ly.CacheID + ".tar"
	forged := resign(t, path, func(name string, d []byte) []byte {
		if name != layerName {
			return d
		}
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Name: "forged", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
		tw.Write([]byte("x\n"))
		tw.Close()
		return b.Bytes()
	}, nil)
	dest = t.TempDir()
	_, err = Extract(forged, dest, sourceFrom(sb), Options{})
	var te *TamperError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "not the layer its records name") {
		t.Fatalf("forged layer: %v, want a tamper error naming it", err)
	}
	if to, err := os.Readlink(diffAt(dest)); err != nil || to != sb.Store.DiffDir(ly.CacheID) {
		t.Fatalf("forged layer: link %q, %v; want the grader's own copy", to, err)
	}
}
