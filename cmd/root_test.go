package cmd_test

import (
	"slices"
	"testing"

	"github.com/dockling/dockling/cmd"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/spf13/cobra"
)

func names(c *cobra.Command) []string {
	var out []string
	for _, s := range c.Commands() {
		out = append(out, s.Name())
	}
	return out
}

func sub(t *testing.T, c *cobra.Command, name string) *cobra.Command {
	t.Helper()
	for _, s := range c.Commands() {
		if s.Name() == name {
			return s
		}
	}
	t.Fatalf("%s has no %s command (it has %v)", c.Name(), name, names(c))
	return nil
}

// The command tree holds what the arguments can reach: the one verb they run (and no
// completion command), or everything for help, completion and anything it does not
// recognise.
func TestRootBuildsTheCommandsArgsReach(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmd.NewFactory(ios)
	for _, tc := range []struct {
		args        []string
		top, docker []string // commands that must be there
		notTop      []string // commands that must not be built
	}{
		{args: []string{"--root", "/x", "images", "-q"}, top: []string{"images", "docker"}, notTop: []string{"ps", "run", "learn", "grade"}},
		{args: []string{"docker", "ps", "-a"}, docker: []string{"ps"}, notTop: []string{"images", "ps", "learn"}},
		{args: []string{"help"}, top: []string{"images", "ps", "run", "commit", "container"}},
		{args: []string{"__complete", "docker", "hist"}, top: []string{"images"}, docker: []string{"history", "images"}},
		{args: []string{"learn", "commit"}, top: []string{"learn", "images", "run"}},
		{args: nil, top: []string{"images", "ps", "learn", "author", "grade"}},
	} {
		root := cmd.NewRootCmd(f, tc.args)
		if oneVerb := tc.notTop != nil; root.CompletionOptions.DisableDefaultCmd != oneVerb {
			t.Errorf("%q: cobra's completion command disabled: %v, want %v", tc.args, root.CompletionOptions.DisableDefaultCmd, oneVerb)
		}
		for _, n := range tc.top {
			sub(t, root, n)
		}
		for _, n := range tc.notTop {
			if slices.Contains(names(root), n) {
				t.Errorf("%q: %s built although the arguments cannot reach it", tc.args, n)
			}
		}
		for _, n := range tc.docker {
			sub(t, sub(t, root, "docker"), n)
		}
	}
}
