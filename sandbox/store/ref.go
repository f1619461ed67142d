package store

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Ref is an image reference in Docker's familiar form: "ubuntu:latest",
// "localhost:5000/team/app:v1", "alpine@sha256:…".
type Ref struct {
	Domain string // "" for Docker Hub
	Path   string // "ubuntu", "team/app"
	Tag    string // "latest" unless a digest alone was given
	Digest string
}

// Docker's reference grammar (distribution/reference), restated. Compiled on first
// use: `docker images` must start fast and rarely needs them.
var refRE = sync.OnceValue(func() struct{ component, domain, tag, digest *regexp.Regexp } {
	return struct{ component, domain, tag, digest *regexp.Regexp }{
		component: regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`),
		domain:    regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$`),
		tag:       regexp.MustCompile(`^[\w][\w.-]{0,127}$`),
		digest:    regexp.MustCompile(`^sha256:[a-f0-9]{64}$`),
	}
})

// ParseRef parses and normalises a reference the way the docker CLI does.
func ParseRef(s string) (Ref, error) {
	bad := func(why string) (Ref, error) {
		if why == "" {
			return Ref{}, fmt.Errorf("%w", ErrBadRef)
		}
		return Ref{}, fmt.Errorf("%w: %s", ErrBadRef, why)
	}
	if s == "" || len(s) > 512 {
		return bad("")
	}
	re := refRE()
	var r Ref
	name := s
	if i := strings.Index(name, "@"); i >= 0 {
		r.Digest = name[i+1:]
		name = name[:i]
		if !re.digest.MatchString(r.Digest) {
			return bad("")
		}
	}
	// A ":" after the last "/" starts the tag; one before it is a registry port.
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		r.Tag = name[i+1:]
		name = name[:i]
		if !re.tag.MatchString(r.Tag) {
			return bad("")
		}
	}
	if name == "" {
		return bad("")
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		r.Domain = parts[0]
		parts = parts[1:]
		if !re.domain.MatchString(r.Domain) {
			return bad("")
		}
	}
	for _, p := range parts {
		if !re.component.MatchString(p) {
			if strings.ToLower(p) != p && re.component.MatchString(strings.ToLower(p)) {
				return bad(fmt.Sprintf("repository name (%s) must be lowercase", name))
			}
			return bad("")
		}
	}
	if len(name) > 255 {
		return bad("repository name must not be more than 255 characters")
	}
	r.Path = strings.Join(parts, "/")
	if r.Domain == "docker.io" || r.Domain == "index.docker.io" {
		r.Domain = ""
		r.Path = strings.TrimPrefix(r.Path, "library/")
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// Repo is the repository column of `docker images`: "ubuntu", "localhost:5000/app".
func (r Ref) Repo() string {
	if r.Domain == "" {
		return r.Path
	}
	return r.Domain + "/" + r.Path
}

// String is the familiar form with tag or digest: "ubuntu:latest".
func (r Ref) String() string {
	s := r.Repo()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Remote is the fully qualified name a registry client wants.
func (r Ref) Remote() string {
	if r.Domain == "" {
		path := r.Path
		if !strings.Contains(path, "/") {
			path = "library/" + path
		}
		return Ref{Domain: "index.docker.io", Path: path, Tag: r.Tag, Digest: r.Digest}.String()
	}
	return r.String()
}
