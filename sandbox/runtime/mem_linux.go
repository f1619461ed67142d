package runtime

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// trimText drops this process's page-table entries for the executable's read-only,
// never-written mappings (code and read-only data). The shim is the whole CLI binary, and
// package initialisation touches megabytes of it that the shim never needs again; those
// pages stay in the page cache (shared with every other dockling process) and fault back
// in if used, but no longer count in the shim's resident set. Mappings holding any
// anonymous (copy-on-write) page, such as RELRO, are left alone: dropping them would
// revert their relocations.
func trimText() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	type span struct{ start, end uintptr }
	var spans []span
	var cur *span
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && len(fields[1]) == 4 {
			cur = nil
			path := ""
			if len(fields) >= 6 {
				path = strings.TrimSuffix(strings.Join(fields[5:], " "), " (deleted)")
			}
			if path != exe || fields[1][1] == 'w' {
				continue
			}
			lo, hi, _ := strings.Cut(fields[0], "-")
			s, err1 := strconv.ParseUint(lo, 16, 64)
			e, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				spans = append(spans, span{uintptr(s), uintptr(e)})
				cur = &spans[len(spans)-1]
			}
			continue
		}
		if cur != nil && len(fields) >= 2 && fields[0] == "Anonymous:" && fields[1] != "0" {
			*cur = span{} // has copy-on-write pages: keep
		}
	}
	for _, s := range spans {
		if s.end > s.start {
			// MADV_RANDOM stops fault-around from mapping 64 KiB for every page used again.
			_, _, _ = unix.Syscall(unix.SYS_MADVISE, s.start, s.end-s.start, unix.MADV_RANDOM)
			_, _, _ = unix.Syscall(unix.SYS_MADVISE, s.start, s.end-s.start, unix.MADV_DONTNEED)
		}
	}
}
