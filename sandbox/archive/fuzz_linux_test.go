package archive

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzApply feeds arbitrary bytes to Apply and ApplyFlat. Whatever the input, nothing may
// panic and nothing may appear in (or vanish from) the parent outside the target dirs.
func FuzzApply(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.tar"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed corpus in %s (%v)", corpusDir, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Valid layers too, so mutations start from the success paths as well.
	f.Add(mustTar(f, diffLayer()...))
	f.Add(mustTar(f, dirEntry("d/"), reg("d/.wh.x", ""), reg("d/"+whiteoutOpaque, ""),
		reg("d/f", "data"), hardlinkEntry("g", "d/f"), symlinkEntry("s", "../../outside")))

	boundMinimizeTime(f)

	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSandbox(t, "flat")
		opts := callerOpts()
		_, err := Apply(s.layer, bytes.NewReader(data), opts)
		_, _ = ApplyFlat(filepath.Join(s.parent, "flat"), bytes.NewReader(data), opts)
		s.checkConfined(t, "flat")
		if err == nil {
			// Whatever Apply accepted, WriteDiff must be able to archive again.
			if werr := WriteDiff(io.Discard, s.layer); werr != nil && isRoot() {
				t.Errorf("WriteDiff after a successful Apply: %v", werr)
			}
		}
	})
}

// boundMinimizeTime: every exec here does real filesystem work (about a millisecond),
// so go test's default of 60s for minimizing each new-coverage input would swallow a
// whole "-fuzztime 60s" run while reporting 0 execs/sec. Unless the caller passed
// -fuzzminimizetime, cap it at a few seconds (crashers are still minimized, briefly).
func boundMinimizeTime(f *testing.F) {
	const name = "test.fuzzminimizetime"
	set := false
	flag.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	if fl := flag.Lookup(name); fl != nil && !set {
		if err := fl.Value.Set("5s"); err != nil {
			f.Logf("cannot bound %s: %v", name, err)
		}
	}
}
