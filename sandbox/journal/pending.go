package journal

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// pendingName holds what docker commands run in a hooked shell (see `dockling env`)
// touched, until the shell's hook journals the whole line and takes it in.
const pendingName = "journal.pending"

// AddPending notes containers and images a docker command touched, for the line
// the shell hook will journal once the line ends.
func AddPending(sandboxDir string, containers, images []string) error {
	if len(containers)+len(images) == 0 {
		return nil
	}
	var b strings.Builder
	for _, c := range containers {
		fmt.Fprintf(&b, "c %s\n", c)
	}
	for _, i := range images {
		fmt.Fprintf(&b, "i %s\n", i)
	}
	f, err := os.OpenFile(filepath.Join(sandboxDir, pendingName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("noting what the command touched: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		return fmt.Errorf("noting what the command touched: %w", err)
	}
	return nil
}

// TakePending returns and clears what AddPending noted. The file is renamed
// first, so a docker command still running in the background notes into a new one.
func TakePending(sandboxDir string) (containers, images []string, err error) {
	p := filepath.Join(sandboxDir, pendingName)
	taken := fmt.Sprintf("%s.%d", p, os.Getpid())
	if err := os.Rename(p, taken); errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("reading what the line touched: %w", err)
	}
	defer os.Remove(taken)
	f, err := os.Open(taken)
	if err != nil {
		return nil, nil, fmt.Errorf("reading what the line touched: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, id, ok := strings.Cut(sc.Text(), " ")
		switch {
		case !ok || id == "":
		case kind == "c":
			containers = append(containers, id)
		case kind == "i":
			images = append(images, id)
		}
	}
	return merge(containers, nil), merge(images, nil), sc.Err()
}
