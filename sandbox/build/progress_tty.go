package build

import (
	"fmt"
	"io"
	"time"

	"github.com/dockling/dockling/sandbox/store"
)

// ProgressTTY is BuildKit's terminal display as it stands when a build ends: a
// "[+] Building 2.1s (8/8) FINISHED" line and one line a step, CACHED or with its
// time; a failed step's last lines follow it. (BuildKit redraws it while it
// builds; this writes it once, at the end.)
const ProgressTTY Progress = "tty"

type ttyVertex struct {
	name   string
	cached bool
	failed bool
	dur    time.Duration
	subs   []string // " => => " lines: what the step did
}

type ttyReporter struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	vs    []*ttyVertex
	cur   *ttyVertex // the step running, nil between steps
	began time.Time  // when cur started
	out   *stampWriter
}

func (r *ttyReporter) vertex(name string, subs ...string) {
	r.close()
	r.cur, r.began = &ttyVertex{name: name, subs: subs}, r.now()
	r.vs = append(r.vs, r.cur)
}

func (r *ttyReporter) close() {
	if r.cur != nil {
		r.cur.dur = r.now().Sub(r.began)
		r.cur = nil
	}
}

func (r *ttyReporter) begin(dockerfile string, size int) {
	r.start = r.now()
	r.vertex("[internal] load build definition from "+dockerfile, fmt.Sprintf("transferring dockerfile: %dB", size))
	r.vertex("[internal] load .dockerignore")
	r.close()
}

func (r *ttyReporter) step(label, text string, vertex bool) {
	r.close()
	if vertex {
		r.vertex(fmt.Sprintf("[%s] %s", label, text))
	}
}

func (r *ttyReporter) cached() {
	if r.cur != nil {
		r.cur.cached = true
		r.close()
	}
}

// running keeps the step's last lines, shown only when it fails.
func (r *ttyReporter) running(string) io.Writer {
	r.out = &stampWriter{w: io.Discard, start: r.began, now: r.now}
	return r.out
}

func (r *ttyReporter) removed(string) {}
func (r *ttyReporter) done(string)    { r.close() }
func (r *ttyReporter) triggers(int)   {}
func (r *ttyReporter) finished(id string, tags []store.Ref) {
	subs := []string{"exporting layers", "writing image " + id}
	for _, ref := range tags {
		subs = append(subs, "naming to "+fullName(ref.String()))
	}
	r.vertex("exporting to image", subs...)
	r.close()
	r.print()
}

func (r *ttyReporter) failed(error) {
	failing := r.cur
	if failing != nil {
		failing.failed = true
	}
	r.close()
	r.print()
	if failing == nil {
		return
	}
	var tail []string
	if r.out != nil {
		r.out.flush()
		tail = r.out.tail
	}
	failureBlock(r.w, failing.name, tail)
}

// print writes the display: a line a step, names padded so the times line up.
func (r *ttyReporter) print() {
	width := 0
	for _, v := range r.vs {
		width = max(width, len(r.label(v)))
		for _, s := range v.subs {
			width = max(width, len(s)+3)
		}
	}
	fmt.Fprintf(r.w, "[+] Building %.1fs (%d/%d) FINISHED\n", r.now().Sub(r.start).Seconds(), len(r.vs), len(r.vs))
	for _, v := range r.vs {
		fmt.Fprintf(r.w, " => %-*s %5.1fs\n", width, r.label(v), v.dur.Seconds())
		for _, s := range v.subs {
			fmt.Fprintf(r.w, " => => %-*s %5.1fs\n", width-3, s, 0.0)
		}
	}
}

func (r *ttyReporter) label(v *ttyVertex) string {
	switch {
	case v.cached:
		return "CACHED " + v.name
	case v.failed:
		return "ERROR " + v.name
	}
	return v.name
}
