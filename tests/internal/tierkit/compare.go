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
		if oa.Label != ob.Label || Normalise(oa.Cmd, aNames) != Normalise(ob.Cmd, bNames) {
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
