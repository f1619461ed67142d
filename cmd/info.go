package cmd

import (
	"fmt"
	"os"
	goruntime "runtime"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// InfoOptions are `docker info`'s flags.
type InfoOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)
	Probe   func() runtime.Support
}

// NewInfoCmd is `docker info`.
func NewInfoCmd(f *Factory, runF func(*InfoOptions) error) *cobra.Command {
	opts := &InfoOptions{IO: f.IOStreams, Sandbox: f.Sandbox, Probe: runtime.Capabilities}
	return &cobra.Command{
		Use:   "info",
		Short: "Display system-wide information",
		Long: `Show the sandbox's data root, storage driver and counts, whether dockling runs
rootless, and what this kernel allows containers to use (user namespaces, overlay
inside a user namespace, subordinate id ranges) with how to fix what it refuses.

The storage driver is overlay2 where the kernel mounts an overlay on the data root,
else vfs, which copies the image for each container (slower, bigger, same behaviour).
Set DOCKLING_STORAGE_DRIVER=overlay2 or vfs to choose.`,
		Example: `  docker info`,
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return infoRun(opts)
		},
	}
}

func infoRun(opts *InfoOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	imgs, err := sb.Store.Images()
	if err != nil {
		return err
	}
	cs := sb.ContainerCounts()
	driver, err := sb.StorageDriver()
	if err != nil {
		return err
	}
	sup := opts.Probe()
	w := opts.IO.Out
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	fmt.Fprintln(w, "Client: dockling")
	fmt.Fprintf(w, " Version:    %s\n", version)
	fmt.Fprintln(w, "\nServer: (none: dockling is daemonless)")
	fmt.Fprintf(w, " Containers: %d\n  Running: %d\n  Paused: 0\n  Stopped: %d\n", cs.Total, cs.Running, cs.Total-cs.Running)
	fmt.Fprintf(w, " Images: %d\n", len(imgs))
	fmt.Fprintf(w, " Storage Driver: %s%s\n", driver.Name, reason(driver.Reason))
	fmt.Fprintln(w, " Logging Driver: json-file")
	fmt.Fprintln(w, " Cgroup Driver: none")
	fmt.Fprintf(w, " Docker Root Dir: %s\n", sb.Dir())
	fmt.Fprintf(w, " Rootless: %v\n", !sup.Root)
	var un unix.Utsname
	if unix.Uname(&un) == nil {
		fmt.Fprintf(w, " Kernel Version: %s\n", unix.ByteSliceToString(un.Release[:]))
	}
	fmt.Fprintf(w, " Operating System: %s\n", osName())
	fmt.Fprintf(w, " OSType: %s\n Architecture: %s\n CPUs: %d\n", goruntime.GOOS, goruntime.GOARCH, goruntime.NumCPU())
	fmt.Fprintln(w, " Kernel support:")
	fmt.Fprintf(w, "  User namespaces: %s%s\n", yes(sup.UserNS || sup.Root), reason(sup.UserNSReason))
	fmt.Fprintf(w, "  Overlay mounts%s: %s%s\n", map[bool]string{true: "", false: " in a user namespace"}[sup.Root], yes(sup.Overlay), reason(sup.OverlayReason))
	if !sup.Root {
		fmt.Fprintf(w, "  Subordinate id ranges (newuidmap): %s\n", yes(sup.NewUIDMap))
	}
	return nil
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// osName reads PRETTY_NAME from os-release.
func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return goruntime.GOOS
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return goruntime.GOOS
}
