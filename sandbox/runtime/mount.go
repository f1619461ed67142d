package runtime

// Mount is one volume, bind mount or tmpfs of a container (-v, --mount, --tmpfs),
// mounted by init after /proc, /dev and /sys and before the /etc files. Every one is
// nosuid and nodev, whatever its source: a learner's folder or a volume never lends
// the container a set-user-ID file or a device.
type Mount struct {
	// Type is "bind" (a volume is a bind of its folder) or "tmpfs".
	Type string
	// Source is the host path of a bind, already checked by the caller.
	Source string
	// Destination is the absolute path in the container, resolved beneath its root.
	Destination string
	ReadOnly    bool
	// Data is a tmpfs's mount data (size=, mode=).
	Data string `json:",omitempty"`
	// NoExec mounts it noexec (Docker's default for --tmpfs).
	NoExec bool `json:",omitempty"`
}
