package store

import (
	"fmt"
	"strings"
)

// Ref is an image reference in Docker's familiar form: "ubuntu:latest",
// "localhost:5000/team/app:v1", "alpine@sha256:…".
type Ref struct {
	Domain string // "" for Docker Hub
	Path   string // "ubuntu", "team/app"
	Tag    string // "latest" unless a digest alone was given
	Digest string
}

// Docker's reference grammar (distribution/reference), restated as code rather than
// regular expressions: every command that names an image parses a reference, and
// compiling the expressions took longer than the rest of looking the image up.
//
//	component = [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//	domain    = label ( "." label )* ( ":" [0-9]+ )?
//	label     = [a-zA-Z0-9] ( [a-zA-Z0-9-]* [a-zA-Z0-9] )?
//	tag       = [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//	digest    = "sha256:" [a-f0-9]{64}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }

func validComponent(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); {
		for i < len(s) && isLowerAlnum(s[i]) {
			i++
		}
		if i == len(s) {
			return true
		}
		switch s[i] {
		case '.':
			i++
		case '_':
			i++
			if i < len(s) && s[i] == '_' {
				i++
			}
		case '-':
			for i < len(s) && s[i] == '-' {
				i++
			}
		default:
			return false
		}
		if i == len(s) || !isLowerAlnum(s[i]) {
			return false // a separator must be followed by a letter or digit
		}
	}
	return true
}

func validDomain(s string) bool {
	host := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host = s[:i]
		port := s[i+1:]
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return false
		}
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func validTag(s string) bool {
	if s == "" || len(s) > 128 || !(isAlnum(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func validDigest(s string) bool {
	h, ok := strings.CutPrefix(s, "sha256:")
	return ok && IsFullID(h)
}

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
	var r Ref
	name := s
	if i := strings.Index(name, "@"); i >= 0 {
		r.Digest = name[i+1:]
		name = name[:i]
		if !validDigest(r.Digest) {
			return bad("")
		}
	}
	// A ":" after the last "/" starts the tag; one before it is a registry port.
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		r.Tag = name[i+1:]
		name = name[:i]
		if !validTag(r.Tag) {
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
		if !validDomain(r.Domain) {
			return bad("")
		}
	}
	for _, p := range parts {
		if !validComponent(p) {
			if strings.ToLower(p) != p && validComponent(strings.ToLower(p)) {
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
