package build

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dockling/dockling/sandbox/archive"
)

// maxStdinDockerfile bounds a Dockerfile read from stdin (`docker build -`).
const maxStdinDockerfile = 16 << 20

// StdinContext makes the context of `docker build -` from r: a tar (plain or
// gzip) is extracted, streaming, with the layer store's safety rules, into a
// temporary folder below tmpDir; anything else is a Dockerfile with an empty
// context. The caller removes the folder it returns.
func StdinContext(r io.Reader, tmpDir string) (string, error) {
	dir, err := os.MkdirTemp(tmpDir, "build-context-")
	if err != nil {
		return "", fmt.Errorf("unable to prepare context: %w", err)
	}
	br := bufio.NewReaderSize(r, 1024)
	head, _ := br.Peek(512)
	if isTarHead(head) {
		_, err = archive.ApplyFlat(dir, br, archive.ApplyOptions{Rootless: os.Geteuid() != 0})
	} else {
		var text []byte
		text, err = io.ReadAll(io.LimitReader(br, maxStdinDockerfile+1))
		if err == nil && len(text) > maxStdinDockerfile {
			err = fmt.Errorf("a Dockerfile on stdin is limited to %d MB", maxStdinDockerfile>>20)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "Dockerfile"), text, 0o644)
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("unable to prepare context: %w", err)
	}
	return dir, nil
}

// isTarHead says whether the first bytes are a gzip stream or a tar header.
func isTarHead(b []byte) bool {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		return true
	}
	return len(b) >= 262 && bytes.Equal(b[257:262], []byte("ustar"))
}
