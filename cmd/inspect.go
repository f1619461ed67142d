package cmd

import (
	"errors"
	"fmt"

	"github.com/dockling/dockling/internal/dockerapi"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// InspectOptions are `docker inspect`'s flags.
type InspectOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Names  []string
	Format string
	Type   string // "", "image" or "container"
}

// NewInspectCmd is `docker inspect`.
func NewInspectCmd(f *Factory, runF func(*InspectOptions) error) *cobra.Command {
	opts := &InspectOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on Docker objects",
		Long: `Print what dockling knows about containers or images as a JSON array, or
through a Go template given with --format.`,
		Example: `  docker inspect ubuntu
  docker inspect --format '{{.Config.Cmd}}' ubuntu
  docker inspect -f '{{json .RootFS.Layers}}' hello-world`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Names = args
			if runF != nil {
				return runF(opts)
			}
			return inspectRun(opts)
		},
	}
	c.Flags().StringVarP(&opts.Format, "format", "f", "", "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template")
	c.Flags().StringVar(&opts.Type, "type", "", "Only inspect objects of the given type (container, image)")
	return c
}

// NewImageInspectCmd is `docker image inspect`.
func NewImageInspectCmd(f *Factory) *cobra.Command {
	c := NewInspectCmd(f, nil)
	c.Use = "inspect [OPTIONS] IMAGE [IMAGE...]"
	c.Short = "Display detailed information on one or more images"
	c.Example = `  docker image inspect ubuntu
  docker image inspect -f '{{.Config.Cmd}}' ubuntu`
	c.Flags().Lookup("type").Value.Set("image")
	c.Flags().MarkHidden("type")
	return c
}

// inspectors find an object by name; each returns store.ErrNoSuchImage-like
// errors when it does not know the name, so the next one can try.
var inspectors = map[string]func(sb *sandbox.Sandbox, name string) (any, error){
	"image": inspectImage,
}

// inspectOrder is the order `docker inspect` tries object kinds.
var inspectOrder = []string{"container", "image"}

func inspectRun(opts *InspectOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	var values []any
	var missing []string
	for _, name := range opts.Names {
		v, err := inspectOne(sb, opts.Type, name)
		if err != nil {
			if errors.Is(err, errNoSuchObject) {
				missing = append(missing, name)
				continue
			}
			return err
		}
		values = append(values, v)
	}
	if opts.Format != "" {
		if err := renderEach(opts.IO.Out, opts.Format, values); err != nil {
			return err
		}
	} else if err := writeJSONArray(opts.IO.Out, values); err != nil {
		return err
	}
	if len(missing) > 0 {
		what := "object"
		if opts.Type != "" {
			what = opts.Type
		}
		for _, m := range missing {
			fmt.Fprintf(opts.IO.ErrOut, "Error: No such %s: %s\n", what, m)
		}
		return &ExitError{Code: exitError}
	}
	return nil
}

var errNoSuchObject = errors.New("no such object")

func inspectOne(sb *sandbox.Sandbox, kind, name string) (any, error) {
	kinds := inspectOrder
	if kind != "" {
		if _, ok := inspectors[kind]; !ok {
			return nil, &FlagError{Err: fmt.Errorf("%q is not a valid value for --type", kind)}
		}
		kinds = []string{kind}
	}
	for _, k := range kinds {
		fn, ok := inspectors[k]
		if !ok {
			continue
		}
		v, err := fn(sb, name)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, store.ErrNoSuchImage) && !errors.Is(err, sandbox.ErrNoSuchContainer) {
			return nil, err
		}
	}
	return nil, errNoSuchObject
}

func inspectImage(sb *sandbox.Sandbox, name string) (any, error) {
	// Typed, as Docker's CLI first runs a template on its own types ({{.Size}} is a
	// number, {{.Config.Cmd}} of none is []); renderEach falls back to the JSON
	// document's names where the type has none ({{.Id}}), as Docker's does.
	return dockerapi.InspectImage(sb, name)
}
