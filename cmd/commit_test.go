package cmd

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

func runCommitForTest(t *testing.T, runF func(*CommitOptions) error, args ...string) (int, string) {
	t.Helper()
	ios, _, _, stderr := iostreams.Test()
	root := &cobra.Command{Use: "docker", Annotations: map[string]string{"docker": "true"}}
	root.AddCommand(NewCommitCmd(NewFactory(ios), runF))
	root.SetArgs(args)
	return Execute(context.Background(), root, ios), stderr.String()
}

// As Docker's CLI declares commit: flags end at the first argument.
func TestCommitFlagsEndAtTheContainer(t *testing.T) {
	var got *CommitOptions
	keep := func(o *CommitOptions) error { got = o; return nil }
	if code, _ := runCommitForTest(t, keep, "commit", "-c", "CMD x", "-m", "msg", "c1", "-abc"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got.Container != "c1" || got.Ref != "-abc" || got.Author != "" || got.Message != "msg" || !reflect.DeepEqual(got.Changes, []string{"CMD x"}) {
		t.Fatalf("parsed %+v", got)
	}
}

// Docker's client refuses a bad reference before asking its daemon: its words bare,
// exit 1.
func TestCommitBadReferenceExitsOneBare(t *testing.T) {
	for ref, want := range map[string]string{
		"-abc":     "invalid reference format\n",
		"Bad/Repo": "invalid reference format: repository name must be lowercase\n",
		"app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": "refusing to create a tag with a digest reference\n",
	} {
		code, stderr := runCommitForTest(t, nil, "commit", "c1", ref)
		if code != exitError || stderr != want {
			t.Errorf("commit c1 %s: exit %d, stderr %q; want 1, %q", ref, code, stderr, want)
		}
	}
}

// What Docker's daemon refuses (a bad change, a reference it will not tag) exits 1
// from a docker verb, 2 from dockling's own commands.
func TestRefusedChangeAndReferenceExitCodes(t *testing.T) {
	for _, err := range []error{&sandbox.ChangeError{Msg: "run is not a valid change command"}, &store.RefError{Msg: "invalid reference format"}} {
		for docker, want := range map[bool]int{true: exitError, false: exitBadInput} {
			ios, _, _, stderr := iostreams.Test()
			root := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return err }}
			if docker {
				root.Annotations = map[string]string{"docker": "true"}
			}
			root.SetArgs(nil)
			if code := Execute(context.Background(), root, ios); code != want || stderr.String() != "Error: "+err.Error()+"\n" {
				t.Errorf("%v (docker verb %v): exit %d, stderr %q; want %d", err, docker, code, stderr, want)
			}
			if !errors.Is(err, sandbox.ErrBadChange) && !errors.Is(err, store.ErrBadRef) {
				t.Errorf("%v has lost its sentinel", err)
			}
		}
	}
}
