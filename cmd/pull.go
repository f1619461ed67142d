package cmd

import (
	"fmt"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// PullOptions are `docker pull`'s flags.
type PullOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Image    string
	Quiet    bool
	Platform string
}

// NewPullCmd is `docker pull`.
func NewPullCmd(f *Factory, runF func(*PullOptions) error) *cobra.Command {
	opts := &PullOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Long: `Download an image for this machine's platform from Docker Hub or any OCI registry.
Without a network, hello-world and busybox are built on this machine instead.`,
		Example: `  docker pull ubuntu
  docker pull ubuntu:24.04
  docker pull localhost:5000/team/app:v1`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Image = args[0]
			if runF != nil {
				return runF(opts)
			}
			return pullRun(c, opts)
		},
	}
	c.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress verbose output")
	return c
}

func pullRun(c *cobra.Command, opts *PullOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	ref, err := store.ParseRef(opts.Image)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if !opts.Quiet {
		if !strings.Contains(opts.Image, ":") && ref.Digest == "" {
			fmt.Fprintln(out, "Using default tag: latest")
		}
		label := ref.Tag
		if label == "" {
			label = ref.Digest
		}
		fmt.Fprintf(out, "%s: Pulling from %s\n", label, remotePath(ref))
	}
	var progress func(done, total int64)
	if !opts.Quiet && opts.IO.IsStdoutTTY() {
		progress = func(done, total int64) {
			fmt.Fprintf(out, "\r%s", progressBar(done, total, 30))
		}
	}
	res, err := sb.Pull(c.Context(), opts.Image, progress)
	if progress != nil {
		fmt.Fprintln(out)
	}
	if err != nil {
		if !sandbox.CanBuild(ref) {
			return err
		}
		// Offline: the images dockling can make itself still arrive.
		if _, berr := sb.PullBuiltin(ref); berr != nil {
			return fmt.Errorf("%w; building it locally also failed: %v", err, berr)
		}
		if !opts.Quiet {
			fmt.Fprintf(out, "Registry unreachable; built %s on this machine instead.\n", ref)
			fmt.Fprintf(out, "Status: Image is up to date for %s\n", ref)
		}
		fmt.Fprintln(out, ref.String())
		return nil
	}
	if !opts.Quiet {
		fmt.Fprintf(out, "Digest: %s\n", res.Digest)
		fmt.Fprintf(out, "Status: Downloaded newer image for %s\n", ref)
	}
	fmt.Fprintln(out, ref.Remote())
	return nil
}

// remotePath is the repository as Docker prints it in "Pulling from library/ubuntu".
func remotePath(ref store.Ref) string {
	if ref.Domain == "" && !strings.Contains(ref.Path, "/") {
		return "library/" + ref.Path
	}
	return ref.Path
}

// progressBar draws "[=====>     ]  12.3MB/45.6MB".
func progressBar(done, total int64, width int) string {
	if total <= 0 {
		return humanSize(done)
	}
	n := int(float64(width) * float64(done) / float64(total))
	if n > width {
		n = width
	}
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("[%s] %8s/%s", bar, humanSize(done), humanSize(total))
}
