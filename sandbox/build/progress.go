package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dockling/dockling/sandbox/store"
)

// Progress is how a build shows what it does.
type Progress string

// The progress styles: Docker's classic builder ("Step 1/5 : FROM busybox"), which
// DOCKER_BUILDKIT=0 chooses, and BuildKit's (`#5 [2/4] RUN ...`, CACHED, timings),
// Docker's default. BuildKit writes its progress to standard error.
const (
	ProgressClassic Progress = "classic"
	ProgressPlain   Progress = "plain"
)

// reporter is one build's progress, in one of the two styles. A step is one
// instruction; vertex says whether BuildKit shows it (FROM, RUN, COPY, ADD,
// WORKDIR: the steps that make files; the others only change the config).
type reporter interface {
	begin(dockerfile string, size int)
	step(label, text string, vertex bool)
	cached()
	running(ctrID string) io.Writer
	removed(ctrID string)
	done(imgID string)
	failed(err error)
	triggers(n int)
	finished(id string, tags []store.Ref)
}

func newReporter(p Progress, out, errOut io.Writer) reporter {
	switch p {
	case ProgressPlain:
		return &plainReporter{w: errOut, now: time.Now}
	case ProgressTTY:
		return &ttyReporter{w: errOut, now: time.Now}
	}
	return &classicReporter{w: out}
}

// classicReporter writes the classic builder's words.
type classicReporter struct {
	w io.Writer
}

func (r *classicReporter) begin(string, int) {}

// step's label is "Step 3/8"; the classic builder numbers every instruction.
func (r *classicReporter) step(label, text string, _ bool) {
	fmt.Fprintf(r.w, "%s : %s\n", label, text)
}

func (r *classicReporter) cached() { fmt.Fprintln(r.w, " ---> Using cache") }

func (r *classicReporter) running(ctrID string) io.Writer {
	fmt.Fprintf(r.w, " ---> Running in %s\n", ctrID[:12])
	return r.w
}

func (r *classicReporter) removed(ctrID string) {
	fmt.Fprintf(r.w, "Removing intermediate container %s\n", ctrID[:12])
}

func (r *classicReporter) done(imgID string) {
	if imgID != "" {
		fmt.Fprintf(r.w, " ---> %s\n", store.ShortID(imgID))
	}
}

func (r *classicReporter) failed(error) {}

func (r *classicReporter) triggers(n int) {
	plural := "s"
	if n == 1 {
		plural = ""
	}
	fmt.Fprintf(r.w, "# Executing %d build trigger%s\n", n, plural)
}

func (r *classicReporter) finished(id string, tags []store.Ref) {
	fmt.Fprintf(r.w, "Successfully built %s\n", store.ShortID(id))
	for _, ref := range tags {
		fmt.Fprintf(r.w, "Successfully tagged %s\n", ref)
	}
}

// plainReporter writes BuildKit's plain progress: numbered vertices, each
// line of a RUN's output stamped with the seconds since the step began, and
// CACHED or DONE with the step's time.
type plainReporter struct {
	w     io.Writer
	now   func() time.Time
	n     int       // the last vertex's number
	name  string    // and its name ("[2/4] RUN make")
	open  bool      // a vertex was started and not yet ended
	start time.Time // when it started
	out   *stampWriter
}

func (r *plainReporter) vertex(name string) {
	r.end()
	r.n++
	r.name = name
	fmt.Fprintf(r.w, "#%d %s\n", r.n, name)
	r.open, r.start = true, r.now()
}

// end closes the open vertex's output (a last line without a newline).
func (r *plainReporter) end() {
	r.closeOut()
	if r.open {
		fmt.Fprintln(r.w)
	}
	r.open = false
}

// closeOut writes the RUN's last line when it had no newline.
func (r *plainReporter) closeOut() []string {
	if r.out == nil {
		return nil
	}
	r.out.flush()
	tail := r.out.tail
	r.out = nil
	return tail
}

func (r *plainReporter) doneLine() {
	if r.open {
		r.closeOut()
		fmt.Fprintf(r.w, "#%d DONE %.1fs\n", r.n, r.now().Sub(r.start).Seconds())
		r.end()
	}
}

func (r *plainReporter) begin(dockerfile string, size int) {
	fmt.Fprintln(r.w, "#0 building with \"default\" instance using dockling driver")
	fmt.Fprintln(r.w)
	r.vertex("[internal] load build definition from " + dockerfile)
	fmt.Fprintf(r.w, "#%d transferring dockerfile: %dB done\n", r.n, size)
	r.doneLine()
	r.vertex("[internal] load .dockerignore")
	r.doneLine()
}

// step's label is "1/5" or, in a build of several stages, "build 1/5".
func (r *plainReporter) step(label, text string, vertex bool) {
	r.end()
	if vertex {
		r.vertex(fmt.Sprintf("[%s] %s", label, text))
	}
}

func (r *plainReporter) cached() {
	if r.open {
		fmt.Fprintf(r.w, "#%d CACHED\n", r.n)
		r.end()
	}
}

func (r *plainReporter) running(string) io.Writer {
	r.out = &stampWriter{w: r.w, prefix: fmt.Sprintf("#%d ", r.n), start: r.start, now: r.now}
	return r.out
}

func (r *plainReporter) removed(string) {}

func (r *plainReporter) done(string) { r.doneLine() }

func (r *plainReporter) failed(err error) {
	if !r.open {
		return
	}
	tail := r.closeOut()
	var re *RunError
	if errors.As(err, &re) {
		err = errors.New(re.Process())
	}
	fmt.Fprintf(r.w, "#%d ERROR: %v\n", r.n, err)
	failureBlock(r.w, r.name, tail)
	r.open = false
}

// failureBlock is the failed step again with the last lines it printed, as
// BuildKit ends a failure.
func failureBlock(w io.Writer, name string, tail []string) {
	fmt.Fprintf(w, "------\n > %s:\n", name)
	for _, l := range tail {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "------")
}

func (r *plainReporter) triggers(int) {}

func (r *plainReporter) finished(id string, tags []store.Ref) {
	r.vertex("exporting to image")
	fmt.Fprintf(r.w, "#%d exporting layers done\n", r.n)
	fmt.Fprintf(r.w, "#%d writing image %s done\n", r.n, id)
	for _, ref := range tags {
		fmt.Fprintf(r.w, "#%d naming to %s done\n", r.n, fullName(ref.String()))
	}
	r.doneLine()
}

// stampWriter writes each line of a step's output behind the vertex's number
// and the seconds since the step began, as BuildKit does ("#7 0.215 hi").
type stampWriter struct {
	mu     sync.Mutex // stdout and stderr are copied at once
	w      io.Writer
	prefix string
	start  time.Time
	now    func() time.Time
	line   []byte
	tail   []string // the last tailLines lines, stamped, without the prefix
}

// tailLines is how many of a failed step's last lines BuildKit shows again.
const tailLines = 10

func (s *stampWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.line = append(s.line, p...)
			break
		}
		s.line = append(s.line, p[:i]...)
		s.writeLine()
		p = p[i+1:]
	}
	return n, nil
}

func (s *stampWriter) writeLine() {
	l := fmt.Sprintf("%.3f %s", s.now().Sub(s.start).Seconds(), s.line)
	fmt.Fprintf(s.w, "%s%s\n", s.prefix, l)
	s.tail = append(s.tail, l)
	if len(s.tail) > tailLines {
		s.tail = s.tail[1:]
	}
	s.line = s.line[:0]
}

func (s *stampWriter) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.line) > 0 {
		s.writeLine()
	}
}

// fullName is an image name as BuildKit shows it: "docker.io/library/busybox:latest".
func fullName(name string) string {
	ref, err := store.ParseRef(name)
	if err != nil {
		return name
	}
	if ref.Domain == "" {
		ref.Domain = "docker.io"
		if !strings.Contains(ref.Path, "/") {
			ref.Path = "library/" + ref.Path
		}
	}
	if ref.Tag == "" && ref.Digest == "" {
		ref.Tag = "latest"
	}
	return ref.String()
}
