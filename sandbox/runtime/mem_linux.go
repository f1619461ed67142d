package runtime

import (
	"bytes"
	"encoding/binary"
	"os"
	goruntime "runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// shimGoEnv tunes a shim's Go runtime (and its early init's, which inherits it; the
// container's command gets an environment of its own): the collector is off (GOGC) and
// runs only when the heap nears the limit (GOMEMLIMIT), so an idle shim never faults
// code and type data back in and a chatty one stays small; and one P (GOMAXPROCS) is
// plenty for pumping a container's output, while it makes fewer threads to start,
// and fewer for the init to tear down when it execs the command (about 1 ms of a
// run --rm on two cores). Set in the environment, as the runtime reads it at start
// (not runtime/debug: the runtime's imports stay few, see early_linux.go).
var shimGoEnv = []string{"GOGC=off", "GOMEMLIMIT=8MiB", "GOMAXPROCS=1"}

// settleDelay is how long a container must run before its shim gives back the pages of
// its setup (trimText): a short command ends sooner, and its exit is reported without
// waiting for that work.
const settleDelay = 50 * time.Millisecond

// trimText drops this process's page-table entries for its read-only file mappings
// (the binary's code and read-only data, libc, the dynamic loader). The shim is the whole
// CLI binary, and package initialisation and setup touch megabytes of it that the shim
// never needs again; those pages stay in the page cache (shared with every other dockling
// process) and fault back in if used, but no longer count in the shim's resident set.
// A mapping holding any private (copy-on-write) page, such as RELRO after relocation, is
// left alone: dropping it would revert the relocations. /proc/self/pagemap tells those
// pages apart (present, not file-backed); its flag bits need no privilege.
func trimText() {
	// Collect first: with the collector off, the heap of setup is close to what the
	// memory limit allows, and a collection started by this function's own allocations
	// would read type data and function tables back in just after they were dropped.
	goruntime.GC()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return
	}
	defer pm.Close()
	page := uint64(os.Getpagesize())
	var entries []byte
	for line := range bytes.Lines(maps) {
		// start-end perms offset dev inode path
		f := bytes.Fields(line)
		if len(f) < 6 || len(f[1]) != 4 || f[1][0] != 'r' || f[1][1] != '-' || f[1][3] != 'p' || f[5][0] != '/' {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		n := int((end - start) / page)
		if cap(entries) < 8*n {
			entries = make([]byte, 8*n)
		}
		entries = entries[:8*n]
		if _, err := pm.ReadAt(entries, int64(start/page*8)); err != nil {
			continue
		}
		private := false
		for i := 0; i < n && !private; i++ {
			e := binary.LittleEndian.Uint64(entries[8*i:])
			const present, fileOrShared = 1 << 63, 1 << 61
			private = e&present != 0 && e&fileOrShared == 0
		}
		if !private {
			_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
		}
	}
}
