package cmd

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/spf13/cobra"
)

// build's flags land in its options, DOCKER_BUILDKIT=0 choosing the classic
// builder; PATH is required, and only one; a progress mode is one of Docker's.
func TestBuildFlags(t *testing.T) {
	t.Setenv("DOCKER_BUILDKIT", "0")
	var got *BuildOptions
	keep := func(o *BuildOptions) error { got = o; return nil }
	run := func(args ...string) (int, string) {
		ios, _, _, stderr := iostreams.Test()
		root := &cobra.Command{Use: "docker", Annotations: map[string]string{"docker": "true"}}
		root.AddCommand(NewBuildCmd(NewFactory(ios), keep))
		root.SetArgs(args)
		return Execute(context.Background(), root, ios), stderr.String()
	}
	code, _ := run("build", "-t", "a", "--tag", "b:v1", "-f", "x/Dockerfile", "--build-arg", "K=V", "--build-arg", "E",
		"--label", "l=1", "-q", "--iidfile", "id", "--no-cache", "--progress", "plain", "ctx")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := BuildOptions{IO: got.IO, Sandbox: got.Sandbox, Context: "ctx", Tags: []string{"a", "b:v1"}, File: "x/Dockerfile",
		BuildArgs: []string{"K=V", "E"}, Labels: []string{"l=1"}, Quiet: true, IIDFile: "id", NoCache: true, Progress: "plain", Classic: true}
	got.Sandbox, want.Sandbox = nil, nil
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("parsed %+v\nwant   %+v", *got, want)
	}
	if code, stderr := run("build", "--progress", "fancy", "ctx"); code == 0 || !strings.Contains(stderr, `invalid progress mode "fancy"`) {
		t.Errorf("--progress fancy: exit %d, stderr %q", code, stderr)
	}
	for _, args := range [][]string{{"build"}, {"build", "a", "b"}} {
		// A wrong number of arguments exits 1 in Docker's CLI (a bad flag, 125).
		if code, stderr := run(args...); code != exitError || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}
