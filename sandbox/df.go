package sandbox

// Usage is what `docker system df` shows.
type Usage struct {
	Images, ActiveImages                  int
	ImagesSize, ImagesReclaimable         int64
	Containers, RunningContainers         int
	ContainersSize, ContainersReclaimable int64
}

// DiskUsage adds up the sandbox's images and containers (a container's size is its
// writable layer's, as Docker counts it).
func (sb *Sandbox) DiskUsage() (Usage, error) {
	var u Usage
	imgs, err := sb.Store.Images()
	if err != nil {
		return u, err
	}
	counted := map[string]bool{}
	users := imageUsers(sb.containerRecords()) // read once, not once per image
	for _, img := range imgs {
		u.Images++
		active := len(users[img.ID]) > 0
		if active {
			u.ActiveImages++
		}
		// Layers shared between images count once.
		for _, c := range img.ChainIDs() {
			if counted[c] {
				continue
			}
			counted[c] = true
			if l, err := sb.Store.Layer(c); err == nil {
				u.ImagesSize += l.Size
				if !active {
					u.ImagesReclaimable += l.Size
				}
			}
		}
	}
	cs, err := sb.Containers()
	if err != nil {
		return u, err
	}
	for _, c := range cs {
		u.Containers++
		size := sb.ContainerSize(c)
		u.ContainersSize += size
		if c.State.Running {
			u.RunningContainers++
		} else {
			u.ContainersReclaimable += size
		}
	}
	return u, nil
}
