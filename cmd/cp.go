package cmd

import (
	"errors"
	"io"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// CpOptions are `docker cp`'s.
type CpOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Src, Dest  string
	FollowLink bool
	Archive    bool
}

// NewCpCmd is `docker cp`.
func NewCpCmd(f *Factory, runF func(*CpOptions) error) *cobra.Command {
	opts := &CpOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n  docker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Long: `Copy files or folders out of a container or into it, running or stopped. Paths in
the container are resolved inside it: its symbolic links never lead out of it.
A folder that exists receives the copy; otherwise the copy takes the new name.
"-" streams a tar archive: to stdout when copying out, from stdin when copying in.`,
		Example: `  docker cp web:/etc/hostname .
  docker cp notes.txt web:/tmp/
  docker cp web:/var/log - > logs.tar
  docker cp site/. web:/srv`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Src, opts.Dest = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return cpRun(opts)
		},
	}
	c.Flags().BoolVarP(&opts.FollowLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	c.Flags().BoolVarP(&opts.Archive, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	return c
}

// splitCpArg splits CONTAINER:PATH as Docker's CLI does: a path that starts with
// "/" or "." is local, whatever colons it holds.
func splitCpArg(arg string) (container, p string) {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	name, p, ok := strings.Cut(arg, ":")
	if !ok {
		return "", arg
	}
	return name, p
}

var (
	errCpBothContainers = errors.New("copying between containers is not supported")
	errCpNoContainer    = errors.New("must specify at least one container source")
)

func cpRun(opts *CpOptions) error {
	srcC, srcPath := splitCpArg(opts.Src)
	dstC, dstPath := splitCpArg(opts.Dest)
	switch {
	case srcC != "" && dstC != "":
		return &FlagError{Err: errCpBothContainers}
	case srcC == "" && dstC == "":
		return &FlagError{Err: errCpNoContainer}
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	co := sandbox.CopyOptions{FollowLink: opts.FollowLink, Archive: opts.Archive}
	if srcC != "" {
		if dstPath == "-" {
			return sb.CopyFromContainer(srcC, srcPath, co, opts.IO.Out)
		}
		return pipeCopy(func(w io.Writer) error { return sb.CopyFromContainer(srcC, srcPath, co, w) },
			func(r io.Reader) error { return sandbox.PlaceHostCopy(r, dstPath) })
	}
	if srcPath == "-" {
		return sb.CopyToContainer(dstC, dstPath, co, true, opts.IO.In)
	}
	return pipeCopy(func(w io.Writer) error { return sandbox.TarHostPath(w, srcPath, opts.FollowLink) },
		func(r io.Reader) error { return sb.CopyToContainer(dstC, dstPath, co, false, r) })
}

// pipeCopy runs write and read on the two ends of a pipe; the first failure wins.
func pipeCopy(write func(io.Writer) error, read func(io.Reader) error) error {
	pr, pw := io.Pipe()
	werr := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err)
		werr <- err
	}()
	rerr := read(pr)
	pr.CloseWithError(errors.New("the copy was not taken"))
	if err := <-werr; err != nil {
		return err
	}
	return rerr
}
