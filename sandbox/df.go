package sandbox

// Usage is what `docker system df` shows.
type Usage struct {
	Images, ActiveImages                  int
	ImagesSize, ImagesReclaimable         int64
	Containers, RunningContainers         int
	ContainersSize, ContainersReclaimable int64
}

// DiskUsage adds up the sandbox's images and containers.
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
	return u, nil
}
