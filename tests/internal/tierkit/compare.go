package tierkit

import (
	"fmt"
	"strings"
)

// Difference is one place where two engines showed a learner different things.
type Difference struct {
	Label, Cmd string
	Detail     string // side by side
}

func (d Difference) String() string {
	return fmt.Sprintf("%s\n  $ %s\n%s", d.Label, d.Cmd, d.Detail)
}

// Compare lines up two engines' observations of the same sequence and returns where
// they differ after normalisation: exit codes, stdout and stderr, each shown side by
// side (normalised, then as printed).
func Compare(aName string, a []Obs, aNames map[string]string, bName string, b []Obs, bNames map[string]string) []Difference {
	var diffs []Difference
	n := len(a)
	if len(b) < n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		oa, ob := a[i], b[i]
		if !SameStep(oa.Label, ob.Label) || Normalise(oa.Cmd, aNames) != Normalise(ob.Cmd, bNames) {
			diffs = append(diffs, Difference{Label: oa.Label, Cmd: oa.Cmd, Detail: fmt.Sprintf("  the sequences went apart here: %s ran %q (%s), %s ran %q (%s)", aName, oa.Cmd, oa.Label, bName, ob.Cmd, ob.Label)})
			return diffs
		}
		var parts []string
		if oa.Code != ob.Code {
			parts = append(parts, fmt.Sprintf("  exit code: %s %d, %s %d", aName, oa.Code, bName, ob.Code))
		}
		sa, ea := oa.Comparable(aNames)
		sb, eb := ob.Comparable(bNames)
		if sa != sb {
			parts = append(parts, "  stdout, normalised:\n"+SideBySide(aName, trimNL(sa), bName, trimNL(sb)))
		}
		if ea != eb {
			parts = append(parts, "  stderr, normalised:\n"+SideBySide(aName, trimNL(ea), bName, trimNL(eb)))
		}
		if len(parts) > 0 {
			if sa != sb {
				parts = append(parts, "  stdout as printed:\n"+SideBySide(aName, trimNL(CleanTerminal(oa.Stdout)), bName, trimNL(CleanTerminal(ob.Stdout))))
			}
			if ea != eb {
				parts = append(parts, "  stderr as printed:\n"+SideBySide(aName, trimNL(CleanTerminal(oa.Stderr)), bName, trimNL(CleanTerminal(ob.Stderr))))
			}
			diffs = append(diffs, Difference{Label: oa.Label, Cmd: oa.Cmd, Detail: strings.Join(parts, "\n")})
		}
	}
	if len(a) != len(b) {
		diffs = append(diffs, Difference{Label: "(end)", Cmd: "", Detail: fmt.Sprintf("  %s made %d observations, %s %d (one of them stopped early)", aName, len(a), bName, len(b))})
	}
	return diffs
}

func trimNL(s string) string { return strings.TrimRight(s, "\n") }

// Failure is a check that failed on one engine: what was wanted, and the observations
// it is about (Obs[From:To]: one command, or a whole terminal).
type Failure struct {
	Msg      string
	From, To int
}

// FailureReport shows a failed check of engine name: the command, then its exit code,
// stdout and stderr as printed, side by side with what engine otherName printed for
// the same observations (found by label), or alone when other never got there (or
// no other engine ran the sequence: otherName "").
func FailureReport(name string, obs []Obs, f Failure, otherName string, other []Obs) string {
	if f.From < 0 || f.To > len(obs) || f.From >= f.To {
		return fmt.Sprintf("[%s] %s (observations %d to %d of %d)", name, f.Msg, f.From, f.To, len(obs))
	}
	mine := obs[f.From:f.To]
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s\n  %s\n  $ %s\n", name, f.Msg, mine[0].Label, mine[0].Cmd)
	theirs, found := sameObs(mine, other, f.From)
	ms, me, mc := joined(mine)
	if !found {
		if otherName != "" {
			fmt.Fprintf(&b, "  (%s did not get this far: %s's output alone)\n", otherName, name)
		}
		fmt.Fprintf(&b, "  exit code %s\n  stdout:\n%s  stderr:\n%s", mc, indent(ms), indent(me))
		return b.String()
	}
	ts, te, tc := joined(theirs)
	fmt.Fprintf(&b, "  exit code: %s %s, %s %s\n", name, mc, otherName, tc)
	fmt.Fprintf(&b, "  stdout, as printed:\n%s", SideBySide(name, trimNL(ms), otherName, trimNL(ts)))
	if me != "" || te != "" {
		fmt.Fprintf(&b, "  stderr, as printed:\n%s", SideBySide(name, trimNL(me), otherName, trimNL(te)))
	}
	return b.String()
}

// sameObs finds in other the run of observations with mine's labels: at the same
// place when the sequences line up there, else the first run with those labels.
func sameObs(mine, other []Obs, place int) ([]Obs, bool) {
	match := func(at int) bool {
		if at < 0 || at+len(mine) > len(other) {
			return false
		}
		for i, o := range mine {
			if !SameStep(other[at+i].Label, o.Label) {
				return false
			}
		}
		return true
	}
	if match(place) {
		return other[place : place+len(mine)], true
	}
	for at := 0; at+len(mine) <= len(other); at++ {
		if match(at) {
			return other[at : at+len(mine)], true
		}
	}
	return nil, false
}

// joined is a run of observations as one: stdout and stderr (as printed) one after
// the other, and the last exit code ("-" where there is none).
func joined(obs []Obs) (stdout, stderr, code string) {
	var so, se strings.Builder
	code = "-"
	for _, o := range obs {
		so.WriteString(endNewline(CleanTerminal(o.Stdout)))
		se.WriteString(endNewline(CleanTerminal(o.Stderr)))
		if o.Code >= 0 {
			code = fmt.Sprint(o.Code)
		}
	}
	return so.String(), se.String(), code
}

func endNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

func indent(s string) string {
	if s == "" {
		return "   (nothing)\n"
	}
	return "   " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n   ") + "\n"
}
