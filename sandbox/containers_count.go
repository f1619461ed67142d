package sandbox

// Counts are the container totals `docker info` shows.
type Counts struct{ Total, Running int }

// ContainerCounts counts the sandbox's containers.
func (sb *Sandbox) ContainerCounts() Counts {
	cs, _ := sb.Containers()
	n := Counts{Total: len(cs)}
	for _, c := range cs {
		if c.State.Running {
			n.Running++
		}
	}
	return n
}
