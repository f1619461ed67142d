package cmd

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
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

// imageRow is one row of the images table; its fields are the --format names.
type imageRow struct {
	Containers   string
	CreatedAt    string
	CreatedSince string
	Digest       string
	ID           string
	Repository   string
	SharedSize   string
	Size         string
	Tag          string
	UniqueSize   string
	VirtualSize  string
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
	match, err := imageFilter(opts)
	if err != nil {
		return err
	}
	now := time.Now()
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
		r := imageRow{
			Containers: "N/A", SharedSize: "N/A", UniqueSize: "N/A",
			CreatedAt:    im.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
			CreatedSince: since(now, im.Created),
			Digest:       "<none>",
			ID:           store.ShortID(im.ID),
			Repository:   im.Repository,
			Size:         humanSize(im.Size),
			Tag:          im.Tag,
			VirtualSize:  humanSize(im.Size),
		}
		if im.Digest != "" {
			r.Digest = im.Digest
		}
		if opts.NoTrunc {
			r.ID = im.ID
		}
		rows = append(rows, r)
	}
	lf := imagesFormat
	if opts.Digests {
		lf.Default = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	}
	return lf.render(opts.IO.Out, opts.Format, opts.Quiet, rows)
}

// imageFilter builds the row filter from the REPOSITORY[:TAG] argument and --filter.
func imageFilter(opts *ImagesOptions) (func(sandbox.ImageSummary) bool, error) {
	var checks []func(sandbox.ImageSummary) bool
	refMatch := func(pattern string) func(sandbox.ImageSummary) bool {
		return func(im sandbox.ImageSummary) bool {
			name := im.Repository + ":" + im.Tag
			if ok, _ := path.Match(pattern, im.Repository); ok {
				return true
			}
			ok, _ := path.Match(pattern, name)
			return ok
		}
	}
	if opts.Repository != "" {
		checks = append(checks, refMatch(opts.Repository))
	}
	for _, f := range opts.Filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, &FlagError{Err: fmt.Errorf("bad format of filter (expected name=value)")}
		}
		switch k {
		case "dangling":
			want := v == "true" || v == "1"
			checks = append(checks, func(im sandbox.ImageSummary) bool { return (im.Repository == "<none>") == want })
		case "reference":
			checks = append(checks, refMatch(v))
		default:
			return nil, &FlagError{Err: fmt.Errorf("invalid filter '%s'", k)}
		}
	}
	return func(im sandbox.ImageSummary) bool {
		for _, c := range checks {
			if !c(im) {
				return false
			}
		}
		return true
	}, nil
}
