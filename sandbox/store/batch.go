package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Batch writes several files atomically and durably with few waits for the disk, for
// writes such as a container's creation that touch half a dozen small files. One
// WriteFileAtomic after another waits for two syncs each; a Batch writes every file's
// content to a temporary name and syncs them all at once, then puts them in place in
// steps, syncing each step's folders together. The file systems we run on commit
// concurrent syncs together, so a create waits for the disk four times, not twelve.
//
// Order is kept where it matters: every file of step n is durably in place before any
// file of step n+1 is renamed, so a crash leaves whole steps done and a prefix of them
// (the last step is the one whose file makes the thing exist).
type Batch struct {
	// NoSync writes atomically but does not wait for the disk: for records that are
	// garbage after a crash anyway (a container run with --rm), which system check
	// and the next listing remove.
	NoSync bool

	files []batchFile
}

type batchFile struct {
	step int
	name string
	data []byte
	perm os.FileMode
	tmp  string
}

// Steps of a container's creation (see Batch).
const (
	StepContent = 0 // everything that is not a marker
	StepLayer   = 1 // the container layer's mount-id: the layer exists
	StepRecord  = 2 // the container's config.v2.json: the container exists
)

// Put adds a file to write in step.
func (b *Batch) Put(step int, name string, data []byte, perm os.FileMode) {
	b.files = append(b.files, batchFile{step: step, name: name, data: data, perm: perm})
}

// Commit writes the files. On error, files of earlier steps may be in place (as after
// a crash); no temporary file is left.
func (b *Batch) Commit() error {
	defer func() {
		for _, f := range b.files {
			if f.tmp != "" {
				os.Remove(f.tmp)
			}
		}
	}()
	opened := make([]*os.File, 0, len(b.files))
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	for i := range b.files {
		bf := &b.files[i]
		f, err := os.CreateTemp(filepath.Dir(bf.name), "."+filepath.Base(bf.name)+".tmp-*")
		if err != nil {
			return fmt.Errorf("writing %s: %w", bf.name, err)
		}
		opened = append(opened, f)
		bf.tmp = f.Name()
		if _, err := f.Write(bf.data); err != nil {
			return fmt.Errorf("writing %s: %w", bf.name, err)
		}
		if err := f.Chmod(bf.perm); err != nil {
			return fmt.Errorf("writing %s: %w", bf.name, err)
		}
	}
	syncEach := syncAll
	if b.NoSync {
		syncEach = func(int, func(int) error) error { return nil }
	}
	err := syncEach(len(opened), func(i int) error {
		if err := opened[i].Sync(); err != nil {
			return fmt.Errorf("writing %s: %w", b.files[i].name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, f := range opened {
		if err := f.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", b.files[i].name, err)
		}
	}
	opened = nil
	steps := map[int][]*batchFile{}
	var order []int
	for i := range b.files {
		bf := &b.files[i]
		if _, ok := steps[bf.step]; !ok {
			order = append(order, bf.step)
		}
		steps[bf.step] = append(steps[bf.step], bf)
	}
	sort.Ints(order)
	for _, step := range order {
		dirs := map[string]bool{}
		for _, bf := range steps[step] {
			if err := os.Rename(bf.tmp, bf.name); err != nil {
				return fmt.Errorf("writing %s: %w", bf.name, err)
			}
			bf.tmp = ""
			dirs[filepath.Dir(bf.name)] = true
		}
		list := make([]string, 0, len(dirs))
		for d := range dirs {
			list = append(list, d)
		}
		if err := syncEach(len(list), func(i int) error { return syncDir(list[i]) }); err != nil {
			return err
		}
	}
	return nil
}

// syncAll runs n syncs at once and returns the first failure.
func syncAll(n int, do func(i int) error) error {
	if n == 1 {
		return do(0)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = do(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
