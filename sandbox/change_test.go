package sandbox

import (
	"errors"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestApplyChangesFollowsDockerRules(t *testing.T) {
	base := func() v1.Config {
		return v1.Config{Cmd: []string{"bash"}, Env: []string{"PATH=/bin"}, WorkingDir: "/app"}
	}
	cases := []struct {
		name    string
		changes []string
		check   func(c v1.Config) bool
	}{
		{"cmd exec form", []string{`CMD ["python3"]`}, func(c v1.Config) bool { return reflect.DeepEqual(c.Cmd, []string{"python3"}) }},
		{"cmd shell form", []string{`CMD python3 -V`}, func(c v1.Config) bool {
			return reflect.DeepEqual(c.Cmd, []string{"/bin/sh", "-c", "python3 -V"})
		}},
		{"entrypoint clears cmd", []string{`ENTRYPOINT ["python3"]`}, func(c v1.Config) bool { return c.Cmd == nil && c.Entrypoint[0] == "python3" }},
		{"entrypoint and cmd", []string{`ENTRYPOINT ["python3"]`, `CMD ["-V"]`}, func(c v1.Config) bool { return c.Cmd[0] == "-V" }},
		{"env replaces", []string{`ENV PATH=/usr/bin X="a b"`}, func(c v1.Config) bool {
			return reflect.DeepEqual(c.Env, []string{"PATH=/usr/bin", "X=a b"})
		}},
		{"relative workdir", []string{`WORKDIR sub`}, func(c v1.Config) bool { return c.WorkingDir == "/app/sub" }},
		{"lowercase keyword", []string{`cmd ["x"]`}, func(c v1.Config) bool { return c.Cmd[0] == "x" }},
		{"expose default tcp", []string{`EXPOSE 8080`}, func(c v1.Config) bool { _, ok := c.ExposedPorts["8080/tcp"]; return ok }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			if err := ApplyChanges(&c, tc.changes); err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Fatalf("config after %q: %+v", tc.changes, c)
			}
		})
	}
	for _, bad := range []string{"RUN true", "FROM x", "COPY a b", "CMD", "ENV", "LABEL novalue", "USER"} {
		c := base()
		if err := ApplyChanges(&c, []string{bad}); !errors.Is(err, ErrBadChange) {
			t.Errorf("%q accepted (err %v)", bad, err)
		}
	}
}
