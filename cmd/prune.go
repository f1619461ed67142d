package cmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/dockling/dockling/internal/dockerapi"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// PruneOptions are the flags of container, image and system prune.
type PruneOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Force   bool
	All     bool
	Volumes bool
	Filters []string
}

// pruneStep is one part of `docker system prune`. Areas with things of their own to
// prune (networks, volumes, build cache) add a step in their own file's init.
type pruneStep struct {
	// Warning is the step's line in system prune's question, by --all.
	Warning, WarningAll string
	// VolumesOnly steps run with --volumes alone.
	VolumesOnly bool
	// Run prunes, printing what it removed, and returns the bytes freed.
	Run func(sb *sandbox.Sandbox, o *PruneOptions, w io.Writer) (int64, error)
}

// The parts of system prune, in Docker's order (networks come after containers).
var (
	pruneStepContainers = pruneStep{Warning: "all stopped containers", WarningAll: "all stopped containers", Run: pruneContainers}
	pruneStepVolumes    = pruneStep{Warning: "all volumes not used by at least one container", WarningAll: "all volumes not used by at least one container", VolumesOnly: true, Run: pruneVolumes}
	pruneStepImages     = pruneStep{Warning: "all dangling images", WarningAll: "all images without at least one container associated to them", Run: pruneImages}
	pruneStepBuildCache = pruneStep{Warning: "all dangling build cache", WarningAll: "all build cache", Run: pruneBuildCache}
	systemPruneSteps    = []pruneStep{pruneStepContainers, pruneStepVolumes, pruneStepImages, pruneStepBuildCache}
)

func pruneVolumes(sb *sandbox.Sandbox, _ *PruneOptions, w io.Writer) (int64, error) {
	names, freed, err := sb.PruneVolumes()
	if len(names) > 0 {
		fmt.Fprintf(w, "Deleted Volumes:\n%s\n\n", strings.Join(names, "\n"))
	}
	return freed, err
}

func pruneBuildCache(sb *sandbox.Sandbox, _ *PruneOptions, w io.Writer) (int64, error) {
	res, err := sb.PruneBuildCache()
	if len(res.Deleted) > 0 {
		fmt.Fprintln(w, "Deleted build cache objects:")
		for _, id := range res.Deleted {
			fmt.Fprintln(w, strings.TrimPrefix(id, "sha256:"))
		}
		fmt.Fprintln(w)
	}
	return res.Reclaimed, err
}

func pruneContainers(sb *sandbox.Sandbox, o *PruneOptions, w io.Writer) (int64, error) {
	keep, err := dockerapi.PruneFilter(o.Filters, time.Now())
	if err != nil {
		return 0, filterError(err)
	}
	p, err := sb.PruneContainers(keep)
	if len(p.Containers) > 0 {
		fmt.Fprintf(w, "Deleted Containers:\n%s\n\n", strings.Join(p.Containers, "\n"))
	}
	return p.Reclaimed, err
}

func pruneImages(sb *sandbox.Sandbox, o *PruneOptions, w io.Writer) (int64, error) {
	p, err := sb.PruneImages(o.All)
	if len(p.Images.Untagged)+len(p.Images.Deleted) > 0 {
		fmt.Fprintln(w, "Deleted Images:")
		for _, u := range p.Images.Untagged {
			fmt.Fprintf(w, "untagged: %s\n", u)
		}
		for _, d := range p.Images.Deleted {
			fmt.Fprintf(w, "deleted: %s\n", d)
		}
		fmt.Fprintln(w)
	}
	return p.Reclaimed, err
}

// runPrune asks (unless --force), runs the steps and prints the total, as Docker's.
func runPrune(o *PruneOptions, question string, steps []pruneStep) error {
	if !o.Force && !confirmPrune(o.IO, question) {
		return nil
	}
	sb, err := o.Sandbox()
	if err != nil {
		return err
	}
	var total int64
	for _, s := range steps {
		n, err := s.Run(sb, o, o.IO.Out)
		total += n
		if err != nil {
			return err
		}
	}
	// Docker's prune totals have four significant digits (its tables three).
	fmt.Fprintf(o.IO.Out, "Total reclaimed space: %s\n", units.HumanSize(float64(total)))
	return nil
}

func newPruneCmd(f *Factory, short, long, example string, setup func(*cobra.Command, *PruneOptions), run func(*PruneOptions) error) *cobra.Command {
	o := &PruneOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use: "prune [OPTIONS]", Short: short, Long: long, Example: example,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error { return run(o) },
	}
	c.Flags().BoolVarP(&o.Force, "force", "f", false, "Do not prompt for confirmation")
	if setup != nil {
		setup(c, o)
	}
	return c
}

// NewContainerPruneCmd is `docker container prune`.
func NewContainerPruneCmd(f *Factory) *cobra.Command {
	return newPruneCmd(f, "Remove all stopped containers",
		`Remove every container that is not running, with its writable layer. --filter
keeps the others: until= (made before a time or a duration ago), label=, label!=.`,
		"  docker container prune -f\n  docker container prune -f --filter until=1h\n  docker container prune -f --filter label=lesson=web",
		func(c *cobra.Command, o *PruneOptions) {
			c.Flags().StringArrayVar(&o.Filters, "filter", nil, "Provide filter values (e.g. 'until=<timestamp>')")
		},
		func(o *PruneOptions) error {
			return runPrune(o, "WARNING! This will remove all stopped containers.", []pruneStep{pruneStepContainers})
		})
}

// NewImagePruneCmd is `docker image prune`.
func NewImagePruneCmd(f *Factory) *cobra.Command {
	return newPruneCmd(f, "Remove unused images",
		`Remove dangling images: untagged ones no other image is built on. With -a, remove
every image that no container (running or not) was created from.`,
		"  docker image prune -f\n  docker image prune -a -f",
		func(c *cobra.Command, o *PruneOptions) {
			c.Flags().BoolVarP(&o.All, "all", "a", false, "Remove all unused images, not just dangling ones")
		},
		func(o *PruneOptions) error {
			q := "WARNING! This will remove all dangling images."
			if o.All {
				q = "WARNING! This will remove all images without at least one container associated to them."
			}
			return runPrune(o, q, []pruneStep{pruneStepImages})
		})
}

// NewSystemPruneCmd is `docker system prune`.
func NewSystemPruneCmd(f *Factory) *cobra.Command {
	return newPruneCmd(f, "Remove unused data",
		`Remove stopped containers and dangling images (with -a, every image no container
uses), and with --volumes the volumes no container uses.`,
		"  docker system prune -f\n  docker system prune -a --volumes -f",
		func(c *cobra.Command, o *PruneOptions) {
			c.Flags().BoolVarP(&o.All, "all", "a", false, "Remove all unused images not just dangling ones")
			c.Flags().BoolVar(&o.Volumes, "volumes", false, "Prune volumes")
		},
		func(o *PruneOptions) error {
			var steps []pruneStep
			q := "WARNING! This will remove:\n"
			for _, s := range systemPruneSteps {
				if s.VolumesOnly && !o.Volumes {
					continue
				}
				steps = append(steps, s)
				w := s.Warning
				if o.All {
					w = s.WarningAll
				}
				q += "  - " + w + "\n"
			}
			return runPrune(o, strings.TrimSuffix(q, "\n")+"\n", steps)
		})
}

// confirmPrune asks Docker's question after the warning.
func confirmPrune(ios *iostreams.IOStreams, warning string) bool {
	fmt.Fprintln(ios.Out, warning)
	return confirmYes(ios, "Are you sure you want to continue? [y/N] ")
}
