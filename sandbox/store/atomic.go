package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// WriteFileAtomic replaces name with data so that readers see the old or the new
// content, never a mix, and a crash never leaves a truncated file: a batch of one.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	var b Batch
	b.Put(StepContent, name, data, perm)
	return b.Commit()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	// Since Go 1.24 crypto/rand.Read never returns an error.
	_, _ = rand.Read(b)
	return b
}

// NewID returns a fresh 64-hex-digit identifier, the shape of Docker's IDs.
func NewID() string { return randomHex(32) }

// IsFullID reports whether s has the form of NewID's IDs, 64 lowercase hex digits (and
// so is safe as a path element).
func IsFullID(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}
