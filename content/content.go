// Package content holds dockling's built-in lessons, embedded in the binary: FS has
// one YAML file per lesson (see package lessons for the format).
package content

import "embed"

// FS holds the lesson files, *.yaml at its root.
//
//go:embed *.yaml
var FS embed.FS
