package runtime

import (
	"bytes"
	"encoding/binary"
	"os"
	"runtime/debug"
	"strconv"

	"golang.org/x/sys/unix"
)

// shimMemoryLimit bounds the Go heap of a shim once its container runs: with the GC
// percentage off, the collector runs only when the heap nears it, so an idle shim never
// runs the GC (which would fault code and type data back in) and a chatty one stays small.
const shimMemoryLimit = 8 << 20

// settle is the shim's diet once its container runs: the GC only near shimMemoryLimit,
// and the file pages of setup given back (trimText). What the shim runs afterwards faults
// back in, 64 KiB at a time (the kernel's fault-around), so trimming again later does not
// pay: the idle shim settles at a few MiB of the binary.
func settle() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(shimMemoryLimit)
	trimText()
}

// trimText drops this process's page-table entries for its read-only file mappings
// (the binary's code and read-only data, libc, the dynamic loader). The shim is the whole
// CLI binary, and package initialisation and setup touch megabytes of it that the shim
// never needs again; those pages stay in the page cache (shared with every other dockling
// process) and fault back in if used, but no longer count in the shim's resident set.
// A mapping holding any private (copy-on-write) page, such as RELRO after relocation, is
// left alone: dropping it would revert the relocations. /proc/self/pagemap tells those
// pages apart (present, not file-backed); its flag bits need no privilege.
func trimText() {
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
