package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/dockling/dockling/sandbox/store"
)

// Sandbox is the session's handle on the lesson's sandbox.
type Sandbox interface {
	// Dir is the sandbox's folder (its journal.jsonl is there).
	Dir() string
	// Capture is what the sandbox holds now, for the journal and for step resets.
	Capture() journal.State
	// Prepare makes sure the lesson's images are there, saying what it does on log.
	Prepare(ctx context.Context, images []Image, log io.Writer) error
	// RemoveExcept force-removes every container and image not listed (what a step
	// made) and says what it removed.
	RemoveExcept(containers, images []string) (removed []string, err error)
	// Destroy kills and removes every container, then deletes the whole sandbox.
	Destroy() error
}

// OpenSandbox is the real Sandbox for the lesson sandbox name under dataRoot. The
// sandbox is opened afresh for each call, so a destroyed one comes back empty.
func OpenSandbox(dataRoot, name string) (Sandbox, error) {
	return OpenLessonSandbox(dataRoot, name, PrepareOptions{})
}

// PrepareOptions say where Prepare may look for a lesson's images and what else the
// lesson needs.
type PrepareOptions struct {
	// ImageDirs are folders of image archives (docker save tars) to load missing
	// images from; $DOCKLING_IMAGES names more.
	ImageDirs []string
	// Network: the lesson needs the network while it runs, so Prepare checks that
	// the registry or the package archives can be reached, and says so plainly
	// when none can.
	Network bool
	// NoSandboxCopies: never copy images from the data root's other sandboxes. A
	// grader sets it, since those may be the learners' sandboxes being graded: their
	// images are theirs to change, and opening them would write into them.
	NoSandboxCopies bool
	// Probe checks that the network is there (nil: reach Docker Hub's registry or
	// the package archives).
	Probe func(context.Context) error
	// Pull fetches an image from its registry (nil: sandbox.Pull); tests replace it.
	Pull func(ctx context.Context, sb *sandbox.Sandbox, ref string) error
}

// OpenLessonSandbox is OpenSandbox with options for Prepare.
func OpenLessonSandbox(dataRoot, name string, opts PrepareOptions) (Sandbox, error) {
	dir, err := sandbox.Dir(dataRoot, name)
	if err != nil {
		return nil, err
	}
	return &realSandbox{dir: dir, root: dataRoot, opts: opts}, nil
}

type realSandbox struct {
	dir, root string
	opts      PrepareOptions
}

func (r *realSandbox) Dir() string { return r.dir }

func (r *realSandbox) Capture() journal.State {
	sb, err := sandbox.Open(r.dir)
	if err != nil {
		return journal.State{}
	}
	return journal.Capture(sb)
}

// pullTimeout bounds a pull when a stand-in could take over: offline, the learner
// should not wait long for it.
const pullTimeout = 30 * time.Second

// ErrNetwork: the lesson needs the network and none of its usual hosts can be reached.
var ErrNetwork = errors.New("this lesson needs the network")

// MissingImageError: a lesson's image could not be had (or only its stand-in is
// here, and the lesson needs the real one).
type MissingImageError struct {
	Ref     string
	Standin bool  // the sandbox holds dockling's stand-in under this name
	Err     error // why pulling failed
	How     string
}

func (e *MissingImageError) Error() string {
	what := "is not in this lesson's sandbox"
	if e.Standin {
		what = "in this lesson's sandbox is dockling's stand-in, built from this computer's own programs, not the real image"
	}
	msg := fmt.Sprintf("%s %s, and this lesson needs the real one", e.Ref, what)
	if e.Err != nil {
		msg += fmt.Sprintf(" (%v)", e.Err)
	}
	return msg + ".\n" + e.How
}

func (e *MissingImageError) Unwrap() error { return e.Err }

// howToGet says how to get the real image at the lesson's own prompt, where docker
// is dockling acting on this sandbox, and the lesson's own words after that.
func howToGet(ref store.Ref, lessonText string) string {
	name := ref.String()
	if ref.Tag == "latest" && ref.Digest == "" {
		name = ref.Repo()
	}
	how := "Get it at this lesson's prompt (there docker is dockling, working in this lesson's sandbox; another terminal would not do), then carry on with the lesson:\n"
	for _, w := range [][2]string{
		{"docker pull " + name, "with a network"},
		{"docker load -i FILE", "from an archive made with docker save " + name + " -o FILE"},
		{"docker import ROOTFS.tar " + name, "from a root file system tarball"},
	} {
		how += fmt.Sprintf("  %-36s %s\n", w[0], w[1])
	}
	if advice := rootfsAdvice(ref, readHostRelease()); advice != "" {
		how += "\n" + advice
	}
	if lessonText = strings.TrimSpace(lessonText); lessonText != "" {
		how += "\n" + lessonText + "\n"
	}
	return how
}

// Prepare makes the lesson's images ready. A missing image (or a stand-in where the
// lesson needs the real image) is looked for in order: this sandbox, the learner's
// other sandboxes under the same data root (the default one first), the archive
// folders; then a built-in image is made, the image pulled, and, when the lesson
// allows one and the pull failed, its stand-in built and announced.
func (r *realSandbox) Prepare(ctx context.Context, images []Image, log io.Writer) error {
	var problems []error
	if r.opts.Network {
		probe := r.opts.Probe
		if probe == nil {
			probe = probeNetwork
		}
		if err := probe(ctx); err != nil {
			problems = append(problems, fmt.Errorf("%w (it downloads while it runs), and neither Docker Hub nor the Ubuntu and Debian package mirrors can be reached: %v. Connect this computer to the network, then carry on; the steps that download fail until then", ErrNetwork, err))
		}
	}
	if len(images) == 0 {
		return joinPrepare(problems)
	}
	sb, err := sandbox.Open(r.dir)
	if err != nil {
		return err
	}
	for _, im := range images {
		if err := r.prepareImage(ctx, sb, im, log); err != nil {
			problems = append(problems, err)
		}
	}
	return joinPrepare(problems)
}

func joinPrepare(problems []error) error {
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("preparing the lesson: %w", err)
	}
	return nil
}

func (r *realSandbox) prepareImage(ctx context.Context, sb *sandbox.Sandbox, im Image, log io.Writer) error {
	ref, err := store.ParseRef(im.Ref)
	if err != nil {
		return err
	}
	wantReal := im.Standin == ""
	img, err := sb.Store.Lookup(ref.String())
	standinHere := err == nil && isStandin(img, ref)
	if err == nil && (!standinHere || !wantReal) {
		return nil
	}
	if standinHere {
		fmt.Fprintf(log, "%s here is dockling's stand-in, and this lesson needs the real image: looking for it…\n", ref)
	}
	// A built-in image is made here, from this host, rather than copied: that is
	// quick and needs no trust in another sandbox's copy.
	if sandbox.CanBuild(ref) {
		fmt.Fprintf(log, "Making the built-in image %s…\n", ref)
		_, err := sb.PullBuiltin(ref)
		return err
	}
	if !r.opts.NoSandboxCopies {
		if _, err := copyFromSandboxes(sb, r.root, ref, log); err == nil {
			return nil
		} else if !errors.Is(err, errNotFound) {
			fmt.Fprintf(log, "%v\n", err)
		}
	}
	if path, err := loadFromDirs(sb, imageDirs(r.opts.ImageDirs), ref); err == nil {
		fmt.Fprintf(log, "Loaded %s from %s.\n", ref, path)
		return nil
	} else if !errors.Is(err, errNotFound) {
		fmt.Fprintf(log, "%v\n", err)
	}
	fmt.Fprintf(log, "Pulling %s…\n", ref)
	pctx, cancel := ctx, context.CancelFunc(func() {})
	if im.Standin != "" {
		pctx, cancel = context.WithTimeout(ctx, pullTimeout)
	}
	pull := r.opts.Pull
	if pull == nil {
		pull = func(ctx context.Context, sb *sandbox.Sandbox, ref string) error {
			_, err := sb.Pull(ctx, ref, nil)
			return err
		}
	}
	perr := pull(pctx, sb, ref.String())
	cancel()
	if perr == nil {
		return nil
	}
	if wantReal {
		missing := &MissingImageError{Ref: ref.String(), Standin: standinHere, Err: perr, How: howToGet(ref, im.Missing)}
		if im.Optional {
			fmt.Fprintf(log, "%v\n", missing)
			return nil
		}
		return missing
	}
	if _, err := sb.AddStandin(ref, im.Standin); err != nil {
		return err
	}
	fmt.Fprintf(log, "Could not pull %s, so %s is a stand-in built from this host (%s), not the real image.\n", ref, ref, im.Standin)
	return nil
}

func (r *realSandbox) RemoveExcept(keepContainers, keepImages []string) ([]string, error) {
	sb, err := sandbox.Open(r.dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var problems []error
	cs, err := sb.Containers()
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if slices.Contains(keepContainers, c.ID) {
			continue
		}
		if _, err := sb.Remove(c.ID, true); err != nil {
			problems = append(problems, err)
			continue
		}
		removed = append(removed, "container "+c.ShortName())
	}
	// Images committed from others go first; repeat while that frees more.
	for {
		imgs, err := sb.Store.Images()
		if err != nil {
			return removed, err
		}
		progress := false
		var last error
		for _, img := range imgs {
			if slices.Contains(keepImages, img.ID) {
				continue
			}
			if _, err := sb.RemoveImage(img.ID, true); err != nil {
				last = err
				continue
			}
			removed = append(removed, "image "+store.ShortID(img.ID))
			progress = true
		}
		if !progress {
			if last != nil {
				problems = append(problems, last)
			}
			break
		}
	}
	return removed, errors.Join(problems...)
}

// Trim makes the sandbox as a new one that holds only the images keep (IDs), each
// tagged only with the refs among want: every container, every other image and tag,
// and the journal go. It reports whether it could; when not, the caller destroys the
// sandbox instead.
func (r *realSandbox) Trim(keep, want []string) error {
	if _, err := r.RemoveExcept(nil, keep); err != nil {
		return err
	}
	sb, err := sandbox.Open(r.dir)
	if err != nil {
		return err
	}
	tags, err := sb.Store.Tags()
	if err != nil {
		return err
	}
	for _, refs := range tags {
		for _, ref := range refs {
			if slices.Contains(want, ref.String()) {
				continue
			}
			// A tag a solution added to a kept image (docker tag ubuntu mine).
			if _, err := sb.RemoveImage(ref.String(), false); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(journal.Path(r.dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (r *realSandbox) Destroy() error {
	if _, err := os.Stat(r.dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	sb, err := sandbox.Open(r.dir)
	if err != nil {
		return err
	}
	cs, err := sb.Containers()
	if err != nil {
		return err
	}
	for _, c := range cs {
		// Kill first, so nothing keeps writing into the folder being deleted.
		if _, err := sb.Remove(c.ID, true); err != nil {
			return fmt.Errorf("resetting the sandbox: %w", err)
		}
	}
	if err := os.RemoveAll(r.dir); err != nil {
		return fmt.Errorf("resetting the sandbox: %w", err)
	}
	return nil
}
