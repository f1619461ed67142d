package sandbox

import (
	"encoding/csv"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Mount types, as Docker names them.
const (
	MountBind   = "bind"
	MountVolume = "volume"
	MountTmpfs  = "tmpfs"
)

// MountRequest is one -v, --mount or --tmpfs, parsed; Create checks and resolves it.
type MountRequest struct {
	Type        string
	Source      string // bind: host path; volume: name ("" = anonymous)
	Destination string
	ReadOnly    bool
	Mode        string // the -v mode as typed ("ro", "z", ...), for inspect
	// CreateSource: a missing bind source is made (-v), not refused (--mount).
	CreateSource bool
	NoCopy       bool   // volume-nocopy / nocopy: an image's files are not copied in
	TmpfsData    string // size=, mode=
	TmpfsNoExec  bool
	// FromTmpfsFlag: --tmpfs, which inspect shows in HostConfig.Tmpfs, not Mounts.
	FromTmpfsFlag bool
	FromMountFlag bool // --mount, which is not among HostConfig.Binds
}

// ErrMountSpec: a -v, --mount or --tmpfs that Docker refuses.
var ErrMountSpec = errors.New("invalid mount")

// MountSpecError is a refused mount, in Docker's words.
type MountSpecError struct{ Msg string }

func (e *MountSpecError) Error() string { return e.Msg }
func (e *MountSpecError) Unwrap() error { return ErrMountSpec }

// MountFlagError is a --mount value Docker's CLI refuses before anything is made
// (a usage error), in its words.
type MountFlagError struct{ Msg string }

func (e *MountFlagError) Error() string { return e.Msg }
func (e *MountFlagError) Unwrap() error { return ErrMountSpec }

// ParseVolumeFlag reads -v [SOURCE:]DESTINATION[:MODE] as Docker on Linux does: an
// absolute SOURCE is a host folder, any other a volume name, none an anonymous volume.
func ParseVolumeFlag(spec string) (MountRequest, error) {
	parts := strings.Split(spec, ":")
	var m MountRequest
	switch len(parts) {
	case 1:
		m = MountRequest{Type: MountVolume, Destination: parts[0]}
	case 2, 3:
		m = MountRequest{Type: MountVolume, Source: parts[0], Destination: parts[1]}
		if len(parts) == 3 {
			m.Mode = parts[2]
		}
	default:
		return m, &MountSpecError{fmt.Sprintf("invalid volume specification: '%s'", spec)}
	}
	if m.Source == "" && len(parts) > 1 {
		return m, &MountSpecError{fmt.Sprintf("invalid volume specification: '%s'", spec)}
	}
	if strings.HasPrefix(m.Source, "/") {
		m.Type, m.CreateSource = MountBind, true
	}
	if err := applyVolumeMode(&m); err != nil {
		return m, err
	}
	if err := checkDestination(m.Type, m.Destination); err != nil {
		return m, &MountSpecError{fmt.Sprintf("invalid volume specification: '%s': %s", spec, err.Msg)}
	}
	return m, nil
}

// applyVolumeMode reads -v's comma-separated modes: rw/ro, SELinux's z/Z and the
// propagation modes (accepted, with no effect here), nocopy.
func applyVolumeMode(m *MountRequest) error {
	if m.Mode == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, o := range strings.Split(m.Mode, ",") {
		switch o {
		case "ro":
			m.ReadOnly = true
		case "rw", "z", "Z", "private", "rprivate", "shared", "rshared", "slave", "rslave":
		case "nocopy":
			if m.Type == MountBind {
				return &MountSpecError{"invalid mode: " + m.Mode}
			}
			m.NoCopy = true
		default:
			return &MountSpecError{"invalid mode: " + m.Mode}
		}
		kind := o
		if o == "ro" || o == "rw" {
			kind = "rw"
		}
		if seen[kind] {
			return &MountSpecError{"invalid mode: " + m.Mode}
		}
		seen[kind] = true
	}
	return nil
}

// checkDestination is Docker's check of a mount's target.
func checkDestination(typ, dst string) *MountSpecError {
	prefix := fmt.Sprintf("invalid mount config for type %q: ", typ)
	switch {
	case dst == "":
		return &MountSpecError{prefix + "field Target must not be empty"}
	case !path.IsAbs(dst):
		return &MountSpecError{fmt.Sprintf("%sinvalid mount path: '%s' mount path must be absolute", prefix, dst)}
	case path.Clean(dst) == "/":
		return &MountSpecError{prefix + "invalid specification: destination can't be '/'"}
	}
	return nil
}

// ParseMountFlag reads --mount's comma-separated key=value list, as Docker's CLI does.
func ParseMountFlag(spec string) (MountRequest, error) {
	r := csv.NewReader(strings.NewReader(spec))
	fields, err := r.Read()
	if err != nil {
		return MountRequest{}, &MountFlagError{fmt.Sprintf("invalid argument %q for \"--mount\" flag: %v", spec, err)}
	}
	m := MountRequest{Type: MountVolume, FromMountFlag: true}
	bad := func(format string, a ...any) error {
		return &MountFlagError{fmt.Sprintf("invalid argument %q for \"--mount\" flag: ", spec) + fmt.Sprintf(format, a...)}
	}
	for _, f := range fields {
		key, val, hasVal := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !hasVal {
			switch key {
			case "readonly", "ro", "volume-nocopy":
				val = "true"
			default:
				return m, bad("invalid field '%s' must be a key=value pair", f)
			}
		}
		switch key {
		case "type":
			m.Type = strings.ToLower(val)
		case "source", "src":
			m.Source = val
		case "target", "dst", "destination":
			m.Destination = val
		case "readonly", "ro":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return m, bad("invalid value for %s: %s", key, val)
			}
			m.ReadOnly = b
		case "volume-nocopy":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return m, bad("invalid value for volume-nocopy: %s", val)
			}
			m.NoCopy = b
		case "tmpfs-size":
			m.TmpfsData = joinData(m.TmpfsData, "size="+val)
		case "tmpfs-mode":
			m.TmpfsData = joinData(m.TmpfsData, "mode="+val)
		case "bind-propagation", "consistency", "volume-driver", "volume-label", "volume-opt", "bind-nonrecursive":
			// Accepted as Docker does; they change nothing here.
		default:
			return m, bad("unexpected key '%s' in '%s'", key, f)
		}
	}
	if m.Destination == "" {
		return m, bad("target is required")
	}
	return m, checkMountRequest(&m)
}

// checkMountRequest is what Docker's daemon checks of a --mount.
func checkMountRequest(m *MountRequest) error {
	prefix := fmt.Sprintf("invalid mount config for type %q: ", m.Type)
	switch m.Type {
	case MountBind:
		if m.Source == "" {
			return &MountSpecError{prefix + "field Source must not be empty"}
		}
		if !path.IsAbs(m.Source) {
			return &MountSpecError{fmt.Sprintf("%sinvalid mount path: '%s' mount path must be absolute", prefix, m.Source)}
		}
	case MountVolume:
	case MountTmpfs:
		if m.Source != "" {
			return &MountSpecError{prefix + "field Source must not be specified"}
		}
	default:
		return &MountSpecError{prefix + "mount type unknown"}
	}
	if err := checkDestination(m.Type, m.Destination); err != nil {
		return err
	}
	return nil
}

func joinData(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

// ParseTmpfsFlag reads --tmpfs PATH[:OPTIONS]: Docker's tmpfs is noexec, nosuid and
// nodev unless the options say exec.
func ParseTmpfsFlag(spec string) (MountRequest, error) {
	dst, opts, _ := strings.Cut(spec, ":")
	m := MountRequest{Type: MountTmpfs, Destination: dst, TmpfsNoExec: true, FromTmpfsFlag: true, Mode: opts}
	for _, o := range strings.Split(opts, ",") {
		switch {
		case o == "" || o == "rw" || o == "nosuid" || o == "nodev" || o == "suid" || o == "dev":
			// nosuid and nodev always hold.
		case o == "ro":
			m.ReadOnly = true
		case o == "exec":
			m.TmpfsNoExec = false
		case o == "noexec":
			m.TmpfsNoExec = true
		case strings.HasPrefix(o, "size=") || strings.HasPrefix(o, "mode=") || strings.HasPrefix(o, "uid=") || strings.HasPrefix(o, "gid=") || strings.HasPrefix(o, "nr_inodes="):
			m.TmpfsData = joinData(m.TmpfsData, o)
		default:
			return m, &MountSpecError{fmt.Sprintf("invalid tmpfs option %q", o)}
		}
	}
	if err := checkDestination(MountTmpfs, dst); err != nil {
		return m, err
	}
	return m, nil
}
