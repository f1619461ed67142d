package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/build"
	"github.com/spf13/cobra"
)

// BuildOptions are `docker build`'s flags.
type BuildOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Context   string
	Tags      []string
	File      string
	BuildArgs []string
	Labels    []string
	Quiet     bool
	IIDFile   string
	NoCache   bool
	Target    string
	Progress  string
	// Classic is DOCKER_BUILDKIT=0: the classic builder's output.
	Classic bool
}

// NewBuildCmd is `docker build` (and `docker image build`).
func NewBuildCmd(f *Factory, runF func(*BuildOptions) error) *cobra.Command {
	opts := &BuildOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "build [OPTIONS] PATH | -",
		Short: "Build an image from a Dockerfile",
		Long: `Build an image from the Dockerfile in PATH, the build context: a folder whose files
COPY and ADD can use (less what .dockerignore leaves out); "-" reads a Dockerfile
(with no context) or a context as a tar from stdin. Each instruction makes one
image on top of the one before: RUN runs its command in a container, confined as
"docker run" confines it, and keeps what it changed as a layer; COPY and ADD add the
context's files as a layer; CMD, ENV, WORKDIR and the others change the config;
"docker history" then shows each instruction.

The progress is BuildKit's, on standard error: on a terminal its display of one
line a step ("=> CACHED [2/4] RUN ..."), else (or with --progress=plain) its plain
log ("#5 [2/4] RUN ...", each output line with its time, CACHED or DONE 0.3s). With DOCKER_BUILDKIT=0 it is the
classic builder's, on standard output ("Step 1/5 : FROM busybox", " ---> Using
cache"), and a failed RUN makes the build exit with the command's own code.`,
		Example: `  docker build -t myimage .
  docker build -t myimage:v2 -f docker/Dockerfile .
  docker build --build-arg VERSION=1.2 --label team=web -t web .
  docker build -q --iidfile id.txt .
  docker build --target builder -t app:build .
  docker build -t fromstdin - < Dockerfile
  docker build --progress=plain -t myimage .
  DOCKER_BUILDKIT=0 docker build -t myimage .`,
		Args: exactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs // the context is a folder
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Context = args[0]
			opts.Classic = classicBuilder(os.Getenv("DOCKER_BUILDKIT"))
			if !validProgress[opts.Progress] {
				return fmt.Errorf("invalid progress mode %q: use auto, plain, tty or quiet", opts.Progress)
			}
			if runF != nil {
				return runF(opts)
			}
			return runBuild(c, opts)
		},
	}
	fl := c.Flags()
	fl.StringArrayVarP(&opts.Tags, "tag", "t", nil, `Name and optionally a tag in the "name:tag" format`)
	fl.StringVarP(&opts.File, "file", "f", "", `Name of the Dockerfile (default: "PATH/Dockerfile")`)
	fl.StringArrayVar(&opts.BuildArgs, "build-arg", nil, "Set build-time variables (KEY=VALUE, or KEY to take it from the environment)")
	fl.StringArrayVar(&opts.Labels, "label", nil, "Set metadata for an image (KEY=VALUE)")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	fl.StringVar(&opts.IIDFile, "iidfile", "", "Write the image ID to the file")
	fl.StringVar(&opts.Target, "target", "", "Set the target build stage to build")
	fl.BoolVar(&opts.NoCache, "no-cache", false, "Do not use cache when building the image")
	fl.StringVar(&opts.Progress, "progress", "auto", `Type of progress output ("auto", "plain", "tty", "quiet"); "auto" is "tty" on a terminal, else "plain"`)
	return c
}

var validProgress = map[string]bool{"auto": true, "plain": true, "tty": true, "quiet": true}

// classicBuilder reads DOCKER_BUILDKIT as Docker's CLI does: 0 or false
// chooses the classic builder.
func classicBuilder(env string) bool {
	on, err := strconv.ParseBool(env)
	return err == nil && !on
}

func runBuild(c *cobra.Command, opts *BuildOptions) error {
	if opts.Context == "-" {
		// A Dockerfile, or a context as a tar, on stdin.
		dir, err := build.StdinContext(opts.IO.In, "")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		opts.Context = dir
	}
	if fi, err := os.Stat(opts.Context); err != nil || !fi.IsDir() {
		return fmt.Errorf("unable to prepare context: path %q not found", opts.Context)
	}
	if opts.IIDFile != "" {
		// Docker removes an old ID file first, so a failed build leaves none.
		if err := os.Remove(opts.IIDFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing image ID file: %w", err)
		}
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	file := opts.File
	if file != "" && !filepath.IsAbs(file) {
		// Docker's CLI reads -f relative to the working directory.
		file, _ = filepath.Abs(file)
	}
	progress := build.ProgressPlain
	switch {
	case opts.Classic:
		progress = build.ProgressClassic
	case opts.Progress == "tty", opts.Progress == "auto" && opts.IO.IsStderrTTY():
		progress = build.ProgressTTY
	}
	opts.Quiet = opts.Quiet || (opts.Progress == "quiet" && !opts.Classic)
	id, err := build.Build(sb, build.Options{
		ContextDir: opts.Context, Dockerfile: file, Tags: opts.Tags, BuildArgs: opts.BuildArgs,
		Labels: opts.Labels, NoCache: opts.NoCache, Target: opts.Target, Quiet: opts.Quiet, Progress: progress,
		Out: opts.IO.Out, Err: opts.IO.ErrOut, Context: c.Context(),
	})
	if err != nil {
		return buildError(opts.IO, err, progress)
	}
	if opts.IIDFile != "" {
		if err := os.WriteFile(opts.IIDFile, []byte(id), 0o644); err != nil {
			return fmt.Errorf("writing image ID file: %w", err)
		}
	}
	if opts.Quiet {
		fmt.Fprintln(opts.IO.Out, id)
	}
	return nil
}

// buildError words a failed build as Docker's CLI does: a failed RUN exits with
// its command's code in the classic builder, 1 in BuildKit; a syntax error shows
// the Dockerfile's lines.
func buildError(ios *iostreams.IOStreams, err error, progress build.Progress) error {
	var re *build.RunError
	if errors.As(err, &re) && progress == build.ProgressClassic {
		fmt.Fprintln(ios.ErrOut, re)
		return &ExitError{Code: re.Code}
	}
	if errors.As(err, &re) {
		// BuildKit's CLI fails with 1, whatever the command's code.
		fmt.Fprintf(ios.ErrOut, "%sERROR: failed to solve: %s\n", re.Excerpt, re.Process())
		return &ExitError{Code: exitError}
	}
	var se *build.SyntaxError
	if errors.As(err, &se) {
		return bareMessage(se.Error())
	}
	return err
}
