package cmd

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
)

// BenchmarkImages is `docker images` with 20 images in the store (issue target:
// median ≤ 5 ms; Docker 20.10 13 ms, podman 4.3 27 ms on the same kind of machine).
//
//	go test -run '^$' -bench Images -count 10 ./cmd/
func BenchmarkImages(b *testing.B) {
	sb, err := sandbox.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		body := fmt.Sprintf("image %d\n", i)
		tw.WriteHeader(&tar.Header{Name: "file.txt", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		io.WriteString(tw, body)
		tw.Close()
		if _, err := sb.Import(&buf, sandbox.ImportOptions{Ref: fmt.Sprintf("img%02d:v1", i)}); err != nil {
			b.Fatal(err)
		}
	}
	ios, _, _, _ := iostreams.Test()
	ios.Out = io.Discard
	opts := &ImagesOptions{IO: ios, Sandbox: func() (*sandbox.Sandbox, error) { return sandbox.Open(sb.Dir()) }}
	b.ResetTimer()
	for b.Loop() {
		if err := imagesRun(opts); err != nil {
			b.Fatal(err)
		}
	}
}
