package journal

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox"
)

// State is what a sandbox holds at one moment: container and image IDs, each with a
// fingerprint that changes when the object does (a container starting or exiting, an
// image gaining or losing a tag). Comparing the State before and after a command
// gives the entry's Containers and Images.
type State struct {
	Containers map[string]string
	Images     map[string]string
}

// Capture reads the sandbox's containers and images. It is best effort: what cannot
// be read is left out, since a journal entry must never fail for it.
func Capture(sb *sandbox.Sandbox) State {
	st := State{Containers: map[string]string{}, Images: map[string]string{}}
	if cs, err := sb.Containers(); err == nil {
		for _, c := range cs {
			s := c.State
			st.Containers[c.ID] = fmt.Sprintf("%s|%s|%d|%d|%s|%s", c.Name, s.Status, s.Pid, s.ExitCode,
				s.StartedAt.Format(time.RFC3339Nano), s.FinishedAt.Format(time.RFC3339Nano))
		}
	}
	imgs, err := sb.Store.Images()
	if err != nil {
		return st
	}
	tags, _ := sb.Store.Tags()
	for _, img := range imgs {
		var names []string
		for _, r := range tags[img.ID] {
			names = append(names, r.String())
		}
		sort.Strings(names)
		st.Images[img.ID] = strings.Join(names, ",")
	}
	return st
}

// Touched lists, sorted, the containers and images that appeared, disappeared or
// changed between before and after.
func Touched(before, after State) (containers, images []string) {
	return changed(before.Containers, after.Containers), changed(before.Images, after.Images)
}

func changed(a, b map[string]string) []string {
	var out []string
	for id, fa := range a {
		if fb, ok := b[id]; !ok || fa != fb {
			out = append(out, id)
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
