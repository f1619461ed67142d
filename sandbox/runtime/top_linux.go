package runtime

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

const clockTicks = 100 // USER_HZ, fixed at 100 on Linux for /proc

// Top lists the processes in the container's pid namespace, from /proc.
func Top(dir string) ([]Proc, error) {
	st, err := status(dir)
	if err != nil {
		return nil, err
	}
	if st.Status != "running" || !alive(st.Pid, st.InitStart) {
		return nil, ErrNotRunning
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", st.Pid))
	if err != nil {
		return nil, fmt.Errorf("reading the container's pid namespace: %w", err)
	}
	boot := bootTime()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	var out []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || l != ns {
			continue
		}
		if p, ok := readProc(pid, boot); ok {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NsPID < out[j].NsPID })
	return out, nil
}

func readProc(pid int, boot time.Time) (Proc, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Proc{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	j := strings.IndexByte(s, '(')
	if i < 0 || j < 0 {
		return Proc{}, false
	}
	comm := s[j+1 : i]
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return Proc{}, false
	}
	atoi := func(x string) int64 { n, _ := strconv.ParseInt(x, 10, 64); return n }
	p := Proc{PID: pid, State: f[0], PPID: int(atoi(f[1])), NsPID: pid, UID: -1}
	p.CPU = time.Duration(atoi(f[11])+atoi(f[12])) * time.Second / clockTicks
	p.Started = boot.Add(time.Duration(atoi(f[19])) * time.Second / clockTicks)
	p.TTY = ttyName(atoi(f[4]))
	if st, err := os.Open(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		sc := bufio.NewScanner(st)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			fs := strings.Fields(v)
			switch {
			case k == "Uid" && len(fs) > 0:
				p.UID = int(atoi(fs[0]))
			case k == "NSpid" && len(fs) > 0:
				p.NsPID = int(atoi(fs[len(fs)-1]))
			}
		}
		st.Close()
	}
	cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	p.Cmd = strings.TrimSpace(strings.ReplaceAll(string(cl), "\x00", " "))
	if p.Cmd == "" {
		p.Cmd = "[" + comm + "]"
	}
	return p, true
}

func ttyName(nr int64) string {
	major, minor := (nr>>8)&0xfff, (nr&0xff)|((nr>>12)&0xfff00)
	switch {
	case nr == 0:
		return "?"
	case major >= 136 && major <= 143:
		return "pts/" + strconv.FormatInt(minor+(major-136)*256, 10)
	case major == 4 && minor < 64:
		return "tty" + strconv.FormatInt(minor, 10)
	}
	return "?"
}

func bootTime() time.Time {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(n, 0)
		}
	}
	return time.Time{}
}
