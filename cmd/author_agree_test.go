package cmd

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockling/dockling/internal/iostreams"
)

// runDockling runs dockling in-process with args.
func runDockling(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	root := NewRootCmd(NewFactory(ios), args)
	root.SetArgs(args)
	code := Execute(context.Background(), root, ios)
	return out.String(), code
}

// author validate and author test agree over the corpus of bad lessons: both fail,
// with the same problems (the schema's side is lessons' TestValidateAndSchemaAgree).
func TestAuthorCommandsAgree(t *testing.T) {
	t.Setenv("DOCKLING_ROOT", t.TempDir())
	files, _ := filepath.Glob("../lessons/testdata/corpus/*.yaml")
	if len(files) == 0 {
		t.Fatal("no corpus")
	}
	for _, f := range files {
		vout, vcode := runDockling(t, "author", "validate", f)
		var want []string
		for _, l := range strings.Split(strings.TrimSpace(vout), "\n") {
			if !strings.Contains(l, ": warning: ") {
				want = append(want, l)
			}
		}
		tout, tcode := runDockling(t, "author", "test", "--format", "json", f)
		var res []struct{ Problems []string }
		if err := json.Unmarshal([]byte(tout), &res); err != nil || len(res) != 1 {
			t.Fatalf("%s: author test printed %q: %v", f, tout, err)
		}
		if vcode != 1 || tcode != 1 || !slices.Equal(res[0].Problems, want) {
			t.Errorf("%s: validate exit %d %q; author test exit %d %q", f, vcode, want, tcode, res[0].Problems)
		}
	}
}
