// Package bundle packs a learner's sandbox into a submission bundle (tar.gz) and
// unpacks one for grading.
//
// A bundle holds the sandbox's metadata (the store's JSON and small files, container
// records and logs, the journal), every layer the learner made (container upper dirs,
// committed and imported layers) as layer tars, and a manifest of sha256 sums that
// also pins the journal's head. Layers of images that came from elsewhere (built-in
// or pulled) are referenced by chain ID, not copied: the grader supplies them.
//
// Nothing in a bundle is trusted: Extract accepts only the paths a bundle can hold,
// applies layer tars with the archive package's confinement, and reports every file
// whose sum differs (tampering) instead of failing the whole batch.
package bundle

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Format is the bundle format version this build writes; it reads this one and
// the ones before. Format 2 puts the image layers in a second gzip member (Tail).
// Format 3 seals the manifest into the journal's last record, hashes the tail's
// compressed bytes (TailSHA256) and says who handed the bundle in for which lesson
// text; older ones are graded with a warning (see Header.Unsealed).
const Format = 3

// sealedFormat is the first format whose every byte is covered (see Format).
const sealedFormat = 3

// Header is dockling-bundle.json.
type Header struct {
	Format int
	Lesson string
	// LessonSHA256 is the hex sha256 of the lesson's YAML the learner worked from;
	// Learner is who handed the bundle in (submit --learner).
	LessonSHA256 string `json:",omitempty"`
	Learner      string `json:",omitempty"`
	Created      string
	JournalSeq   int
	JournalHead  string
	// External lists layers referenced, not copied: chain ID → cache-id folder.
	External map[string]string
	// Tail names the layer entries in the bundle's second gzip member: image
	// layers, which a grader that holds them itself need not read.
	Tail []string `json:",omitempty"`
	// TailSHA256 is the hex sha256 of the tail's gzip member as stored: a grader
	// that does not inflate the tail still checks every byte of it.
	TailSHA256 string `json:",omitempty"`
	// ContainerLayers (filled by Extract, not stored) are the sha256 sums of the
	// bundle's container layer tars that hold a file with content or a symlink, by
	// mount ID: the learner's own work, which two learners make byte for byte alike
	// only by copying (or by the same commands in the same second: tar keeps
	// whole seconds).
	ContainerLayers map[string]string `json:"-"`
	// Missing (filled by Extract, not stored) are the External chain IDs the
	// grader does not have.
	Missing []string `json:"-"`
}

// Unsealed says why a bundle of an older format carries no full tamper evidence
// ("" for a current one): its manifest is not sealed into the journal, so an edit
// that also rewrites the manifest's line goes unseen.
func (h *Header) Unsealed() string {
	if h.Format >= sealedFormat {
		return ""
	}
	return fmt.Sprintf("bundle format %d (an older dockling's) carries no full tamper evidence: its manifest is not sealed, so an edit that also rewrites the manifest goes unseen", h.Format)
}

// created is when the bundle was made (zero when the header does not say).
func (h *Header) created() time.Time {
	t, _ := time.Parse(time.RFC3339, h.Created)
	return t
}

// Errors a grader reports per bundle.
var (
	ErrNotBundle = errors.New("not a dockling bundle")
	ErrNewer     = errors.New("bundle from a newer dockling")
	ErrTampered  = errors.New("bundle was altered")
	ErrTooLarge  = errors.New("bundle too large")
)

// TamperError lists what does not match the manifest.
type TamperError struct{ Problems []string }

func (e *TamperError) Error() string {
	return "bundle was altered: " + strings.Join(e.Problems, "; ")
}
func (e *TamperError) Unwrap() error { return ErrTampered }

const (
	headerName   = "dockling-bundle.json"
	manifestName = "manifest.sha256"
	metaPrefix   = "meta/"
	layerPrefix  = "layers/"
)

func badBundle(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotBundle, fmt.Sprintf(format, args...))
}
