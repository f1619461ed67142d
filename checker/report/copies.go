package report

import (
	"fmt"
	"strings"
)

// MarkCopies flags copied work: layers[i] are the sha256 sums of reports[i]'s
// container layers (a learner's own changes, which no two learners make byte for
// byte alike: file times alone differ). A report that shares a sum with others
// gets them, in batch order, in SameLayers and one warning naming them all.
func MarkCopies(reports []Report, layers [][]string) {
	owners := map[string][]int{}
	for i, sums := range layers {
		for _, s := range sums {
			if o := owners[s]; len(o) == 0 || o[len(o)-1] != i {
				owners[s] = append(o, i)
			}
		}
	}
	for i, sums := range layers {
		shares := map[int]bool{}
		for _, s := range sums {
			for _, j := range owners[s] {
				shares[j] = j != i
			}
		}
		r := &reports[i]
		for j := range reports {
			if shares[j] {
				r.SameLayers = append(r.SameLayers, reports[j].Subject)
			}
		}
		if len(r.SameLayers) > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("copied work? %s holds a container layer byte-identical to one of %s", r.Subject, strings.Join(r.SameLayers, ", ")))
		}
	}
}
