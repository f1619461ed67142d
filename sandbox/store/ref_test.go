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
