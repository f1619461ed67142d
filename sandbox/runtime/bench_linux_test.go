package runtime

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRunTrue measures start + exit + wait of `true` (new shim, namespaces, overlay,
// pivot_root, exec) on one container re-started each time.
func BenchmarkRunTrue(b *testing.B) {
	benchRunTrue(b, Security{Seccomp: defaultFilter(b)})
}

// BenchmarkRunTrueUnconfined is BenchmarkRunTrue without seccomp and no_new_privs:
// the difference is what applying them costs a run.
func BenchmarkRunTrueUnconfined(b *testing.B) {
	benchRunTrue(b, Security{SeccompUnconfined: true, NewPrivs: true})
}

func benchRunTrue(b *testing.B, sec Security) {
	requireRoot(b)
	spec := newSpec(b, "true")
	spec.Process.Security = sec
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
// within the 10 MiB budget. The shim sheds its start-up pages shortly after replying to Start
// (see settleDelay), so this waits for that rather than racing it.
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
	read := func() (kb int, report []string) {
		status, err := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "RssAnon:") || strings.HasPrefix(l, "RssFile:") || strings.HasPrefix(l, "Threads:") {
				report = append(report, l)
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
				kb, _ = strconv.Atoi(f[1])
			}
		}
		return kb, report
	}
	kb, report := read()
	t.Logf("right after Start: VmRSS %d kB", kb)
	for deadline := time.Now().Add(30 * time.Second); kb > 10*1024 && !raceEnabled && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		kb, report = read()
	}
	for _, l := range report {
		t.Log(l)
	}
	if kb > 10*1024 && !raceEnabled {
		t.Errorf("shim VmRSS %d kB is over 10 MiB", kb)
	}
	if err := Stop(spec.Dir, 0); err != nil {
		t.Fatal(err)
	}
}
