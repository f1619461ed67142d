package session

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dockling/dockling/sandbox"
)

// Progress is how far a learner got in one lesson, kept in
// <dataRoot>/progress/<lesson-id>.json.
type Progress struct {
	Lesson string `json:"lesson"`
	// Step is the index of the current step; StepID names it, so a lesson edited
	// since (steps added or moved) resumes at the same step.
	Step      int            `json:"step"`
	StepID    string         `json:"step_id"`
	Completed []string       `json:"completed"` // IDs of the steps passed
	Skipped   []string       `json:"skipped,omitempty"`
	Hints     map[string]int `json:"hints"` // step ID → hints shown
	Bindings  Bindings       `json:"bindings"`
	// Since is the journal seq of the last command before the current step began:
	// checks of ran and output look only at later commands.
	Since int `json:"since"`
	// Opened maps a step's ID to the journal seq after which its commands count:
	// when its prerequisites were passed, or it was gone back to. Steps not in it
	// count every command. The current step's is Since.
	Opened map[string]int `json:"opened,omitempty"`
	// StepStart is what the sandbox held when the current step began: a step reset
	// removes everything made since. nil when unknown.
	StepStart *StepStart `json:"step_start"`
	// Done: the last step was passed (the learner may still go back).
	Done bool `json:"done"`
	// Finished: the lesson was done once, even if the learner went back since.
	Finished bool      `json:"finished,omitempty"`
	Updated  time.Time `json:"updated"`
}

// StepStart lists the container and image IDs a sandbox held when a step began.
type StepStart struct {
	Containers []string `json:"containers"`
	Images     []string `json:"images"`
}

// ProgressPath is where a lesson's progress is kept.
func ProgressPath(dataRoot, lessonID string) (string, error) {
	// Lesson IDs follow the sandbox name rules; checking here keeps a hostile ID
	// from writing outside the progress folder.
	if _, err := sandbox.Dir(dataRoot, lessonID); err != nil {
		return "", fmt.Errorf("progress of lesson %q: %w", lessonID, err)
	}
	return filepath.Join(dataRoot, "progress", lessonID+".json"), nil
}

// LoadProgress reads a lesson's progress; a lesson never started has a fresh one.
func LoadProgress(dataRoot, lessonID string) (Progress, error) {
	p := Progress{Lesson: lessonID, Hints: map[string]int{}, Bindings: Bindings{}}
	path, err := ProgressPath(dataRoot, lessonID)
	if err != nil {
		return p, err
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("reading progress: %w", err)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return Progress{Lesson: lessonID, Hints: map[string]int{}, Bindings: Bindings{}},
			fmt.Errorf("reading progress %s: %w", path, err)
	}
	if p.Hints == nil {
		p.Hints = map[string]int{}
	}
	if p.Bindings == nil {
		p.Bindings = Bindings{}
	}
	p.Lesson = lessonID
	return p, nil
}

// SaveProgress writes p atomically (temp file, fsync, rename), so a crash leaves the
// old progress or the new, never a torn file.
func SaveProgress(dataRoot string, p Progress) error {
	path, err := ProgressPath(dataRoot, p.Lesson)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("saving progress: %w", err)
	}
	p.Updated = time.Now().UTC()
	raw, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("saving progress: %w", err)
	}
	return writeAtomic(path, append(raw, '\n'))
}

// ClearProgress forgets a lesson's progress.
func ClearProgress(dataRoot, lessonID string) error {
	path, err := ProgressPath(dataRoot, lessonID)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clearing progress: %w", err)
	}
	return nil
}

// CompletedOf counts the completed steps that l still has (a step removed from the
// lesson since does not count), for menus: "3/9 steps".
func (p Progress) CompletedOf(l Lesson) int {
	n := 0
	for _, s := range l.Steps {
		if slices.Contains(p.Completed, s.ID) {
			n++
		}
	}
	return n
}

func writeAtomic(path string, data []byte) error {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(b))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("saving progress: %w", err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving progress: %w", werr)
	}
	// The rename is durable once the folder is synced.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
