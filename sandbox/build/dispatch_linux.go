package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/store"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dispatch carries out one instruction of the stage.
func (b *builder) dispatch(cmd instructions.Command) error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	b.disp.Args = b.argEnv()
	switch c := cmd.(type) {
	case *instructions.ArgCommand:
		return b.arg(c)
	case *instructions.RunCommand:
		return b.run(c)
	case *instructions.CopyCommand:
		var src tree = b.bctx
		if c.From != "" {
			img, err := b.fromImage(c.From)
			if err != nil {
				return err
			}
			if src, err = newImageTree(b.sb, img); err != nil {
				return err
			}
		}
		return b.copy(cmd, copySpec{name: "COPY"}, src, &c.SourcesAndDest, c.Chown, c.Chmod)
	case *instructions.AddCommand:
		return b.copy(cmd, copySpec{name: "ADD", unpack: true}, b.bctx, &c.SourcesAndDest, c.Chown, c.Chmod)
	case *instructions.MaintainerCommand:
		b.cfg.Author = c.Maintainer
		return b.commit(b.nop("MAINTAINER "+c.Maintainer, false), nil, "")
	case *instructions.WorkdirCommand:
		return b.workdir(c)
	}
	if err := b.disp.Apply(cmd); err != nil {
		return err
	}
	return b.commit(b.nop(configComment(cmd, &b.cfg.Config), false), nil, "")
}

// configComment is what the classic builder writes in history for a config step.
func configComment(cmd instructions.Command, cfg *v1.Config) string {
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		s := "ENV"
		for _, kv := range c.Env {
			s += " " + kv.Key + "=" + kv.Value
		}
		return s
	case *instructions.LabelCommand:
		s := "LABEL"
		for _, kv := range c.Labels {
			s += " " + kv.Key + "=" + kv.Value
		}
		return s
	case *instructions.CmdCommand:
		return fmt.Sprintf("CMD %q", cfg.Cmd)
	case *instructions.EntrypointCommand:
		return fmt.Sprintf("ENTRYPOINT %q", cfg.Entrypoint)
	case *instructions.HealthCheckCommand:
		// Docker prints its HealthConfig with %q: durations quoted, retries a rune.
		h := cfg.Healthcheck
		return fmt.Sprintf("HEALTHCHECK &{%q %q %q %q \"0s\" %q}", h.Test, h.Interval.String(), h.Timeout.String(), h.StartPeriod.String(), rune(h.Retries))
	case *instructions.ExposeCommand:
		return "EXPOSE " + strings.Join(slices.Sorted(mapKeys(cfg.ExposedPorts)), " ")
	case *instructions.UserCommand:
		return "USER " + c.User
	case *instructions.VolumeCommand:
		return fmt.Sprintf("VOLUME %v", c.Volumes)
	case *instructions.StopSignalCommand:
		return "STOPSIGNAL " + c.Signal
	case *instructions.OnbuildCommand:
		return "ONBUILD " + c.Expression
	case *instructions.ShellCommand:
		return fmt.Sprintf("SHELL %v", c.Shell)
	}
	return cmd.Name()
}

func mapKeys(m map[string]struct{}) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// arg declares build arguments: a --build-arg value wins over the default, and
// an ARG without a default inherits the value of one before the first FROM.
func (b *builder) arg(c *instructions.ArgCommand) error {
	var words []string
	for _, kv := range c.Args {
		var val *string
		if kv.Value != nil {
			v, err := b.exp.Word(*kv.Value, b.disp.Env())
			if err != nil {
				return err
			}
			val = &v
			words = append(words, kv.Key+"="+*kv.Value)
		} else {
			words = append(words, kv.Key)
			if v, ok := b.meta[kv.Key]; ok {
				val = &v
			}
		}
		if v, ok := b.buildArgs[kv.Key]; ok {
			val, b.used[kv.Key] = &v, true
		}
		b.args = slices.DeleteFunc(b.args, func(a arg) bool { return a.name == kv.Key })
		b.args = append(b.args, arg{name: kv.Key, value: val})
	}
	b.disp.Args = b.argEnv()
	return b.commit(b.nop("ARG "+strings.Join(words, " "), false), nil, "")
}

// argEnv is the stage's arguments that have a value, and the predefined ones
// given with --build-arg, as NAME=value.
func (b *builder) argEnv() []string {
	var env []string
	for _, a := range b.args {
		if a.value != nil {
			env = append(env, a.name+"="+*a.value)
		}
	}
	for k, v := range b.buildArgs {
		if predefinedArgs[k] && !slices.ContainsFunc(b.args, func(a arg) bool { return a.name == k }) {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// runEnv is what a RUN gets on top of the config's environment: the arguments
// the config does not set. history is those of them the history line shows
// ("|2 A=1 B=2 /bin/sh -c ..."): the predefined ones are left out of it.
func (b *builder) runEnv() (env, history []string) {
	for _, kv := range b.argEnv() {
		k, _, _ := strings.Cut(kv, "=")
		if slices.ContainsFunc(b.cfg.Config.Env, func(e string) bool { return strings.HasPrefix(e, k+"=") }) {
			continue
		}
		env = append(env, kv)
		if !predefinedArgs[k] || slices.ContainsFunc(b.args, func(a arg) bool { return a.name == k }) {
			history = append(history, kv)
		}
	}
	sort.Strings(history)
	return env, history
}

// run runs a RUN step as a container of the current image, confined as `docker
// run` confines it, and commits what it changed. The container is removed
// whatever happens; a failure is a RunError with the command's exit code.
func (b *builder) run(c *instructions.RunCommand) error {
	cmdLine, err := heredocCmdLine(c)
	if err != nil {
		return err
	}
	if len(c.FlagsUsed) > 0 {
		return fmt.Errorf("RUN --%s: %w", c.FlagsUsed[0], ErrNotSupported)
	}
	if b.img == nil {
		return errors.New("RUN: the image has no files to run (FROM scratch)")
	}
	argv := cmdLine
	if c.PrependShell {
		argv = append(b.shell(), argv...)
	}
	env, hist := b.runEnv()
	createdBy := argv
	if len(hist) > 0 {
		createdBy = append(append([]string{fmt.Sprintf("|%d", len(hist))}, hist...), argv...)
	}
	h := v1.History{CreatedBy: strings.Join(createdBy, " ")}
	if b.cached(h) {
		return nil
	}
	empty := ""
	ctr, err := b.sb.Create(sandbox.CreateOptions{Image: b.img.ID, Cmd: argv, Entrypoint: &empty, Env: env})
	if err != nil {
		return err
	}
	defer func() {
		if _, err := b.sb.Remove(ctr.ID, true); err == nil {
			b.rep.removed(ctr.ID)
		}
	}()
	code, err := b.runContainer(ctr, b.rep.running(ctr.ID))
	if err != nil {
		return err
	}
	if code != 0 {
		return &RunError{Cmd: argv, Code: code}
	}
	return b.commit(h, nil, ctr.ID)
}

// heredocCmdLine is RUN's command line with its heredocs, as BuildKit runs them:
// a lone heredoc is the shell's script; heredocs within a command are given back
// to the shell to read. A script with a #! line would be a file to run, which
// dockling's builder does not do yet.
func heredocCmdLine(c *instructions.RunCommand) ([]string, error) {
	if len(c.Files) == 0 {
		return slices.Clone(c.CmdLine), nil
	}
	if len(c.CmdLine) != 1 || !c.PrependShell {
		return nil, errors.New("parsing produced an invalid run command")
	}
	if parser.MustParseHeredoc(c.CmdLine[0]) != nil {
		if strings.HasPrefix(c.Files[0].Data, "#!") {
			return nil, fmt.Errorf("RUN with a #! heredoc: %w yet", ErrNotSupported)
		}
		return []string{c.Files[0].Data}, nil
	}
	full := c.CmdLine[0]
	for _, f := range c.Files {
		full += "\n" + f.Data + f.Name
	}
	return []string{full}, nil
}

// runContainer starts ctr, copies its output and returns its exit code; the
// build's context ending kills it. Quiet, the output is shown only on failure.
func (b *builder) runContainer(ctr *sandbox.Container, out io.Writer) (int, error) {
	var buf bytes.Buffer
	if b.opts.Quiet {
		out = &buf
	}
	if err := b.sb.StartCreated(nil, ctr, true); err != nil {
		var ee *runtime.ExecError
		if errors.As(err, &ee) {
			fmt.Fprintln(b.errOut(), err)
			return ee.Code, nil
		}
		return 0, err
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-b.ctx.Done():
			_, _ = b.sb.Kill(ctr.ID, syscall.SIGKILL)
		case <-stop:
		}
	}()
	code, err := b.sb.AttachID(ctr.ID, runtime.Streams{Out: out, Err: out})
	if err == nil && b.ctx.Err() != nil {
		err = b.ctx.Err()
	}
	if code != 0 && b.opts.Quiet {
		_, _ = io.Copy(b.errOut(), &buf)
	}
	return code, err
}

func (b *builder) errOut() io.Writer {
	if b.opts.Err != nil {
		return b.opts.Err
	}
	return io.Discard
}

// copy writes COPY's or ADD's files as a layer.
func (b *builder) copy(cmd instructions.Command, spec copySpec, src tree, sd *instructions.SourcesAndDest, chown, chmod string) error {
	if err := b.exp.Command(cmd, b.disp.Env()); err != nil {
		return err
	}
	if err := b.exp.Contents(cmd, b.disp.Env()); err != nil {
		return err
	}
	// Expand changed the command's own fields; read them again.
	switch c := cmd.(type) {
	case *instructions.CopyCommand:
		chown, chmod = c.Chown, c.Chmod
	case *instructions.AddCommand:
		chown, chmod = c.Chown, c.Chmod
	}
	view, err := b.view()
	if err != nil {
		return err
	}
	spec.srcs, spec.inline, spec.dest, spec.workdir = sd.SourcePaths, sd.SourceContents, sd.DestPath, b.cfg.Config.WorkingDir
	if spec.uid, spec.gid, err = chownIDs(chown, view); err != nil {
		return err
	}
	if spec.chmod, err = chmodBits(chmod); err != nil {
		return err
	}
	cp := &copier{ctx: src, view: view, spec: spec, now: time.Now()}
	if spec.name == "ADD" {
		cp.fetch = b.fetcher().fetch
	}
	if err := cp.plan(); err != nil {
		return err
	}
	hash, err := cp.sourceHash()
	if err != nil {
		return err
	}
	if chown != "" {
		chown = "--chown=" + chown
	}
	comment := fmt.Sprintf("%s %s%s in %s ", spec.name, chown, hash, cp.destShown())
	return b.commit(b.nop(comment, true), cp.write, "")
}

// fromImage is what COPY --from names: an earlier stage, by name or number,
// else an image.
func (b *builder) fromImage(name string) (*store.Image, error) {
	if img, ok := b.stages[strings.ToLower(name)]; ok {
		return img, nil
	}
	if name == "scratch" {
		return nil, nil
	}
	return b.baseImage(name)
}

// view is the current image's files.
func (b *builder) view() (imageView, error) {
	fsys, err := b.sb.ImageFSOf(b.img)
	if err != nil {
		return nil, err
	}
	v, ok := fsys.(imageView)
	if !ok {
		return nil, errors.New("the image's files cannot be resolved")
	}
	return v, nil
}

// workdir sets the working directory and makes it, as root, when the image
// lacks it (a layer with the folder), as Docker's builder does.
func (b *builder) workdir(c *instructions.WorkdirCommand) error {
	if err := b.disp.Apply(c); err != nil {
		return err
	}
	wd := b.cfg.Config.WorkingDir
	view, err := b.view()
	if err != nil {
		return err
	}
	cp := &copier{view: view, spec: copySpec{name: "WORKDIR"}, now: time.Now()}
	dir, err := cp.resolveDest(wd)
	if err != nil {
		return err
	}
	var layer func(io.Writer) error
	if fi, err := view.Stat(dir); err != nil || !fi.IsDir() {
		layer = cp.dirLayer(dir)
	}
	return b.commit(b.nop("WORKDIR "+wd, true), layer, "")
}
