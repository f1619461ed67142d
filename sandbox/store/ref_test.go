package store

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	good := map[string]string{
		"ubuntu":                            "ubuntu:latest",
		"ubuntu:22.04":                      "ubuntu:22.04",
		"docker.io/library/ubuntu":          "ubuntu:latest",
		"index.docker.io/library/busybox:1": "busybox:1",
		"user/app":                          "user/app:latest",
		"localhost:5000/team/app:v1":        "localhost:5000/team/app:v1",
		"127.0.0.1:5000/x":                  "127.0.0.1:5000/x:latest",
		"my_app-2.name__x":                  "my_app-2.name__x:latest",
	}
	for in, want := range good {
		r, err := ParseRef(in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", in, err)
			continue
		}
		if r.String() != want {
			t.Errorf("ParseRef(%q) = %q, want %q", in, r.String(), want)
		}
	}
	for _, in := range []string{"", "Ubuntu", "ubuntu:", "ubuntu:bad tag", ":tag", "a//b", "-x", "x-", "ubuntu@sha256:123", "../x", "a:b:c"} {
		if _, err := ParseRef(in); !errors.Is(err, ErrBadRef) {
			t.Errorf("ParseRef(%q) accepted, want ErrBadRef", in)
		}
	}
	if r, _ := ParseRef("ubuntu"); r.Remote() != "index.docker.io/library/ubuntu:latest" {
		t.Errorf("Remote = %s", r.Remote())
	}
}

// The hand-written grammar accepts exactly what distribution/reference's expressions
// accept, for every piece, on random strings over the characters that matter.
func TestReferenceGrammarMatchesTheExpressions(t *testing.T) {
	exprs := map[string]struct {
		re *regexp.Regexp
		fn func(string) bool
	}{
		"component": {regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`), validComponent},
		"domain":    {regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$`), validDomain},
		"tag":       {regexp.MustCompile(`^[\w][\w.-]{0,127}$`), validTag},
		"digest":    {regexp.MustCompile(`^sha256:[a-f0-9]{64}$`), validDigest},
	}
	const alphabet = "ab0Z._-:/@é"
	rng := rand.New(rand.NewPCG(1, 2))
	samples := []string{"", "a", "a__b", "a___b", "a--b", "a.-b", "localhost:5000", "a:", ":1", "x-", "-x", "A",
		strings.Repeat("a", 128), strings.Repeat("a", 129), "sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("A", 64)}
	for range 20000 {
		n := rng.IntN(12)
		b := make([]byte, 0, n)
		for range n {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		samples = append(samples, string(b))
	}
	for name, e := range exprs {
		for _, s := range samples {
			if got, want := e.fn(s), e.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, the expression says %v", name, s, got, want)
			}
		}
	}
}

// The docker CLI's words (distribution/reference as Docker 20.10 vendors it) for
// each refused reference.
func TestParseRefErrorsAsDocker(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	long := strings.Repeat("a", 237) // 255 with "docker.io/library/"
	cases := map[string]string{
		hex:                                "invalid repository name (" + hex + "), cannot specify 64-byte hexadecimal strings",
		"Bad/Repo":                         "invalid reference format: repository name must be lowercase",
		"Ubuntu:22.04":                     "invalid reference format: repository name must be lowercase",
		"localhost:5000/App":               "invalid reference format: repository name must be lowercase",
		"Bad Repo":                         "invalid reference format: repository name must be lowercase",
		"repo:bad tag":                     "invalid reference format",
		"":                                 "invalid reference format",
		"a//b":                             "invalid reference format",
		"x@sha256:123":                     "invalid reference format",
		"x@sha256:" + hex[:40]:             "invalid checksum digest length",
		"x@md5:" + hex[:32]:                "unsupported digest algorithm",
		"x@sha256:" + strings.ToUpper(hex): "invalid checksum digest format",
		long + "b":                         "repository name must not be more than 255 characters",
		"team/" + long + "bcde":            "repository name must not be more than 255 characters",
	}
	for in, want := range cases {
		_, err := ParseRef(in)
		if !errors.Is(err, ErrBadRef) || err.Error() != want {
			t.Errorf("ParseRef(%q): %v, want %q", in, err, want)
		}
	}
	for _, in := range []string{long, "Host.Example/app", "sha256:" + hex, hex + ":v1"} {
		if _, err := ParseRef(in); err != nil {
			t.Errorf("ParseRef(%q): %v", in, err)
		}
	}
}

func TestTaggable(t *testing.T) {
	cases := map[string]string{
		"app:v1":                                "",
		"sha256:" + strings.Repeat("a", 64):     "refusing to create an ambiguous tag using digest algorithm as name",
		"sha256":                                "refusing to create an ambiguous tag using digest algorithm as name",
		"docker.io/library/sha256:x":            "refusing to create an ambiguous tag using digest algorithm as name",
		"team/sha256:x":                         "",
		"app@sha256:" + strings.Repeat("a", 64): "refusing to create a tag with a digest reference",
	}
	for in, want := range cases {
		r, err := ParseRef(in)
		if err != nil {
			t.Fatalf("ParseRef(%q): %v", in, err)
		}
		err = r.Taggable()
		if got := ""; err != nil {
			got = err.Error()
			if !errors.Is(err, ErrBadRef) {
				t.Errorf("%q: %v is not ErrBadRef", in, err)
			}
			if got != want {
				t.Errorf("%q: %q, want %q", in, got, want)
			}
		} else if want != "" {
			t.Errorf("%q: taggable, want %q", in, want)
		}
	}
}
