package store

import (
	"errors"
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
