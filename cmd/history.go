package cmd

import (
	"strconv"
	"strings"
	"time"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// HistoryOptions are `docker history`'s flags.
type HistoryOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Image   string
	Human   bool
	Quiet   bool
	NoTrunc bool
	Format  string
}

type historyRow struct {
	ID           string
	CreatedSince string
	CreatedAt    string
	CreatedBy    string
	Size         string
	Comment      string
}

var historyFormat = listFormat{
	Default: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
	Quiet:   "{{.ID}}",
	Headers: map[string]string{
		"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
		"CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT",
	},
}

// NewHistoryCmd is `docker history`.
func NewHistoryCmd(f *Factory, runF func(*HistoryOptions) error) *cobra.Command {
	opts := &HistoryOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Long: `Show how an image was made, newest step first: each row is one entry of the
image config's history[] (its created_by command). Rows that added files show the
layer's size; IMAGE is <missing> where no local image corresponds to that step.`,
		Example: `  docker history ubuntu
  docker history --no-trunc hello-world
  docker history --format '{{.CreatedBy}}' ubuntu`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Image = args[0]
			if runF != nil {
				return runF(opts)
			}
			return historyRun(opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.Human, "human", "H", true, "Print sizes and dates in human readable format")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "Only show image IDs")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "Don't truncate output")
	fl.StringVar(&opts.Format, "format", "", "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
	return c
}

func historyRun(opts *HistoryOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	hist, err := sb.History(opts.Image)
	if err != nil {
		return err
	}
	now := time.Now()
	var rows []any
	for _, h := range hist {
		r := historyRow{
			ID:           h.ID,
			CreatedSince: since(now, h.Created),
			CreatedAt:    h.Created.Format(time.RFC3339),
			CreatedBy:    h.CreatedBy,
			Size:         humanSize(h.Size),
			Comment:      h.Comment,
		}
		if !opts.Human {
			r.CreatedSince = r.CreatedAt
			r.Size = strconv.FormatInt(h.Size, 10)
		}
		if !opts.NoTrunc {
			if r.ID != "<missing>" {
				r.ID = store.ShortID(r.ID)
			}
			// One row per entry: Dockerfile continuations and tabs become spaces.
			r.CreatedBy = ellipsis(strings.NewReplacer("\t", " ", "\r\n", " ", "\n", " ").Replace(r.CreatedBy), 45)
		}
		rows = append(rows, r)
	}
	return historyFormat.render(opts.IO.Out, opts.Format, opts.Quiet, rows)
}
