package lessons_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files from what Validate reports")

// TestValidateGolden checks what `author validate` reports for each
// testdata/NAME.yaml that has a NAME.golden: every problem, one per line, sorted.
func TestValidateGolden(t *testing.T) {
	goldens, err := filepath.Glob("testdata/*.golden")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, golden := range goldens {
		name := strings.TrimSuffix(filepath.Base(golden), ".golden")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, problems := lessons.Validate(name+".yaml", src, lessons.ValidateOptions{Builtin: sandbox.CanBuildName})
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("validating took %v", d)
			}
			var b strings.Builder
			for _, p := range problems {
				b.WriteString(p.String() + "\n")
			}
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("got:\n%swant:\n%s", b.String(), want)
			}
		})
	}
}
