package sandbox

import "os"

// Counts are the container totals `docker info` shows.
type Counts struct{ Total, Running int }

// ContainerCounts counts the sandbox's containers.
func (sb *Sandbox) ContainerCounts() Counts {
	entries, _ := os.ReadDir(sb.Store.ContainersDir())
	return Counts{Total: len(entries)}
}
