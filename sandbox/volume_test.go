package sandbox

import (
	"path/filepath"
	"testing"
)

// A graded sandbox's records are someone else's: its binds are left out and a
// volume's folder comes from its (checked) name, never from the recorded path, so
// starting one of its containers (an exec check) cannot mount the grader's host.
func TestRuntimeMountsOfUntrustedRecords(t *testing.T) {
	sb := &Sandbox{dir: t.TempDir(), Untrusted: true}
	c := &Container{MountPoints: map[string]*MountPoint{
		"/host":  {Type: MountBind, Source: "/etc", Destination: "/host", RW: true},
		"/climb": {Type: MountVolume, Name: "../../../etc", Source: "/etc", Destination: "/climb"},
		"/data":  {Type: MountVolume, Name: "data", Source: "/etc", Destination: "/data", RW: true},
		"/t":     {Type: MountTmpfs, Destination: "/t", RW: true},
	}}
	got := sb.runtimeMounts(c)
	if len(got) != 2 {
		t.Fatalf("mounts = %+v, want the volume and the tmpfs only", got)
	}
	if got[0].Destination != "/data" || got[0].Source != filepath.Join(sb.dir, "volumes", "data", "_data") {
		t.Errorf("volume mount = %+v, want its folder under the sandbox", got[0])
	}
	if got[1].Type != "tmpfs" {
		t.Errorf("second mount = %+v, want the tmpfs", got[1])
	}
	sb.Untrusted = false
	if got := sb.runtimeMounts(c); len(got) != 3 || got[1].Source != "/etc" {
		t.Errorf("trusted mounts = %+v, want the bind too", got)
	}
}

func TestVolumeNames(t *testing.T) {
	for _, name := range []string{"..", ".", "../x", "a/b", "/abs", "", "-x", "a b"} {
		if checkVolumeName(name) == nil {
			t.Errorf("volume name %q accepted", name)
		}
	}
	for _, name := range []string{"data", "a..b", "x_1.2-3"} {
		if err := checkVolumeName(name); err != nil {
			t.Errorf("volume name %q refused: %v", name, err)
		}
	}
}
