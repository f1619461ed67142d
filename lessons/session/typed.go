package session

import (
	"strings"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
)

// AppendTyped journals a line typed in the learner's own shell (the hook's
// journal-append, or the recorder) with its exit code and output, and what its
// docker commands noted they touched; a line naming docker whose commands noted
// nothing (a docker that is not dockling, say) gets what its words name.
func AppendTyped(dir, line string, code int, output string) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	cs, is, err := journal.TakePending(dir)
	if err != nil {
		return err
	}
	if strings.Contains(line, "docker") {
		if sb, err := sandbox.Open(dir); err == nil {
			st := journal.Capture(sb)
			oc, oi := journal.ParseOperands(line).Resolve(st, st)
			cs, is = append(cs, oc...), append(is, oi...)
		}
	}
	return journal.Append(dir, journal.Entry{Line: line, ExitCode: code, Output: output, Containers: dedupe(cs), Images: dedupe(is)})
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
