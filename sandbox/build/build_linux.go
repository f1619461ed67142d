package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/dockerfile"
	"github.com/dockling/dockling/sandbox/store"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// defaultPath is the PATH Docker's builder gives an image that sets none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// builder is one build: the file, the context, and the stage being built.
type builder struct {
	sb   *sandbox.Sandbox
	opts Options
	ctx  context.Context
	bctx *buildContext
	file *dockerfile.File
	// The Dockerfile's name and lines, for showing where a RUN failed.
	fileName  string
	fileLines []string
	exp       *dockerfile.Expander
	out       io.Writer
	rep       reporter
	step      int // the classic builder's step number, of total
	total     int

	// BuildKit's numbers: the stage's label, its file-making step (vertex)
	// being built, of vtotal.
	label        string
	vnum, vtotal int

	buildArgs map[string]string       // --build-arg
	used      map[string]bool         // build args some ARG took
	meta      map[string]string       // ARGs before the first FROM, with values
	stages    map[string]*store.Image // finished stages by name and index
	created   []string                // images this build wrote, removed when it fails
	fetch     *fetcher                // ADD's downloads, made on first use

	// The stage being built.
	img  *store.Image // nil: FROM scratch, nothing written yet
	cfg  v1.ConfigFile
	disp *dockerfile.Dispatcher
	args []arg // the stage's ARGs
}

type arg struct {
	name  string
	value *string
}

// Build builds the Dockerfile in opts and returns the image's ID. A failed build
// leaves no image and no container behind.
func Build(sb *sandbox.Sandbox, opts Options) (string, error) {
	tags, err := parseTags(opts.Tags)
	if err != nil {
		return "", err
	}
	b := &builder{
		sb: sb, opts: opts, ctx: opts.Context, out: opts.Out,
		buildArgs: parseBuildArgs(opts.BuildArgs), used: map[string]bool{},
		meta: map[string]string{}, stages: map[string]*store.Image{},
	}
	if b.ctx == nil {
		b.ctx = context.Background()
	}
	if b.out == nil || opts.Quiet {
		b.out = io.Discard
	}
	errOut := opts.Err
	if errOut == nil || opts.Quiet {
		errOut = io.Discard
	}
	b.rep = newReporter(opts.Progress, b.out, errOut)
	if b.bctx, err = openContext(opts.ContextDir); err != nil {
		return "", err
	}
	defer b.bctx.Close()
	defer func() { b.fetch.close() }()
	if b.file, b.fileLines, err = readDockerfile(opts, b.rep); err != nil {
		return "", err
	}
	b.fileName = filepath.Base(dockerfilePath(opts))
	b.exp = dockerfile.NewExpander(b.file.Escape)
	id, err := b.build()
	if err != nil {
		b.rep.failed(err)
		b.discard()
		return "", err
	}
	b.warnUnused()
	for _, ref := range tags {
		if err := sb.Tag(id, ref.String()); err != nil {
			return id, err
		}
	}
	b.rep.finished(id, tags)
	return id, nil
}

func parseTags(tags []string) ([]store.Ref, error) {
	var out []store.Ref
	for _, t := range tags {
		ref, err := store.ParseRef(t)
		if err == nil {
			err = ref.Taggable()
		}
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"-t, --tag\" flag: %w", t, err)
		}
		out = append(out, ref)
	}
	return out, nil
}

// parseBuildArgs reads --build-arg: KEY=VALUE, or KEY for the value in this
// process's environment (left out when it has none, as Docker's CLI does).
func parseBuildArgs(args []string) map[string]string {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		out[k] = v
	}
	return out
}

// readDockerfile reads and parses the Dockerfile, --label values added as a last
// LABEL instruction as Docker's classic builder adds them.
func readDockerfile(opts Options, rep reporter) (*dockerfile.File, []string, error) {
	name := dockerfilePath(opts)
	text, err := os.ReadFile(name)
	if err != nil {
		return nil, nil, fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: %w", err)
	}
	rep.begin(filepath.Base(name), len(text))
	src := string(text)
	if len(opts.Labels) > 0 {
		labels := slices.Sorted(slices.Values(opts.Labels))
		line := "LABEL"
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			line += fmt.Sprintf(" %q=%q", k, v)
		}
		src = strings.TrimRight(src, "\n") + "\n" + line + "\n"
	}
	f, err := dockerfile.ParseString(src)
	if err == nil {
		_, _, err = f.Stages()
	}
	lines := strings.Split(strings.TrimRight(string(text), "\n"), "\n")
	var perr *dockerfile.Error
	if errors.As(err, &perr) {
		return nil, nil, &SyntaxError{Name: filepath.Base(name), Line: perr.Line, Lines: lines, Err: perr.Err}
	}
	return f, lines, err
}

// build runs every stage; the last one is the result.
func (b *builder) build() (string, error) {
	stages, metaArgs, err := b.file.Stages()
	if err != nil {
		return "", err
	}
	if stages, err = b.untilTarget(stages); err != nil {
		return "", err
	}
	b.total = len(metaArgs)
	for _, st := range stages {
		b.total += 1 + len(st.Commands)
	}
	for _, a := range metaArgs {
		b.header(a.String(), false)
		for _, kv := range a.Args {
			if v, ok := b.buildArgs[kv.Key]; ok {
				b.meta[kv.Key], b.used[kv.Key] = v, true
			} else if kv.Value != nil {
				b.meta[kv.Key] = *kv.Value
			}
		}
	}
	for i, st := range stages {
		b.startStage(st, i, len(stages) > 1)
		if err := b.from(st); err != nil {
			return "", err
		}
		for _, cmd := range st.Commands {
			b.header(fmt.Sprint(cmd), makesFiles(cmd)) // the instruction as written
			if err := b.dispatch(cmd); err != nil {
				return "", b.where(err, cmd)
			}
			b.arrow()
		}
		if b.img == nil {
			if err := b.commit(v1.History{}, nil, ""); err != nil { // an image even of nothing
				return "", err
			}
		}
		b.stages[fmt.Sprint(i)] = b.img
		if st.Name != "" {
			b.stages[strings.ToLower(st.Name)] = b.img
		}
	}
	return b.img.ID, nil
}

// untilTarget is the stages up to --target's.
func (b *builder) untilTarget(stages []instructions.Stage) ([]instructions.Stage, error) {
	if b.opts.Target == "" {
		return stages, nil
	}
	for i, st := range stages {
		if strings.EqualFold(st.Name, b.opts.Target) {
			return stages[:i+1], nil
		}
	}
	return nil, fmt.Errorf("failed to reach build target %s in Dockerfile", b.opts.Target)
}

// where adds the Dockerfile's lines around cmd to a failed RUN.
func (b *builder) where(err error, cmd instructions.Command) error {
	var re *RunError
	if loc := cmd.Location(); errors.As(err, &re) && len(loc) > 0 {
		re.Excerpt = excerpt(b.fileName, loc[0].Start.Line, b.fileLines)
	}
	return err
}

// dockerfilePath is -f's file, else the context's Dockerfile.
func dockerfilePath(opts Options) string {
	if opts.Dockerfile == "" {
		return filepath.Join(opts.ContextDir, "Dockerfile")
	}
	return opts.Dockerfile
}

// startStage numbers the stage's steps as BuildKit does: FROM and the steps
// that make files, labelled with the stage's name when there are several.
func (b *builder) startStage(st instructions.Stage, i int, several bool) {
	b.vnum, b.vtotal, b.label = 0, 1, ""
	for _, cmd := range st.Commands {
		if makesFiles(cmd) {
			b.vtotal++
		}
	}
	if several {
		b.label = st.Name
		if b.label == "" {
			b.label = fmt.Sprintf("stage-%d", i)
		}
		b.label += " "
	}
}

// makesFiles: the instructions BuildKit shows as steps of their own.
func makesFiles(cmd instructions.Command) bool {
	switch cmd.(type) {
	case *instructions.RunCommand, *instructions.CopyCommand, *instructions.AddCommand, *instructions.WorkdirCommand:
		return true
	}
	return false
}

// header starts a step: text is the instruction as written.
func (b *builder) header(text string, vertex bool) {
	b.step++
	if b.opts.Progress == ProgressClassic || b.opts.Progress == "" {
		b.rep.step(fmt.Sprintf("Step %d/%d", b.step, b.total), text, vertex)
		return
	}
	if vertex {
		b.vnum++
	}
	b.rep.step(fmt.Sprintf("%s%d/%d", b.label, b.vnum, b.vtotal), text, vertex)
}

func (b *builder) arrow() {
	if b.img != nil {
		b.rep.done(b.img.ID)
	} else {
		b.rep.done("")
	}
}

// from starts a stage from an image, an earlier stage, or nothing (scratch).
func (b *builder) from(st instructions.Stage) error {
	var metaEnv []string
	for k, v := range b.meta {
		metaEnv = append(metaEnv, k+"="+v)
	}
	name, err := b.exp.Word(st.BaseName, metaEnv)
	b.header(b.fromText(st, name), true)
	if err != nil {
		return err
	}
	if st.Platform != "" {
		return fmt.Errorf("FROM --platform: %w: it builds for this machine only", ErrNotSupported)
	}
	if name == "" {
		return fmt.Errorf("base name (%s) should not be blank", st.BaseName)
	}
	b.img, b.args = nil, nil
	b.cfg = v1.ConfigFile{Architecture: goruntime.GOARCH, OS: "linux"}
	switch img, ok := b.stages[strings.ToLower(name)]; {
	case ok:
		b.img = img
	case name == "scratch":
	default:
		if b.img, err = b.baseImage(name); err != nil {
			return err
		}
	}
	if b.img != nil {
		cfg, err := v1.ParseConfigFile(bytes.NewReader(b.img.Raw)) // a copy to change
		if err != nil {
			return err
		}
		b.cfg = *cfg
		b.arrow()
	}
	if !slices.ContainsFunc(b.cfg.Config.Env, func(e string) bool { return strings.HasPrefix(e, "PATH=") }) {
		b.cfg.Config.Env = append(b.cfg.Config.Env, defaultPath)
	}
	b.cfg.Container = ""
	b.disp = dockerfile.NewDispatcher(&b.cfg.Config, b.file.Escape)
	return b.triggers()
}

// fetcher is the build's downloader for ADD's URLs.
func (b *builder) fetcher() *fetcher {
	if b.fetch == nil {
		max := b.opts.MaxDownload
		if max <= 0 {
			max = DefaultMaxDownload
		}
		b.fetch = newFetcher(b.ctx, max)
	}
	return b.fetch
}

// fromText is FROM as the progress shows it: as written in the classic
// builder's, the image's full name in BuildKit's.
func (b *builder) fromText(st instructions.Stage, name string) string {
	if b.opts.Progress == ProgressClassic || b.opts.Progress == "" {
		return st.SourceCode
	}
	if _, ok := b.stages[strings.ToLower(name)]; ok || name == "scratch" {
		return "FROM " + name
	}
	return "FROM " + fullName(name)
}

// baseImage finds FROM's image, pulling it when missing as Docker does.
func (b *builder) baseImage(name string) (*store.Image, error) {
	img, err := b.sb.Image(name)
	if !errors.Is(err, store.ErrNoSuchImage) {
		return img, err
	}
	if _, perr := b.sb.Pull(b.ctx, name, nil); perr != nil {
		return nil, fmt.Errorf("FROM %s: %w (and pulling it failed: %v)", name, err, perr)
	}
	return b.sb.Image(name)
}

// triggers runs the ONBUILD instructions of the stage's base image first, as
// Docker does; the new image does not keep them.
func (b *builder) triggers() error {
	trig := b.cfg.Config.OnBuild
	if len(trig) == 0 {
		return nil
	}
	b.cfg.Config.OnBuild = nil
	b.rep.triggers(len(trig))
	for _, t := range trig {
		f, err := dockerfile.ParseString(t)
		if err != nil {
			return fmt.Errorf("ONBUILD %s: %w", t, err)
		}
		for _, in := range f.Instructions {
			cmd, err := in.Command()
			if err != nil {
				return fmt.Errorf("ONBUILD %s: %w", t, err)
			}
			if err := b.dispatch(cmd); err != nil {
				return err
			}
		}
	}
	return nil
}

// shell is the config's SHELL, else /bin/sh -c.
func (b *builder) shell() []string {
	if len(b.cfg.Config.Shell) > 0 {
		return slices.Clone(b.cfg.Config.Shell)
	}
	return []string{"/bin/sh", "-c"}
}

// nop is a history line of a step without a command, in the classic builder's
// two shapes: "/bin/sh -c #(nop)  CMD [...]" for config steps, one space for
// steps that may add a layer (COPY, ADD, WORKDIR).
func (b *builder) nop(comment string, layerStep bool) v1.History {
	words := append(b.shell(), "#(nop) ", comment)
	if layerStep {
		words = append(b.shell(), "#(nop) "+comment)
	}
	return v1.History{CreatedBy: strings.Join(words, " ")}
}

// commit writes the step's image: the config as it is now, and a layer from
// layer or from the container ctr; or takes an earlier build's (see cached).
func (b *builder) commit(h v1.History, layer func(io.Writer) error, ctr string) error {
	if ctr == "" && b.cached(h) {
		return nil
	}
	now := time.Now().UTC()
	h.Created = v1.Time{Time: now}
	cfg := b.cfg
	cfg.Created = v1.Time{Time: now}
	cfg.Container = ctr
	cfg.Config.Image = ""
	if b.img != nil {
		cfg.Config.Image = b.img.ID
	}
	img, err := b.sb.PutStep(sandbox.Step{Parent: b.img, Config: cfg, History: h, Layer: layer, Container: ctr, Context: b.ctx})
	if err != nil {
		return err
	}
	b.created = append(b.created, img.ID)
	b.img = img
	return b.sb.AddBuildCache(img.ID)
}

// discard removes the images a failed build wrote, newest first.
func (b *builder) discard() {
	for _, id := range slices.Backward(b.created) {
		_, _ = b.sb.RemoveImage(id, false)
	}
}

// warnUnused says which --build-arg no ARG took, as Docker does.
func (b *builder) warnUnused() {
	var unused []string
	for k := range b.buildArgs {
		if !b.used[k] && !predefinedArgs[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 && b.opts.Err != nil {
		sort.Strings(unused)
		fmt.Fprintf(b.opts.Err, "[Warning] One or more build-args %v were not consumed\n", unused)
	}
}

// predefinedArgs are the build arguments every Dockerfile may use undeclared.
var predefinedArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}
