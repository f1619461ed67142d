package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/dockling/dockling/internal/rawfile"
)

// repositories is repositories.json: repo → "repo:tag" → image ID.
type repositories struct {
	Repositories map[string]map[string]string
}

func (s *Store) readRepos() (*repositories, error) {
	r := &repositories{Repositories: map[string]map[string]string{}}
	b, err := rawfile.ReadFile(s.reposFile())
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading repositories: %w", err)
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("reading repositories.json: %w", err)
	}
	if r.Repositories == nil {
		r.Repositories = map[string]map[string]string{}
	}
	return r, nil
}

func (s *Store) writeRepos(r *repositories) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("writing repositories: %w", err)
	}
	return WriteFileAtomic(s.reposFile(), b, 0o644)
}

// Tags returns every "repo:tag" pointing at each image ID, sorted.
func (s *Store) Tags() (map[string][]Ref, error) {
	r, err := s.readRepos()
	if err != nil {
		return nil, err
	}
	out := map[string][]Ref{}
	for repo, refs := range r.Repositories {
		for name, id := range refs {
			ref, ok := storedRef(repo, name)
			if !ok {
				continue
			}
			out[id] = append(out[id], ref)
		}
	}
	for id := range out {
		sort.Slice(out[id], func(i, j int) bool { return out[id][i].String() < out[id][j].String() })
	}
	return out, nil
}

// Lookup finds the image a reference or an ID (full, or a unique prefix of at least
// one hex digit, with or without "sha256:") names, the way the docker CLI does.
func (s *Store) Lookup(name string) (*Image, error) {
	if ref, err := ParseRef(name); err == nil {
		r, err := s.readRepos()
		if err != nil {
			return nil, err
		}
		if id, ok := r.Repositories[ref.Repo()][ref.String()]; ok {
			return s.Image(id)
		}
	}
	prefix := strings.TrimPrefix(name, "sha256:")
	if prefix != "" && len(prefix) <= 64 && strings.Trim(prefix, "0123456789abcdef") == "" {
		entries, _ := os.ReadDir(s.contentDir())
		var match string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) {
				if match != "" {
					return nil, fmt.Errorf("%w: %s is ambiguous", ErrNoSuchImage, name)
				}
				match = e.Name()
			}
		}
		if match != "" {
			return s.Image("sha256:" + match)
		}
	}
	return nil, &NoSuchImageError{Ref: name}
}

// Tag points ref at the image id, moving the tag if it pointed elsewhere.
func (w *Writer) Tag(id string, ref Ref) error {
	if _, err := w.s.Image(id); err != nil {
		return err
	}
	r, err := w.s.readRepos()
	if err != nil {
		return err
	}
	if r.Repositories[ref.Repo()] == nil {
		r.Repositories[ref.Repo()] = map[string]string{}
	}
	r.Repositories[ref.Repo()][ref.String()] = id
	return w.s.writeRepos(r)
}

// Untag removes a tag; it reports whether the tag existed and the image it named.
func (w *Writer) Untag(ref Ref) (string, bool, error) {
	r, err := w.s.readRepos()
	if err != nil {
		return "", false, err
	}
	id, ok := r.Repositories[ref.Repo()][ref.String()]
	if !ok {
		return "", false, nil
	}
	delete(r.Repositories[ref.Repo()], ref.String())
	if len(r.Repositories[ref.Repo()]) == 0 {
		delete(r.Repositories, ref.Repo())
	}
	return id, true, w.s.writeRepos(r)
}

// storedRef splits an entry of repositories.json, which was validated when written,
// without the cost of the full grammar.
func storedRef(repo, name string) (Ref, bool) {
	if len(name) <= len(repo)+1 || name[:len(repo)] != repo {
		return Ref{}, false
	}
	var r Ref
	switch name[len(repo)] {
	case ':':
		r.Tag = name[len(repo)+1:]
	case '@':
		r.Digest = name[len(repo)+1:]
	default:
		return Ref{}, false
	}
	r.Path = repo
	if first, rest, ok := strings.Cut(repo, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.Domain, r.Path = first, rest
	}
	return r, true
}
