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

// RefError is a reference Docker refuses, worded as Docker words it.
type RefError struct{ Msg string }

func (e *RefError) Error() string { return e.Msg }
func (e *RefError) Unwrap() error { return ErrBadRef }

func badRef(format string, a ...any) error { return &RefError{Msg: fmt.Sprintf(format, a...)} }

// validDigestSyntax is the digest part of Docker's reference expression:
//
//	algorithm ":" [0-9a-fA-F]{32,}
//	algorithm = [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )*
func validDigestSyntax(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || len(hex) < 32 || strings.Trim(hex, "0123456789abcdefABCDEF") != "" {
		return false
	}
	for _, part := range strings.Split(strings.NewReplacer("-", ".", "_", ".", "+", ".").Replace(alg), ".") {
		if part == "" || !(part[0] >= 'a' && part[0] <= 'z' || part[0] >= 'A' && part[0] <= 'Z') {
			return false
		}
		for i := 1; i < len(part); i++ {
			if !isAlnum(part[i]) {
				return false
			}
		}
	}
	return true
}

// ParseRef parses and normalises a reference the way the docker CLI does
// (ParseNormalizedNamed of Docker 20.10), with its error messages.
func ParseRef(s string) (Ref, error) {
	if IsFullID(s) {
		return Ref{}, badRef("invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s)
	}
	// The repository part (after a registry, before any ":") must be lower case,
	// checked before the rest of the grammar.
	rest := s
	if i := strings.IndexByte(s, '/'); i >= 0 && (strings.ContainsAny(s[:i], ".:") || s[:i] == "localhost") {
		rest = s[i+1:]
	}
	if repo, _, _ := strings.Cut(rest, ":"); strings.ToLower(repo) != repo {
		return Ref{}, badRef("invalid reference format: repository name must be lowercase")
	}
	bad := func() (Ref, error) { return Ref{}, badRef("invalid reference format") }
	if s == "" {
		return bad()
	}
	var r Ref
	name := s
	if i := strings.Index(name, "@"); i >= 0 {
		r.Digest = name[i+1:]
		name = name[:i]
		if !validDigestSyntax(r.Digest) {
			return bad()
		}
	}
	// A ":" after the last "/" starts the tag; one before it is a registry port.
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		r.Tag = name[i+1:]
		name = name[:i]
		if !validTag(r.Tag) {
			return bad()
		}
	}
	if name == "" {
		return bad()
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		r.Domain = parts[0]
		parts = parts[1:]
		if !validDomain(r.Domain) {
			return bad()
		}
	}
	for _, p := range parts {
		if !validComponent(p) {
			return bad()
		}
	}
	r.Path = strings.Join(parts, "/")
	if r.Domain == "docker.io" || r.Domain == "index.docker.io" {
		r.Domain = ""
	}
	// Docker counts the length of the fully qualified name.
	full := r.Domain + "/" + r.Path
	if r.Domain == "" {
		full = "docker.io/" + r.Path
		if !strings.Contains(r.Path, "/") {
			full = "docker.io/library/" + r.Path
		}
	}
	if len(full) > 255 {
		return Ref{}, badRef("repository name must not be more than 255 characters")
	}
	if r.Digest != "" {
		alg, hex, _ := strings.Cut(r.Digest, ":")
		switch {
		case alg != "sha256":
			return Ref{}, badRef("unsupported digest algorithm")
		case len(hex) != 64:
			return Ref{}, badRef("invalid checksum digest length")
		case !validDigest(r.Digest):
			return Ref{}, badRef("invalid checksum digest format")
		}
	}
	if r.Domain == "" {
		r.Path = strings.TrimPrefix(r.Path, "library/")
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// Taggable reports whether Docker lets r name an image (commit, tag, import): not
// with a digest, and not as repository "sha256", which reads like an image ID.
func (r Ref) Taggable() error {
	if r.Digest != "" {
		return badRef("refusing to create a tag with a digest reference")
	}
	if r.Domain == "" && r.Path == "sha256" {
		return badRef("refusing to create an ambiguous tag using digest algorithm as name")
	}
	return nil
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
