package tierkit

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Kind says how an observation is compared between engines.
type Kind int

const (
	// Text is compared line by line after Normalise.
	Text Kind = iota
	// Table is a docker table (images, ps, history): compared cell by cell after
	// NormaliseCell, so column widths that follow from normalised values do not count.
	Table
	// ExitCode is an observation with an exit code and no output (a terminal's end).
	// Outputs are never left out of the comparison: what differs by design is
	// normalised below.
	ExitCode
	// LineSet is Text compared as a set of lines, for docker diff (see below).
	LineSet
)

// Obs is one thing a learner saw: a command's output, or one exchange on a terminal.
type Obs struct {
	Label  string // e.g. "commit: ps -a after the gotcha"
	Cmd    string // as typed
	Kind   Kind
	Stdout string
	Stderr string
	Code   int // -1 where there is none (a line typed into a container's shell)
}

// ---------------------------------------------------------------------------
// Normalisation: the ONE place where dockling's and Docker's outputs are made
// comparable. Everything replaced here differs by design between two runs of the same
// commands, whichever engine runs them:
//
//   - IDs: image IDs are sha256 of a config that holds creation times; container IDs
//     are random; the hostname a container's prompt shows is its short ID. So every
//     64- or 12-digit hex word becomes <id> (sha256:<id> keeps its prefix).
//   - Times: "5 seconds ago", "Less than a second ago", "About a minute ago", "Up 3
//     seconds" depend on how fast each engine ran the steps. The words around them
//     ("Exited (0)", "Up") are kept; only the duration becomes <ago>.
//   - Sizes: Docker and dockling count a layer's bytes differently (Docker the files'
//     sizes, dockling its own accounting), and apt-get's downloads vary. A non-zero
//     size becomes <size>; 0B (an empty layer) is kept because it means something.
//   - Generated names: adjective_surname is random. A name the test found in a table
//     and registered (names) becomes its role, e.g. <first-container>; any other
//     generated name in a NAMES column becomes <generated>.
//   - Whitespace at line ends (tabwriter pads the last column of some rows only).
//   - The order of docker diff's lines: Docker prints the changes in the order its
//     storage driver walks the container's layer, which is the directories' order on
//     disk (ext4 hashes names), not a documented order. Compared as a set (LineSet).
//   - The host name in a shell prompt (root@HOST:/# ): Docker's containers here need
//     --network host (the private daemon has no bridge), which also gives them the
//     machine's host name, where on Docker's default network, as a learner has it,
//     the host name is the container's short ID, as dockling's is (tests/distro
//     checks that on dockling). So a prompt's host becomes <host>.
//   - "Error response from daemon: " (also after "docker: ") is Docker's client
//     relaying its daemon; dockling has no daemon, so it says "Error: " and then the
//     same words. The prefix becomes "Error: ".
//   - Docker 20.10 refuses `rm` of a running container with "You cannot remove a
//     running container ID. Stop the container before attempting removal or force
//     remove"; Docker 23 and later (and dockling) say `cannot remove container
//     "/NAME": container is running: stop the container before removing or force
//     remove`. The old sentence becomes the new one's <removal refused>, as does ours.
//   - The order of an image's rows in docker images when it has names in more than
//     one repository: Docker's client collects an image's tags in a map keyed by
//     repository and prints them in the map's (random) order. Rows of one image are
//     compared sorted by repository and tag (sameImageRowsSorted).
//   - Docker 20.10's client logs `time="…" level=error msg="error waiting for
//     container: context canceled"` when a container fails to start: a race inside
//     Docker's client, not something a learner should see from dockling. Dropped.
//   - A container that cannot start (a command the image lacks): Docker's daemon
//     passes on its runtime's chain of causes, "failed to create shim task: OCI
//     runtime create failed: runc create failed: unable to start container process:
//     CAUSE: unknown."; dockling has no containerd and no runc between the CLI and the
//     container and says "CAUSE.". The chain around the cause goes; the cause (exec:
//     "no-such-command": executable file not found in $PATH) is compared.
//   - The content hash of a COPY or ADD in a build's history ("COPY file:8a68…"):
//     Docker's classic builder sums the files with its tarsum, dockling with a
//     sha256 of its own tar of them; a rebuild keys its cache on either alike. The
//     whole hash is an <id> already; the table's truncated one becomes <hash>…
//   - apt-get's "Fetched 15.0 MB in 1s (10.7 MB/s)": how long the download took and
//     how fast it went depend on the network at that moment. Time and rate become
//     <time> and <rate>; the size, and every other line apt-get and dpkg print, are
//     compared.
//   - The unprivileged side's apt-get has RootlessAptOption after it, and warns that
//     it could not give its log to root:adm (rootless.go says why: one id mapped).
//     The option is dropped from what was typed and that one warning (EINVAL, the
//     unmapped-id error, only) from what apt-get printed, so that the typed line and
//     everything else apt-get printed are compared with Docker's.
// ---------------------------------------------------------------------------

var (
	sha256RE  = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	longIDRE  = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	shortIDRE = regexp.MustCompile(`\b[0-9a-f]{12}\b`)
	// durationRE is go-units' HumanDuration, as Docker prints it.
	durationRE = regexp.MustCompile(`(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes?|hours?|days?|weeks?|months?|years?))`)
	sizeRE     = regexp.MustCompile(`^\d+(\.\d+)?(B|kB|MB|GB|TB)$`)
	genNameRE  = regexp.MustCompile(`^[a-z]+_[a-z]+[0-9]*$`)
	promptHost = regexp.MustCompile(`(?m)^([A-Za-z0-9_.-]+)@[A-Za-z0-9_.-]+:([^\n#$ ]*[#$] )`)
	waitRaceRE = regexp.MustCompile(`(?m)^time="[^"]*" level=error msg="error waiting for container: context canceled"\n?`)
	daemonRE   = regexp.MustCompile(`(?m)^(docker: )?Error response from daemon: `)
	rmOldRE    = regexp.MustCompile(`You cannot remove a running container \S+\. Stop the container before attempting removal or force remove`)
	rmNewRE    = regexp.MustCompile(`cannot remove container "[^"]*": container is running: stop the container before removing or force remove`)
	dockerErr  = regexp.MustCompile(`(?m)^docker: Error: `)
	runcRE     = regexp.MustCompile(`failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ([^\n]*?): unknown`)
	aptLogRE   = regexp.MustCompile(`(?m)^W: chown to \S+ of file /var/log/apt/\S+ failed - OpenLog \(22: Invalid argument\)\n?`)
	copyHashRE = regexp.MustCompile(`\b(file|dir|multi):[0-9a-f]{1,63}…`)
	fetchedRE  = regexp.MustCompile(`(?m)^Fetched ([0-9.,]+ [kMGT]?B) in [^(\n]*\([^)\n]*/s\)`)
)

// Normalise makes free text comparable (see the comment above).
func Normalise(s string, names map[string]string) string {
	s = CleanTerminal(s)
	s = waitRaceRE.ReplaceAllString(s, "")
	s = daemonRE.ReplaceAllString(s, "Error: ")
	s = dockerErr.ReplaceAllString(s, "Error: ")
	s = rmOldRE.ReplaceAllString(s, "<removal refused>")
	s = rmNewRE.ReplaceAllString(s, "<removal refused>")
	s = runcRE.ReplaceAllString(s, "$1")
	s = fetchedRE.ReplaceAllString(s, "Fetched $1 in <time> (<rate>)")
	s = copyHashRE.ReplaceAllString(s, "$1:<hash>…")
	s = strings.ReplaceAll(s, " "+RootlessAptOption, "")
	s = aptLogRE.ReplaceAllString(s, "")
	s = promptHost.ReplaceAllString(s, "$1@<host>:$2")
	s = sha256RE.ReplaceAllString(s, "sha256:<id>")
	s = longIDRE.ReplaceAllString(s, "<id>")
	s = shortIDRE.ReplaceAllString(s, "<id>")
	s = replaceNames(s, names)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// SameStep reports whether two observations' labels name the same step of a sequence:
// a terminal's label holds the line typed, which on the unprivileged side carries
// RootlessAptOption (see the comment above).
func SameStep(a, b string) bool {
	drop := func(l string) string { return strings.ReplaceAll(l, " "+RootlessAptOption, "") }
	return drop(a) == drop(b)
}

// NormaliseCell makes one table cell comparable, by its column's title.
func NormaliseCell(column, cell string, names map[string]string) string {
	switch column {
	case "CREATED":
		return durationRE.ReplaceAllString(cell, "<ago>")
	case "STATUS":
		return durationRE.ReplaceAllString(cell, "<ago>")
	case "SIZE":
		if cell != "0B" && sizeRE.MatchString(cell) {
			return "<size>"
		}
		return cell
	case "NAMES":
		if role, ok := names[cell]; ok {
			return role
		}
		if genNameRE.MatchString(cell) {
			return "<generated>"
		}
		return cell
	}
	return Normalise(cell, names)
}

func replaceNames(s string, names map[string]string) string {
	// Longest first, so a name that contains another is replaced whole.
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		s = regexp.MustCompile(`\b`+regexp.QuoteMeta(k)+`\b`).ReplaceAllString(s, names[k])
	}
	return s
}

// ParsedTable is a docker table split into cells.
type ParsedTable struct {
	Header []string
	Rows   [][]string
}

// Column returns the cells of the column titled title.
func (p ParsedTable) Column(title string) []string {
	for i, h := range p.Header {
		if h == title {
			var out []string
			for _, r := range p.Rows {
				out = append(out, r[i])
			}
			return out
		}
	}
	return nil
}

// Cell returns row r's cell in the column titled title ("" when there is none).
func (p ParsedTable) Cell(r int, title string) string {
	col := p.Column(title)
	if r < 0 || r >= len(col) {
		return ""
	}
	return col[r]
}

// ParseTable splits a docker table (text/tabwriter, three spaces of padding) into
// cells. Columns start where their titles start; titles may hold one space ("IMAGE
// ID", "CREATED BY") and are separated by at least two.
func ParseTable(out string) ParsedTable {
	lines := strings.Split(strings.TrimRight(CleanTerminal(out), "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return ParsedTable{}
	}
	head := []rune(lines[0])
	var starts []int
	var titles []string
	for i := 0; i < len(head); {
		if head[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(head) && !(head[j] == ' ' && (j+1 >= len(head) || head[j+1] == ' ')) {
			j++
		}
		starts = append(starts, i)
		titles = append(titles, string(head[i:j]))
		i = j
	}
	p := ParsedTable{Header: titles}
	for _, l := range lines[1:] {
		r := []rune(l)
		row := make([]string, len(starts))
		for c, s := range starts {
			end := len(r)
			if c+1 < len(starts) && starts[c+1] < end {
				end = starts[c+1]
			}
			if s < end {
				row[c] = strings.TrimSpace(string(r[s:end]))
			}
		}
		p.Rows = append(p.Rows, row)
	}
	return p
}

// NormaliseTable renders a table with normalised cells, one row a line, cells
// separated by " | ", so the comparison ignores alignment.
func NormaliseTable(out string, names map[string]string) string {
	p := sameImageRowsSorted(ParseTable(out))
	var b strings.Builder
	b.WriteString(strings.Join(p.Header, " | "))
	for _, r := range p.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = NormaliseCell(p.Header[i], c, names)
		}
		b.WriteString("\n" + strings.Join(cells, " | "))
	}
	return b.String()
}

// sameImageRowsSorted sorts each run of rows with the same IMAGE ID in a docker images
// table by REPOSITORY and TAG (see the comment at the top); other tables are returned
// as they are.
func sameImageRowsSorted(p ParsedTable) ParsedTable {
	id, repo, tag := -1, -1, -1
	for i, h := range p.Header {
		switch h {
		case "IMAGE ID":
			id = i
		case "REPOSITORY":
			repo = i
		case "TAG":
			tag = i
		}
	}
	if id < 0 || repo < 0 || tag < 0 {
		return p
	}
	rows := append([][]string(nil), p.Rows...)
	for start := 0; start < len(rows); {
		end := start + 1
		for end < len(rows) && rows[end][id] == rows[start][id] {
			end++
		}
		run := rows[start:end]
		sort.SliceStable(run, func(a, b int) bool {
			if run[a][repo] != run[b][repo] {
				return run[a][repo] < run[b][repo]
			}
			return run[a][tag] < run[b][tag]
		})
		start = end
	}
	p.Rows = rows
	return p
}

// Comparable is what is compared of an observation: exit code, stdout and stderr,
// normalised by kind.
func (o Obs) Comparable(names map[string]string) (stdout, stderr string) {
	switch o.Kind {
	case ExitCode:
		return "", ""
	case Table:
		return NormaliseTable(o.Stdout, names), Normalise(o.Stderr, names)
	case LineSet:
		lines := strings.Split(strings.TrimRight(Normalise(o.Stdout, names), "\n"), "\n")
		sort.Strings(lines)
		return strings.Join(lines, "\n"), Normalise(o.Stderr, names)
	}
	return Normalise(o.Stdout, names), Normalise(o.Stderr, names)
}

// SideBySide shows two texts in two columns, lines that differ marked with "!".
func SideBySide(leftTitle, left, rightTitle, right string) string {
	l := strings.Split(left, "\n")
	r := strings.Split(right, "\n")
	w := utf8.RuneCountInString(leftTitle)
	for _, s := range l {
		if n := utf8.RuneCountInString(s); n > w {
			w = n
		}
	}
	if w > 100 {
		w = 100
	}
	pad := func(s string) string {
		rs := []rune(s)
		if len(rs) > w {
			return string(rs[:w-1]) + "…"
		}
		return s + strings.Repeat(" ", w-len(rs))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "   %s │ %s\n", pad(leftTitle), rightTitle)
	fmt.Fprintf(&b, "   %s─┼─%s\n", strings.Repeat("─", w), strings.Repeat("─", 20))
	for i := 0; i < len(l) || i < len(r); i++ {
		var a, c string
		if i < len(l) {
			a = l[i]
		}
		if i < len(r) {
			c = r[i]
		}
		mark := " "
		if a != c {
			mark = "!"
		}
		fmt.Fprintf(&b, " %s %s │ %s\n", mark, pad(a), c)
	}
	return b.String()
}

// Dump writes observations as compared (normalised) and as printed, for a look at
// what the tiers saw (DOCKLING_PARITY_DUMP).
func Dump(obs []Obs, names map[string]string) string {
	var b strings.Builder
	for _, o := range obs {
		so, se := o.Comparable(names)
		fmt.Fprintf(&b, "### %s\n$ %s\n[exit %d]\n--- stdout, normalised\n%s\n--- stderr, normalised\n%s\n--- stdout, as printed\n%s\n--- stderr, as printed\n%s\n\n",
			o.Label, o.Cmd, o.Code, so, se, CleanTerminal(o.Stdout), CleanTerminal(o.Stderr))
	}
	return b.String()
}
