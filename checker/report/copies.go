package report

import (
	"fmt"
	"sort"
)

// MarkCopies flags copied work: layers[i] are the sha256 sums of reports[i]'s
// container layers (a learner's own changes, which no two learners make byte for
// byte alike: file times alone differ). Each report that shares a sum with another
// gets a warning naming the other subject, and the other in SameLayers.
func MarkCopies(reports []Report, layers [][]string) {
	owners := map[string][]int{}
	for i, sums := range layers {
		for _, s := range sums {
			if o := owners[s]; len(o) == 0 || o[len(o)-1] != i {
				owners[s] = append(o, i)
			}
		}
	}
	sums := make([]string, 0, len(owners))
	for s := range owners {
		sums = append(sums, s)
	}
	sort.Strings(sums)
	marked := map[[2]int]bool{}
	for _, s := range sums {
		for _, i := range owners[s] {
			for _, j := range owners[s] {
				if i == j || marked[[2]int{i, j}] {
					continue
				}
				marked[[2]int{i, j}] = true
				r := &reports[i]
				r.SameLayers = append(r.SameLayers, reports[j].Subject)
				r.Warnings = append(r.Warnings, fmt.Sprintf("copied work? %s holds a container layer byte-identical to one of %s (sha256:%.12s)", r.Subject, reports[j].Subject, s))
			}
		}
	}
}
