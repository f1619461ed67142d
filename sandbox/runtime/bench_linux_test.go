package runtime

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkRunTrue measures start + exit + wait of `true` (new shim, namespaces, overlay,
// pivot_root, exec) on one container re-started each time.
func BenchmarkRunTrue(b *testing.B) {
	requireRoot(b)
	spec := newSpec(b, "true")
	for b.Loop() {
		if err := Start(*spec, StartOptions{}); err != nil {
			b.Fatal(err)
		}
		if code, err := Wait(spec.Dir); err != nil || code != 0 {
			b.Fatalf("Wait = %d, %v", code, err)
		}
	}
}

// TestShimMemory reports the shim's resident memory while a container sleeps and keeps it
// within the 10 MiB budget.
func TestShimMemory(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sleep", "1000")
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(spec.Dir, shimPidFile))
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "RssAnon:") || strings.HasPrefix(l, "RssFile:") || strings.HasPrefix(l, "Threads:") {
			t.Log(l)
		}
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			if kb > 10*1024 && !raceEnabled {
				t.Errorf("shim VmRSS %d kB is over 10 MiB", kb)
			}
		}
	}
	if err := Stop(spec.Dir, 0); err != nil {
		t.Fatal(err)
	}
}
