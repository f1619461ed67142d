package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkZZSeed(b *testing.B) {
	data, _ := os.ReadFile(filepath.Join(corpusDir, "device-node.tar"))
	for i := 0; i < b.N; i++ {
		s := newSandbox(b, "flat")
		Apply(s.layer, bytes.NewReader(data), ApplyOptions{})
		ApplyFlat(filepath.Join(s.parent, "flat"), bytes.NewReader(data), ApplyOptions{})
		s.checkConfined(b, "flat")
	}
}
func BenchmarkZZTempDirOnly(b *testing.B) {
	for i := 0; i < b.N; i++ {
		newSandbox(b, "flat")
	}
}
