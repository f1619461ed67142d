package sandbox

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCommit64MiB commits a container that added 64 MiB of new files (issue
// target: ≤ 0.5 × Docker's time on the same machine; bench/compare.sh runs both).
//
//	go test -run '^$' -bench Commit64MiB -benchtime 5x ./sandbox/
func BenchmarkCommit64MiB(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: container layers")
	}
	sb, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	c, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"true"}, Name: "big"})
	if err != nil {
		b.Fatal(err)
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		b.Fatal(err)
	}
	// 64 files of 1 MiB of random bytes, as if the container had written them.
	buf := make([]byte, 1<<20)
	dir := filepath.Join(rw.Upper, "data")
	os.MkdirAll(dir, 0o755)
	for i := range 64 {
		rand.Read(buf)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := sb.Commit("big", CommitOptions{Ref: fmt.Sprintf("big:%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
}
