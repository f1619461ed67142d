package checker

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/dockling/dockling/internal/cmdline"
)

// cond is one condition a candidate (container, image, command) must meet.
type cond[T any] struct {
	want string // how the expectation reads after the subject: `with CMD ["python3"]`
	none string // how "none of N" reads: "has that file" → "none has that file"
	// test says whether c meets the condition and, when not, why, in words that
	// follow "but": "it is exited".
	test func(c T) (ok bool, why string, err error)
}

// search is the candidates of a check and how to talk about them.
type search[T any] struct {
	subject string // "a container", `image "ubuntu"`
	plural  string // "containers"
	none    string // what "found" says when there is no candidate: "no containers at all"
	cands   []T
	label   func(T) string
}

func (s *search[T]) expected(conds []cond[T]) string {
	var wants []string
	for _, c := range conds {
		if c.want != "" {
			wants = append(wants, c.want)
		}
	}
	if len(wants) == 0 {
		return s.subject
	}
	return s.subject + " " + strings.Join(wants, ", ")
}

// eval checks one candidate: how many conditions it meets in a row and, at the first
// one it fails, why.
func eval[T any](c T, conds []cond[T]) (met int, why string, err error) {
	for i, cd := range conds {
		ok, w, err := cd.test(c)
		if err != nil {
			return i, "", err
		}
		if !ok {
			return i, w, nil
		}
	}
	return len(conds), "", nil
}

// first finds the first candidate meeting every condition. On failure msg says what
// was expected and, of the candidates, what was found.
func (s *search[T]) first(conds []cond[T]) (idx int, msg string, err error) {
	exp := "expected " + s.expected(conds)
	if len(s.cands) == 0 {
		return -1, exp + "; found " + s.none, nil
	}
	best, bestMet, bestWhy := 0, -1, ""
	sameStop := true
	stop := -1
	for i, c := range s.cands {
		met, why, err := eval(c, conds)
		if err != nil {
			return -1, "", err
		}
		if met == len(conds) {
			return i, "found " + s.label(c), nil
		}
		if stop == -1 {
			stop = met
		} else if stop != met {
			sameStop = false
		}
		if met > bestMet {
			best, bestMet, bestWhy = i, met, why
		}
	}
	if len(s.cands) == 1 {
		return -1, fmt.Sprintf("%s; found %s, but %s", exp, s.label(s.cands[0]), bestWhy), nil
	}
	if sameStop && conds[stop].none != "" {
		return -1, fmt.Sprintf("%s; found %d %s (%s), none %s", exp, len(s.cands), s.plural, s.labels(), conds[stop].none), nil
	}
	return -1, fmt.Sprintf("%s; found %d %s, none qualifies; the closest is %s, but %s", exp, len(s.cands), s.plural, s.label(s.cands[best]), bestWhy), nil
}

// matching lists the candidates meeting every condition.
func (s *search[T]) matching(conds []cond[T]) ([]T, error) {
	var out []T
	for _, c := range s.cands {
		met, _, err := eval(c, conds)
		if err != nil {
			return nil, err
		}
		if met == len(conds) {
			out = append(out, c)
		}
	}
	return out, nil
}

// labels names up to five candidates.
func (s *search[T]) labels() string {
	return listOf(s.cands, s.label, 5)
}

func listOf[T any](xs []T, label func(T) string, max int) string {
	var names []string
	for i, x := range xs {
		if i == max {
			names = append(names, fmt.Sprintf("and %d more", len(xs)-max))
			break
		}
		names = append(names, label(x))
	}
	return strings.Join(names, ", ")
}

// --- containers

func containerLabel(c Container) string { return c.Name }

func containerObject(c Container) *Object {
	return &Object{Kind: KindContainer, ID: c.ID, ShortID: short(c.ID), Hex: c.ID, Name: c.Name, Image: c.Image}
}

func short(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

var hexPrefixRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(sha256:)?[0-9a-f]{4,64}$`) }) // compiled on first use: start-up stays fast

// sortContainers orders containers newest first, so every check sees them alike.
func sortContainers(cs []Container) {
	slices.SortStableFunc(cs, func(a, b Container) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// containers selects the containers a check looks at: any, latest, a binding, a
// name, or an ID (prefix).
func containers(ctx *Context, sel string) (*search[Container], error) {
	all, err := ctx.View.Containers()
	if err != nil {
		return nil, err
	}
	all = slices.Clone(all)
	sortContainers(all)
	s := &search[Container]{plural: "containers", label: containerLabel}
	switch sel {
	case "", "any":
		s.subject, s.none, s.cands = "a container", "no containers at all", all
		return s, nil
	case "latest":
		s.subject, s.none = "the newest container", "no containers at all"
		if len(all) > 0 {
			s.cands = all[:1]
		}
		return s, nil
	}
	if o, ok := ctx.Bindings[sel]; ok {
		if o.Kind == KindImage {
			return nil, fmt.Errorf("%s is bound to an image, not a container", sel)
		}
		s.subject = boundSubject("container", sel, o)
		s.none = fmt.Sprintf("that %s no longer exists (was it removed?)", "container")
		for _, c := range all {
			if c.ID == o.ID {
				s.cands = append(s.cands, c)
			}
		}
		return s, nil
	}
	s.subject = fmt.Sprintf("container %q", sel)
	s.none = fmt.Sprintf("no container named %q", sel)
	for _, c := range all {
		if c.Name == strings.TrimPrefix(sel, "/") || c.ID == sel {
			s.cands = []Container{c}
			return s, nil
		}
	}
	if hexPrefixRE().MatchString(sel) {
		for _, c := range all {
			if strings.HasPrefix(c.ID, sel) {
				s.cands = append(s.cands, c)
			}
		}
		if len(s.cands) > 1 {
			s.cands = nil
			s.none = fmt.Sprintf("several containers whose ID starts with %s", sel)
		}
	}
	return s, nil
}

func boundSubject(what, name string, o Object) string {
	if o.Name == "" {
		return fmt.Sprintf("%s %s", what, name)
	}
	return fmt.Sprintf("%s %s", what, o.Name)
}

// --- images

func imageLabel(img Image) string {
	if len(img.Tags) > 0 {
		return img.Tags[0]
	}
	return short(img.ID) + " (untagged)"
}

func imageObject(img Image) *Object {
	name := short(img.ID)
	if len(img.Tags) > 0 {
		name = img.Tags[0]
	}
	return &Object{Kind: KindImage, ID: img.ID, ShortID: short(img.ID), Hex: strings.TrimPrefix(img.ID, "sha256:"), Name: name, Image: name}
}

func sortImages(imgs []Image) {
	slices.SortStableFunc(imgs, func(a, b Image) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// hasTag reports whether img carries the reference ref.
func hasTag(img Image, ref string) bool {
	want := cmdline.NormRef(ref)
	for _, t := range img.Tags {
		if cmdline.NormRef(t) == want {
			return true
		}
	}
	return false
}

// images selects images: "" means any; else a binding, a reference, or an ID.
func images(ctx *Context, sel string) (*search[Image], error) {
	all, err := ctx.View.Images()
	if err != nil {
		return nil, err
	}
	all = slices.Clone(all)
	sortImages(all)
	s := &search[Image]{plural: "images", label: imageLabel}
	if sel == "" || sel == "any" {
		s.subject, s.none, s.cands = "an image", "no images at all", all
		return s, nil
	}
	if o, ok := ctx.Bindings[sel]; ok {
		if o.Kind == KindContainer {
			return nil, fmt.Errorf("%s is bound to a container, not an image", sel)
		}
		s.subject = boundSubject("image", sel, o)
		s.none = "that image no longer exists (was it removed?)"
		for _, img := range all {
			if img.ID == o.ID {
				s.cands = append(s.cands, img)
			}
		}
		return s, nil
	}
	s.subject = fmt.Sprintf("image %q", sel)
	s.none = fmt.Sprintf("no image %q (images here: %s)", sel, orNone(listOf(all, imageLabel, 6)))
	for _, img := range all {
		if hasTag(img, sel) || img.ID == sel {
			s.cands = []Image{img}
			return s, nil
		}
	}
	if hexPrefixRE().MatchString(sel) {
		h := strings.TrimPrefix(sel, "sha256:")
		var found []Image
		for _, img := range all {
			if strings.HasPrefix(strings.TrimPrefix(img.ID, "sha256:"), h) {
				found = append(found, img)
			}
		}
		if len(found) == 1 {
			s.cands = found
		}
	}
	return s, nil
}

// imageID resolves an image selector to an ID, "" when there is no such image.
func imageID(ctx *Context, sel string) (string, error) {
	s, err := images(ctx, sel)
	if err != nil || len(s.cands) == 0 {
		return "", err
	}
	return s.cands[0].ID, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// --- small words

func quoteArgs(args []string) string {
	if args == nil {
		return "[]"
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// excerpt shows the start of a text, on one line, in quotes a learner reads
// easily: Go's escapes only where the text holds control characters.
func excerpt(s string, max int) string {
	s = strings.Join(strings.Fields(plainText(s)), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Sprintf("%q", s)
	}
	return quoted(s)
}

// plainText is s without terminal escape sequences (colours, clear screen, OSC
// titles): what the learner saw, not the codes that drew it.
func plainText(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return escapeRE().ReplaceAllString(s, "")
}

var escapeRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])`)
}) // compiled on first use: start-up stays fast

// squeeze normalizes a command line: runs of white space become one space.
func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }

func defaultTimeout(ctx *Context, d time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	if ctx.ExecTimeout > 0 {
		return ctx.ExecTimeout
	}
	return 30 * time.Second
}

// absent passes when no candidate meets every condition.
func (s *search[T]) absent(conds []cond[T]) (bool, string, error) {
	found, err := s.matching(conds)
	if err != nil {
		return false, "", err
	}
	exp := "expected no " + noArticle(s.expected(conds))
	if len(found) == 0 {
		return true, "found none, as expected: " + exp[len("expected "):], nil
	}
	return false, fmt.Sprintf("%s; found %s", exp, listOf(found, s.label, 5)), nil
}

// counted passes when the number of candidates meeting every condition is right.
func (s *search[T]) counted(conds []cond[T], n count) (bool, string, []T, error) {
	found, err := s.matching(conds)
	if err != nil {
		return false, "", nil, err
	}
	what := noArticle(s.expected(conds))
	if strings.HasPrefix(s.subject, "a ") || strings.HasPrefix(s.subject, "an ") {
		what = s.plural + strings.TrimPrefix(what, strings.TrimSuffix(s.plural, "s"))
	}
	got := fmt.Sprintf("found %d", len(found))
	if len(found) > 0 {
		got += ": " + listOf(found, s.label, 5)
	}
	if n.ok(len(found)) {
		return true, got, found, nil
	}
	return false, fmt.Sprintf("expected %s %s; %s", n, what, got), found, nil
}

func noArticle(s string) string {
	for _, a := range []string{"a ", "an ", "the "} {
		if strings.HasPrefix(s, a) {
			return s[len(a):]
		}
	}
	return s
}

// count is "3", ">=2", ">1", "<=4", "<3" or "==3".
type count struct {
	op string
	n  int
}

var countRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(>=|<=|==|>|<)?\s*([0-9]+)\s*$`) }) // compiled on first use: start-up stays fast

func parseCount(s string) (count, bool) {
	m := countRE().FindStringSubmatch(s)
	if m == nil {
		return count{}, false
	}
	var n int
	fmt.Sscanf(m[2], "%d", &n)
	op := m[1]
	if op == "" {
		op = "=="
	}
	return count{op, n}, true
}

func (c count) ok(n int) bool {
	switch c.op {
	case ">=":
		return n >= c.n
	case "<=":
		return n <= c.n
	case ">":
		return n > c.n
	case "<":
		return n < c.n
	}
	return n == c.n
}

func (c count) String() string {
	switch c.op {
	case ">=":
		return fmt.Sprintf("at least %d", c.n)
	case "<=":
		return fmt.Sprintf("at most %d", c.n)
	case ">":
		return fmt.Sprintf("more than %d", c.n)
	case "<":
		return fmt.Sprintf("fewer than %d", c.n)
	}
	return fmt.Sprint(c.n)
}
