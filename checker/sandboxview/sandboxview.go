// Package sandboxview shows a dockling sandbox to the checker: New wraps an open
// *sandbox.Sandbox, Open a sandbox folder, as a checker.View.
//
// Everything is read from the sandbox's own records and files; nothing is mounted.
// Only Exec runs anything: in a running container, or in a fresh container of an
// image that is removed afterwards.
package sandboxview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/dockling/dockling/sandbox/runtime"
)

// View is a sandbox seen through checker.View.
type View struct {
	sb   *sandbox.Sandbox
	opts Options
}

var _ checker.View = (*View)(nil)

// Options say how exec checks run their commands.
type Options struct {
	// NetworkNone runs exec checks' fresh containers without a network. A grader
	// sets it: the image and command are the learner's, the machine is not. A
	// learner's own view keeps the host network, as their docker run has.
	NetworkNone bool
	// Untrusted mounts exec checks' containers' layers nosuid and nodev: a
	// grader's, as the layers are someone else's.
	Untrusted bool
}

// Grading are the options of a view that grades someone else's sandbox.
var Grading = Options{NetworkNone: true, Untrusted: true}

// New shows sb, the learner's own sandbox, to the checker: exec checks' fresh
// containers get the host network, like the learner's docker run.
func New(sb *sandbox.Sandbox) *View { return &View{sb: sb} }

// NewWith shows sb to the checker with opts.
func NewWith(sb *sandbox.Sandbox, opts Options) *View {
	sb.Untrusted = sb.Untrusted || opts.Untrusted
	return &View{sb: sb, opts: opts}
}

// Open opens the sandbox folder dir, which must exist (a grader given a wrong path
// should say so rather than grade an empty new sandbox), with opts.
func Open(dir string, opts Options) (*View, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("opening sandbox: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("opening sandbox: %s is not a folder", dir)
	}
	sb, err := sandbox.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening sandbox: %w", err)
	}
	return NewWith(sb, opts), nil
}

// Sandbox is the sandbox shown.
func (v *View) Sandbox() *sandbox.Sandbox { return v.sb }

// Containers implements checker.View.
func (v *View) Containers() ([]checker.Container, error) {
	cs, err := v.sb.Containers()
	if err != nil {
		return nil, err
	}
	out := make([]checker.Container, 0, len(cs))
	for _, c := range cs {
		out = append(out, checker.Container{
			ID: c.ID, Name: c.ShortName(), Image: c.Config.Image, ImageID: c.Image,
			Args:  append([]string{c.Path}, c.Args...),
			State: c.State.Status, ExitCode: c.State.ExitCode,
			Created: c.Created, StartedAt: c.State.StartedAt, FinishedAt: c.State.FinishedAt,
		})
	}
	return out, nil
}

// Images implements checker.View.
func (v *View) Images() ([]checker.Image, error) {
	imgs, err := v.sb.Store.Images()
	if err != nil {
		return nil, err
	}
	out := make([]checker.Image, 0, len(imgs))
	for _, img := range imgs {
		tags, _ := v.sb.RepoTags(img.ID)
		cfg := img.Config
		ci := checker.Image{
			ID: img.ID, Tags: tags, Parent: img.Parent,
			Cmd: cfg.Config.Cmd, Entrypoint: cfg.Config.Entrypoint, Env: cfg.Config.Env,
			Labels: cfg.Config.Labels, WorkingDir: cfg.Config.WorkingDir, User: cfg.Config.User,
			Author: cfg.Author, Created: cfg.Created.Time, Size: v.sb.Store.Size(img),
		}
		for _, d := range cfg.RootFS.DiffIDs {
			ci.Layers = append(ci.Layers, d.String())
		}
		for _, h := range cfg.History {
			ci.History = append(ci.History, checker.History{CreatedBy: h.CreatedBy, Comment: h.Comment, Author: h.Author, EmptyLayer: h.EmptyLayer})
		}
		// Docker keeps commit -m in a top-level "comment" that the OCI config type
		// does not carry; the newest history entry holds it too.
		var extra struct {
			Comment string `json:"comment"`
		}
		if json.Unmarshal(img.Raw, &extra) == nil && extra.Comment != "" {
			ci.Comment = extra.Comment
		} else if n := len(cfg.History); n > 0 {
			ci.Comment = cfg.History[n-1].Comment
		}
		out = append(out, ci)
	}
	return out, nil
}

// ContainerFS implements checker.View. A container whose image layers are not all
// here (a bundle's base the grader lacks) has no files to show: the error says so.
func (v *View) ContainerFS(id string) (fs.FS, error) {
	if c, err := v.sb.Container(id); err == nil {
		if err := checkLayers(v.sb, mountParent(v.sb, c.ID)); err != nil {
			return nil, err
		}
	}
	return v.sb.ContainerFS(id)
}

// ImageFS implements checker.View, with ContainerFS's care for missing layers.
func (v *View) ImageFS(id string) (fs.FS, error) {
	if img, err := v.sb.Store.Lookup(id); err == nil {
		if err := checkLayers(v.sb, img.TopLayer()); err != nil {
			return nil, err
		}
	}
	return v.sb.ImageFS(id)
}

// Diff implements checker.View.
func (v *View) Diff(id string) ([]checker.Change, error) {
	changes, err := v.sb.Diff(id)
	if err != nil {
		return nil, err
	}
	out := make([]checker.Change, len(changes))
	for i, c := range changes {
		out[i] = checker.Change{Kind: c.Kind, Path: c.Path}
	}
	return out, nil
}

// Journal implements checker.View.
func (v *View) Journal() ([]checker.Command, error) {
	entries, err := journal.Read(v.sb.Dir())
	if err != nil {
		return nil, err
	}
	out := make([]checker.Command, len(entries))
	for i, e := range entries {
		out[i] = checker.Command{Seq: e.Seq, Time: e.Time, Line: e.Line, ExitCode: e.ExitCode, Output: e.Output,
			Containers: e.Containers, Images: e.Images}
	}
	return out, nil
}

// StoreFS implements checker.View. It stays in the data root: a link in a
// layer's content (the image's, or a learner's) that leads out of it is an error,
// never followed to the host's file.
func (v *View) StoreFS() (fs.FS, error) {
	r, err := os.OpenRoot(v.sb.Dir())
	if err != nil {
		return nil, err
	}
	return r.FS(), nil
}

// maxOutput bounds what an exec check keeps of a command's output.
const maxOutput = 1 << 20

// output collects stdout and stderr, which the runtime may write from two goroutines.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if room := maxOutput - o.buf.Len(); room > 0 {
		o.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Exec implements checker.View. A command that cannot be executed (not found, not
// executable) is reported as Docker does: exit code 127 or 126 and the message as
// output. In a running container, a command that outlives the timeout is reported
// as an error but left to finish (the runtime offers no way to stop it).
func (v *View) Exec(req checker.ExecRequest) (checker.ExecResult, error) {
	if req.Timeout <= 0 {
		req.Timeout = 30 * time.Second
	}
	if req.Container != "" {
		return v.execIn(req)
	}
	return v.execFresh(req)
}

func (v *View) execIn(req checker.ExecRequest) (checker.ExecResult, error) {
	out := &output{}
	type done struct {
		code int
		err  error
	}
	ch := make(chan done, 1)
	go func() {
		code, err := v.sb.Exec(req.Container, runtime.Process{Args: req.Args}, runtime.Streams{Out: out, Err: out})
		ch <- done{code, err}
	}()
	select {
	case d := <-ch:
		return result(d.code, d.err, out)
	case <-time.After(req.Timeout):
		return checker.ExecResult{}, fmt.Errorf("%s did not finish within %s", commandName(req.Args), req.Timeout)
	}
}

func (v *View) execFresh(req checker.ExecRequest) (res checker.ExecResult, err error) {
	c, err := v.sb.Create(sandbox.CreateOptions{Image: req.Image, Cmd: req.Args, NetworkNone: v.opts.NetworkNone})
	if err != nil {
		return res, fmt.Errorf("creating a container of %s: %w", shortID(req.Image), err)
	}
	defer func() {
		if _, rerr := v.sb.Remove(c.ID, true); rerr != nil && err == nil {
			err = fmt.Errorf("removing the container it ran in: %w", rerr)
		}
	}()
	if _, err := v.sb.Start(c.ID, true); err != nil {
		var ee *runtime.ExecError
		if errors.As(err, &ee) {
			return checker.ExecResult{ExitCode: ee.Code, Output: ee.Msg + "\n"}, nil
		}
		return res, fmt.Errorf("starting a container of %s: %w", shortID(req.Image), err)
	}
	out := &output{}
	type done struct {
		code int
		err  error
	}
	ch := make(chan done, 1)
	go func() {
		code, err := v.sb.AttachID(c.ID, runtime.Streams{Out: out, Err: out})
		ch <- done{code, err}
	}()
	select {
	case d := <-ch:
		return result(d.code, d.err, out)
	case <-time.After(req.Timeout):
		_, _ = v.sb.Kill(c.ID, syscall.SIGKILL)
		<-ch
		return res, fmt.Errorf("%s did not finish within %s", commandName(req.Args), req.Timeout)
	}
}

func result(code int, err error, out *output) (checker.ExecResult, error) {
	var ee *runtime.ExecError
	if errors.As(err, &ee) {
		return checker.ExecResult{ExitCode: ee.Code, Output: out.String() + ee.Msg + "\n"}, nil
	}
	if err != nil {
		return checker.ExecResult{}, err
	}
	return checker.ExecResult{ExitCode: code, Output: out.String()}, nil
}

func commandName(args []string) string {
	if len(args) == 0 {
		return "the image's command"
	}
	return fmt.Sprintf("%q", args[0])
}

func shortID(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	return h[:min(12, len(h))]
}
