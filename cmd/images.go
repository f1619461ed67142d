package cmd

import (
	"time"

	"github.com/dockling/dockling/internal/dockerapi"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// ImagesOptions are `docker images`'s flags.
type ImagesOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Repository string
	All        bool
	Quiet      bool
	NoTrunc    bool
	Digests    bool
	Format     string
	Filters    []string
}

var imagesFormat = listFormat{
	Default: "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
	Quiet:   "{{.ID}}",
	Headers: map[string]string{
		"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED",
		"CreatedAt": "CREATED AT", "Size": "SIZE", "Digest": "DIGEST", "Containers": "CONTAINERS",
		"SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "VirtualSize": "SIZE",
	},
}

// NewImagesCmd is `docker images` (and `docker image ls`).
func NewImagesCmd(f *Factory, runF func(*ImagesOptions) error) *cobra.Command {
	opts := &ImagesOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Long: `List the images in this sandbox: one row per tag, newest first.

IMAGE ID is the start of the sha256 of the image's config file, the file you find under
image/overlay2/imagedb/content/sha256/ in the data root. SIZE adds up the image's layers.`,
		Example: `  docker images
  docker images ubuntu
  docker images -q
  docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}'
  docker images --format json`,
		Args: rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Repository = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return imagesRun(opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.All, "all", "a", false, "Show all images (default hides intermediate images)")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "Only show image IDs")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "Don't truncate output")
	fl.BoolVar(&opts.Digests, "digests", false, "Show digests")
	fl.StringVar(&opts.Format, "format", "", "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template")
	fl.StringArrayVarP(&opts.Filters, "filter", "f", nil, "Filter output based on conditions provided (dangling=true|false, reference=PATTERN)")
	return c
}

func imagesRun(opts *ImagesOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	list, err := sb.Images()
	if err != nil {
		return err
	}
	match, err := dockerapi.ImageFilter(opts.Repository, opts.Filters)
	if err != nil {
		return filterError(err)
	}
	ro := &dockerapi.RowOptions{Now: time.Now(), NoTrunc: opts.NoTrunc}
	var rows []any
	seen := map[string]bool{}
	for _, im := range list {
		if !match(im) || (im.Intermediate && !opts.All) {
			continue
		}
		if opts.Quiet {
			// -q prints each image once, however many tags it has.
			if seen[im.ID] {
				continue
			}
			seen[im.ID] = true
		}
		rows = append(rows, dockerapi.NewImageRow(ro, im))
	}
	lf := imagesFormat
	if opts.Digests {
		lf.Default = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	}
	return lf.render(opts.IO.Out, opts.Format, opts.Quiet, rows)
}
