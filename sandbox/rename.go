package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox/store"
)

// ErrSameName is a rename to the name the container has.
//
//lint:ignore ST1005 Docker's own message, which learners search for
var ErrSameName = errors.New("Renaming a container with the same name as its current name")

// Rename gives a container a new name, as `docker rename` does: the name must be
// valid and free; the record keeps everything else.
func (sb *Sandbox) Rename(name, newName string) error {
	if !containerNameRE().MatchString(newName) {
		return fmt.Errorf("%w (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", ErrBadName, newName)
	}
	c, err := sb.Container(name)
	if err != nil {
		return err
	}
	want := "/" + strings.TrimPrefix(newName, "/")
	if want == c.Name {
		return ErrSameName
	}
	return sb.Store.Write(func(w *store.Writer) error {
		// Taken names are read under the store lock, as Create reads them.
		if other, ok := namesOf(sb.containerRecords())[want]; ok {
			return fmt.Errorf("Error when allocating new name: %w", &NameInUseError{Name: want, ID: other})
		}
		path := filepath.Join(sb.containerDir(c.ID), "config.v2.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("renaming %s: %w", c.ShortName(), err)
		}
		// The record as it is, with only its name changed.
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("renaming %s: %w", c.ShortName(), err)
		}
		rec["Name"], _ = json.Marshal(want)
		out, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		var b store.Batch
		b.Put(store.StepRecord, path, out, 0o644)
		return b.Commit()
	})
}
