package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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
	dir, err := sandbox.Dir(dataRoot, name)
	if err != nil {
		return nil, err
	}
	return &realSandbox{dir: dir}, nil
}

type realSandbox struct{ dir string }

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

func (r *realSandbox) Prepare(ctx context.Context, images []Image, log io.Writer) error {
	if len(images) == 0 {
		return nil
	}
	sb, err := sandbox.Open(r.dir)
	if err != nil {
		return err
	}
	var problems []error
	for _, im := range images {
		if _, err := sb.Store.Lookup(im.Ref); err == nil {
			continue
		}
		ref, err := store.ParseRef(im.Ref)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if sandbox.CanBuild(ref) {
			fmt.Fprintf(log, "Making the built-in image %s…\n", ref)
			if _, err := sb.PullBuiltin(ref); err != nil {
				problems = append(problems, err)
			}
			continue
		}
		fmt.Fprintf(log, "Pulling %s…\n", ref)
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if im.Standin != "" {
			pctx, cancel = context.WithTimeout(ctx, pullTimeout)
		}
		_, perr := sb.Pull(pctx, im.Ref, nil)
		cancel()
		if perr == nil {
			continue
		}
		if im.Standin == "" {
			how := im.Missing
			if how == "" {
				how = fmt.Sprintf("This lesson needs the real %s: pull it when online (docker pull %s) or load it from an archive (docker load -i FILE) at this lesson's prompt.", ref, ref)
			}
			if im.Optional {
				fmt.Fprintf(log, "%s is not here (%v). %s\n", ref, perr, how)
				continue
			}
			problems = append(problems, fmt.Errorf("%w\n%s", perr, how))
			continue
		}
		if _, err := sb.AddStandin(ref, im.Standin); err != nil {
			problems = append(problems, err)
			continue
		}
		fmt.Fprintf(log, "Could not pull %s, so %s is a stand-in built from this host (%s), not the real image.\n", ref, ref, im.Standin)
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("preparing the lesson's images: %w", err)
	}
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
