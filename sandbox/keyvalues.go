package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// ErrBadKeyValue is a line of an --env-file or --label-file Docker would refuse.
var ErrBadKeyValue = errors.New("invalid line")

// ReadKeyValueFiles reads files in Docker's --env-file format, in order: KEY=VALUE
// lines, taken as they are (no quotes removed); blank lines and # comments skipped;
// a KEY alone kept as it is, for the caller to look up. A name with white space in
// it is refused, as Docker refuses it.
func ReadKeyValueFiles(files []string) ([]string, error) {
	var out []string
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, _, _ := strings.Cut(line, "=")
			if strings.ContainsFunc(k, unicode.IsSpace) {
				f.Close()
				return nil, fmt.Errorf("%w in %s:%d: variable '%s' contains whitespaces", ErrBadKeyValue, name, n, k)
			}
			out = append(out, line)
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return out, nil
}

// Labels makes --label-file lines and --label values a label map, later ones
// winning; "KEY" alone is an empty label.
func Labels(files, labels []string) (map[string]string, error) {
	lines, err := ReadKeyValueFiles(files)
	if err != nil {
		return nil, err
	}
	if len(lines)+len(labels) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, l := range append(lines, labels...) {
		k, v, _ := strings.Cut(l, "=")
		out[k] = v
	}
	return out, nil
}
