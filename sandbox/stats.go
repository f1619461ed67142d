package sandbox

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox/runtime"
)

// Stats is one container's resource use, as `docker stats` shows it. Without a
// memory cgroup of its own, memory is what its processes hold resident (RSS), and
// the limit the machine's memory.
type Stats struct {
	ID, Name              string
	CPUPercent            float64
	MemUsage, MemLimit    uint64
	NetRx, NetTx          uint64
	BlockRead, BlockWrite uint64
	PIDs                  int
	cpu                   time.Duration
	at                    time.Time
}

// ContainerStats measures the running containers cs over interval (CPU use needs two
// readings); a container that stopped meanwhile reads as zeros.
func (sb *Sandbox) ContainerStats(cs []*Container, interval time.Duration) []Stats {
	out := make([]Stats, len(cs))
	for i, c := range cs {
		out[i] = sb.readStats(c)
	}
	time.Sleep(interval)
	for i, c := range cs {
		before := out[i]
		out[i] = sb.readStats(c)
		if wall := out[i].at.Sub(before.at); wall > 0 && out[i].cpu >= before.cpu {
			out[i].CPUPercent = float64(out[i].cpu-before.cpu) / float64(wall) * 100
		}
	}
	return out
}

func (sb *Sandbox) readStats(c *Container) Stats {
	s := Stats{ID: c.ID, Name: c.ShortName(), MemLimit: machineMemory(), at: time.Now()}
	if m := c.HostConfig.Memory; m > 0 {
		s.MemLimit = uint64(m) // run -m
	}
	if !c.State.Running {
		return s
	}
	procs, err := runtime.Top(sb.containerDir(c.ID))
	if err != nil {
		return s
	}
	page := uint64(os.Getpagesize())
	for _, p := range procs {
		dir := "/proc/" + strconv.Itoa(p.PID) + "/"
		s.cpu += p.CPU
		if f := procFields(dir+"statm", " "); len(f) > 1 {
			rss, _ := strconv.ParseUint(f[1], 10, 64)
			s.MemUsage += rss * page
		}
		io := procKeys(dir + "io")
		s.BlockRead += io["read_bytes"]
		s.BlockWrite += io["write_bytes"]
		s.PIDs += int(max(1, procKeys(dir + "status")["Threads"]))
	}
	// On the host's network the host's counters are not the container's: Docker
	// shows none.
	if len(procs) > 0 && c.HostConfig.NetworkMode != NetworkHost {
		s.NetRx, s.NetTx = netBytes("/proc/" + strconv.Itoa(procs[0].PID) + "/net/dev")
	}
	return s
}

func procFields(path, sep string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), sep)
}

// procKeys reads "key: value" or "key value" lines with a number (kB dropped).
func procKeys(path string) map[string]uint64 {
	out := map[string]uint64{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(strings.Replace(sc.Text(), ":", " ", 1))
		if len(f) >= 2 {
			if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				out[f[0]] = n
			}
		}
	}
	return out
}

// netBytes adds up received and sent bytes of every interface but loopback.
func netBytes(path string) (rx, tx uint64) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) >= 9 {
			r, _ := strconv.ParseUint(f[0], 10, 64)
			t, _ := strconv.ParseUint(f[8], 10, 64)
			rx, tx = rx+r, tx+t
		}
	}
	return rx, tx
}

func machineMemory() uint64 { return procKeys("/proc/meminfo")["MemTotal"] * 1024 }
