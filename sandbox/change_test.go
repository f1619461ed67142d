package sandbox

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func changeBase() v1.Config {
	return v1.Config{Cmd: []string{"bash"}, Env: []string{"PATH=/bin", "A=1"}}
}

func envValue(c v1.Config, k string) any {
	for _, e := range c.Env {
		if len(e) > len(k) && e[:len(k)+1] == k+"=" {
			return e[len(k)+1:]
		}
	}
	return nil
}

func keys(m map[string]struct{}) any { return slices.Sorted(maps.Keys(m)) }

// What Docker's builder makes of each instruction (docs.docker.com, Dockerfile
// reference and `docker commit --change`), from a container that ran bash with
// PATH=/bin and A=1 and no working directory.
func TestApplyChangesFollowsDockerRules(t *testing.T) {
	cases := []struct {
		name    string
		changes []string
		got     func(v1.Config) any
		want    any
	}{
		{"cmd exec form", []string{`CMD ["python3"]`}, func(c v1.Config) any { return c.Cmd }, []string{"python3"}},
		{"cmd shell form", []string{`CMD python3 -V`}, func(c v1.Config) any { return c.Cmd }, []string{"/bin/sh", "-c", "python3 -V"}},
		{"cmd alone is the bare shell", []string{`CMD`}, func(c v1.Config) any { return c.Cmd }, []string{"/bin/sh", "-c"}},
		{"cmd [] is empty", []string{`CMD []`}, func(c v1.Config) any { return c.Cmd }, []string{}},
		{"lowercase keyword", []string{`cmd ["x"]`}, func(c v1.Config) any { return c.Cmd }, []string{"x"}},
		{"json with trailing text is shell form", []string{`CMD ["a"] junk`}, func(c v1.Config) any { return c.Cmd }, []string{"/bin/sh", "-c", `["a"] junk`}},
		{"entrypoint clears cmd", []string{`ENTRYPOINT ["python3"]`}, func(c v1.Config) any { return [][]string{c.Entrypoint, c.Cmd} }, [][]string{{"python3"}, nil}},
		{"cmd before entrypoint stays", []string{`CMD ["-V"]`, `ENTRYPOINT ["python3"]`}, func(c v1.Config) any { return c.Cmd }, []string{"-V"}},
		{"cmd after entrypoint", []string{`ENTRYPOINT ["python3"]`, `CMD ["-V"]`}, func(c v1.Config) any { return c.Cmd }, []string{"-V"}},
		{"empty cmd does not keep cmd", []string{`CMD []`, `ENTRYPOINT ["e"]`}, func(c v1.Config) any { return c.Cmd }, []string(nil)},
		{"entrypoint shell form", []string{`ENTRYPOINT top -b`}, func(c v1.Config) any { return c.Entrypoint }, []string{"/bin/sh", "-c", "top -b"}},
		{"entrypoint [] is none", []string{`ENTRYPOINT []`}, func(c v1.Config) any { return c.Entrypoint }, []string(nil)},

		{"env expands ${}", []string{`ENV B=${A}2`}, func(c v1.Config) any { return envValue(c, "B") }, "12"},
		{"env expands $", []string{`ENV B=$A`}, func(c v1.Config) any { return envValue(c, "B") }, "1"},
		{"env default unset", []string{`ENV B=${X:-x}`}, func(c v1.Config) any { return envValue(c, "B") }, "x"},
		{"env default set", []string{`ENV B=${A:-x}`}, func(c v1.Config) any { return envValue(c, "B") }, "1"},
		{"env alternative set", []string{`ENV B=${A:+x}`}, func(c v1.Config) any { return envValue(c, "B") }, "x"},
		{"env alternative unset", []string{`ENV B=${X:+x}`}, func(c v1.Config) any { return envValue(c, "B") }, ""},
		{"env unset is empty", []string{`ENV B=a${X}b`}, func(c v1.Config) any { return envValue(c, "B") }, "ab"},
		{"env single quotes literal", []string{`ENV B='$A'`}, func(c v1.Config) any { return envValue(c, "B") }, "$A"},
		{"env double quotes expand", []string{`ENV B="$A x"`}, func(c v1.Config) any { return envValue(c, "B") }, "1 x"},
		{"env escaped dollar", []string{`ENV B=\$A`}, func(c v1.Config) any { return envValue(c, "B") }, "$A"},
		{"env pairs see the old value", []string{`ENV A=2 B=$A`}, func(c v1.Config) any { return []any{envValue(c, "A"), envValue(c, "B")} }, []any{"2", "1"}},
		{"env later change sees earlier", []string{`ENV A=2`, `ENV B=$A`}, func(c v1.Config) any { return envValue(c, "B") }, "2"},
		{"env replaces in place", []string{`ENV PATH=/usr/bin X="a b"`}, func(c v1.Config) any { return c.Env }, []string{"PATH=/usr/bin", "A=1", "X=a b"}},
		{"env default without colon", []string{`ENV B=${X-d} C=${A#1}c`}, func(c v1.Config) any { return []any{envValue(c, "B"), envValue(c, "C")} }, []any{"d", "c"}},
		{"env legacy form", []string{`ENV LEGACY value here`}, func(c v1.Config) any { return envValue(c, "LEGACY") }, "value here"},
		{"label expands", []string{`LABEL l=$A "m n"=o`}, func(c v1.Config) any { return c.Labels }, map[string]string{"l": "1", "m n": "o"}},

		{"relative workdir from none", []string{`WORKDIR rel`}, func(c v1.Config) any { return c.WorkingDir }, "/rel"},
		{"relative workdir joins", []string{`WORKDIR /app`, `WORKDIR sub/../s2`}, func(c v1.Config) any { return c.WorkingDir }, "/app/s2"},
		{"absolute workdir is cleaned", []string{`WORKDIR /a/../b/`}, func(c v1.Config) any { return c.WorkingDir }, "/b"},
		{"workdir expands", []string{`WORKDIR /srv/$A`}, func(c v1.Config) any { return c.WorkingDir }, "/srv/1"},

		{"expose default tcp", []string{`EXPOSE 8080`}, func(c v1.Config) any { return keys(c.ExposedPorts) }, []string{"8080/tcp"}},
		{"expose range", []string{`EXPOSE 80-82`}, func(c v1.Config) any { return keys(c.ExposedPorts) }, []string{"80/tcp", "81/tcp", "82/tcp"}},
		{"expose proto lowercased", []string{`EXPOSE 8080/TCP 53/Udp`}, func(c v1.Config) any { return keys(c.ExposedPorts) }, []string{"53/udp", "8080/tcp"}},
		{"expose splits a variable", []string{`ENV P="80 443"`, `EXPOSE $P`}, func(c v1.Config) any { return keys(c.ExposedPorts) }, []string{"443/tcp", "80/tcp"}},
		{"expose ignores host part", []string{`EXPOSE 127.0.0.1:8080:80`}, func(c v1.Config) any { return keys(c.ExposedPorts) }, []string{"80/tcp"}},

		{"user expands", []string{`USER u$A`}, func(c v1.Config) any { return c.User }, "u1"},
		{"volume json", []string{`VOLUME ["/a", "/b"]`}, func(c v1.Config) any { return keys(c.Volumes) }, []string{"/a", "/b"}},
		{"volume words expand", []string{`VOLUME /c /d$A`}, func(c v1.Config) any { return keys(c.Volumes) }, []string{"/c", "/d1"}},
		{"onbuild keeps the text", []string{`onbuild run  true`}, func(c v1.Config) any { return c.OnBuild }, []string{"run  true"}},
		{"stopsignal name", []string{`STOPSIGNAL SIGINT`}, func(c v1.Config) any { return c.StopSignal }, "SIGINT"},
		{"stopsignal number", []string{`STOPSIGNAL 9`}, func(c v1.Config) any { return c.StopSignal }, "9"},
		{"stopsignal realtime", []string{`STOPSIGNAL rtmin+3`}, func(c v1.Config) any { return c.StopSignal }, "rtmin+3"},

		{"healthcheck none", []string{`HEALTHCHECK NONE`}, func(c v1.Config) any { return c.Healthcheck }, &v1.HealthConfig{Test: []string{"NONE"}}},
		{"healthcheck shell", []string{`HEALTHCHECK --interval=5s --timeout=2s --start-period=1m --retries=3 CMD curl -f x`},
			func(c v1.Config) any { return c.Healthcheck },
			&v1.HealthConfig{Test: []string{"CMD-SHELL", "curl -f x"}, Interval: 5 * time.Second, Timeout: 2 * time.Second, StartPeriod: time.Minute, Retries: 3}},
		{"healthcheck retries 0", []string{`HEALTHCHECK --retries=0 --interval=0s CMD x`}, func(c v1.Config) any { return c.Healthcheck }, &v1.HealthConfig{Test: []string{"CMD-SHELL", "x"}}},
		{"onbuild heredoc", []string{"ONBUILD RUN <<EOF", "echo hi", "EOF"}, func(c v1.Config) any { return c.OnBuild }, []string{"RUN <<EOF\necho hi\nEOF"}},
		{"healthcheck exec", []string{`HEALTHCHECK CMD ["true"]`}, func(c v1.Config) any { return c.Healthcheck }, &v1.HealthConfig{Test: []string{"CMD", "true"}}},

		{"one change, several lines", []string{"ENV X=1\nUSER u"}, func(c v1.Config) any { return []any{envValue(c, "X"), c.User} }, []any{"1", "u"}},
		{"continuation joins changes", []string{`ENV X=1 \`, `Y=2`}, func(c v1.Config) any { return []any{envValue(c, "X"), envValue(c, "Y")} }, []any{"1", "2"}},
		{"comments and blank lines", []string{"# a comment", "", `USER u`}, func(c v1.Config) any { return c.User }, "u"},
		{"escape directive", []string{"# escape=`", "ENV X=a`$A"}, func(c v1.Config) any { return envValue(c, "X") }, "a$A"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := changeBase()
			if err := ApplyChanges(&c, tc.changes); err != nil {
				t.Fatal(err)
			}
			if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("after %q: got %#v, want %#v", tc.changes, got, tc.want)
			}
		})
	}
	t.Run("config's own shell", func(t *testing.T) {
		c := changeBase()
		c.Shell = []string{"/bin/bash", "-o", "pipefail", "-c"}
		if err := ApplyChanges(&c, []string{"CMD a | b"}); err != nil {
			t.Fatal(err)
		}
		if want := []string{"/bin/bash", "-o", "pipefail", "-c", "a | b"}; !reflect.DeepEqual(c.Cmd, want) {
			t.Fatalf("Cmd = %q, want %q", c.Cmd, want)
		}
	})
}

// Docker's daemon's words for each refused change.
func TestApplyChangesRefusesAsDocker(t *testing.T) {
	cases := map[string][]string{
		"file with no instructions":                {""},
		"file with no instructions ":               {"# x", "   "},
		"RUN is not a valid change command":        {"RUN true"},
		"run is not a valid change command":        {"run true"},
		"FROM is not a valid change command":       {"FROM x"},
		"COPY is not a valid change command":       {"ENV A=1", "COPY a b"},
		"MAINTAINER is not a valid change command": {"MAINTAINER me"},
		"BOGUS is not a valid change command":      {"BOGUS x"},
		`failed to process "\"unterminated": unexpected end of statement while looking for matching double-quote`: {`ENV A="unterminated`},
		`failed to process "'x": unexpected end of statement while looking for matching single-quote`:             {`LABEL a='x`},
		"failed to process \"${A\": unsupported modifier (\uFFFD) in substitution":                                {`ENV B=${A`},
		`failed to process "${": syntax error: missing '}'`:                                                       {`ENV B=${`},
		`failed to process "${A:-x": syntax error: missing '}'`:                                                   {`ENV B=${A:-x`},
		`failed to process "${X:?}": X: is not allowed to be unset`:                                               {`ENV B=${X:?}`},
		"invalid containerPort: abc":                                             {"EXPOSE abc"},
		"invalid proto: xyz":                                                     {"EXPOSE 80/xyz"},
		"invalid containerPort: 70000":                                           {"EXPOSE 70000"},
		"invalid containerPort: 82-80":                                           {"EXPOSE 82-80"},
		"Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed":                   {"ONBUILD ONBUILD RUN x"},
		"FROM isn't allowed as an ONBUILD trigger":                               {"ONBUILD FROM x"},
		"MAINTAINER isn't allowed as an ONBUILD trigger":                         {"ONBUILD maintainer me"},
		"ONBUILD requires at least one argument":                                 {"ONBUILD"},
		"invalid signal: FOO":                                                    {"STOPSIGNAL FOO"},
		"invalid signal: 0":                                                      {"STOPSIGNAL 0"},
		"STOPSIGNAL requires exactly one argument":                               {"STOPSIGNAL"},
		"ENV requires at least one argument":                                     {"ENV"},
		"ENV must have two arguments":                                            {"ENV A"},
		"LABEL must have two arguments":                                          {"LABEL novalue"},
		`Syntax error - can't find = in "B". Must be of the form: name=value`:    {"ENV A=1 B"},
		"ENV names can not be blank":                                             {"ENV =x"},
		"USER requires exactly one argument":                                     {"USER"},
		"WORKDIR requires exactly one argument":                                  {"WORKDIR"},
		"VOLUME requires at least one argument":                                  {"VOLUME"},
		"VOLUME specified can not be an empty string":                            {`VOLUME [" "]`},
		"EXPOSE requires at least one argument":                                  {"EXPOSE"},
		"when using JSON array syntax, arrays must be comprised of strings only": {`CMD ["a", 1]`},
		"unknown flag: --x":                                                      {"CMD --x=1 y"},
		`Unknown type "FOO" in HEALTHCHECK (try CMD)`:                            {"HEALTHCHECK FOO x"},
		"Missing command after HEALTHCHECK CMD":                                  {"HEALTHCHECK CMD"},
		"HEALTHCHECK NONE takes no arguments":                                    {"HEALTHCHECK NONE x"},
		"HEALTHCHECK requires at least one argument":                             {"HEALTHCHECK"},
		"--retries cannot be negative (-1)":                                      {"HEALTHCHECK --retries=-1 CMD x"},
		`Interval "interval" cannot be less than 1ms`:                            {"HEALTHCHECK --interval=1us CMD x"},
		"unknown flag: --bogus":                                                  {"HEALTHCHECK --bogus=1 CMD x"},
		"missing a value on flag: --timeout":                                     {"HEALTHCHECK --timeout CMD x"},
		`time: invalid duration "soon"`:                                          {"HEALTHCHECK --interval=soon CMD x"},
	}
	for want, changes := range cases {
		c := changeBase()
		before := copyConfig(c)
		err := ApplyChanges(&c, changes)
		if !errors.Is(err, ErrBadChange) {
			t.Errorf("%q: err %v, want ErrBadChange", changes, err)
			continue
		}
		if err.Error() != want && err.Error()+" " != want {
			t.Errorf("%q: error %q, want %q", changes, err, want)
		}
		if !reflect.DeepEqual(c, before) {
			t.Errorf("%q: the config changed: %+v", changes, c)
		}
	}
	// All changes are checked before any applies: a refused one anywhere stops all.
	c := changeBase()
	if err := ApplyChanges(&c, []string{"ENV A=2", "EXPOSE abc"}); err == nil || envValue(c, "A") != "1" {
		t.Errorf("a refused change left A=%v (err %v)", envValue(c, "A"), err)
	}
}

// commit fills what the changes left empty from the container's config, as Docker's
// daemon does: CMD [] and ENTRYPOINT [] keep the container's.
func TestCommitChangesMergesTheContainersConfig(t *testing.T) {
	ctr := v1.Config{Cmd: []string{"bash"}, Entrypoint: []string{"ep"}, Env: []string{"A=1"}, User: "u"}
	cases := []struct {
		changes        []string
		entrypoint     []string
		cmd            []string
		unchangedInput bool
	}{
		{nil, []string{"ep"}, []string{"bash"}, true},
		{[]string{"ENTRYPOINT []"}, []string{"ep"}, []string{"bash"}, true},
		{[]string{"ENTRYPOINT"}, []string{"ep"}, []string{"bash"}, true},
		{[]string{"CMD []"}, []string{"ep"}, []string{}, true},
		{[]string{"ENTRYPOINT [\"cat\"]"}, []string{"cat"}, nil, true},
	}
	for _, tc := range cases {
		got, err := CommitChanges(ctr, tc.changes)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Entrypoint, tc.entrypoint) || !reflect.DeepEqual(got.Cmd, tc.cmd) {
			t.Errorf("%q: entrypoint %q cmd %q, want %q %q", tc.changes, got.Entrypoint, got.Cmd, tc.entrypoint, tc.cmd)
		}
	}
	noEP := v1.Config{Cmd: []string{"bash"}, Env: []string{"A=1"}}
	got, err := CommitChanges(noEP, []string{"CMD []"})
	if err != nil || !reflect.DeepEqual(got.Cmd, []string{"bash"}) {
		t.Errorf("CMD [] without an entrypoint: cmd %q (err %v), want the container's [bash]", got.Cmd, err)
	}
	got, _ = CommitChanges(noEP, []string{"ENV B=2"})
	got.Env[0] = "changed"
	if noEP.Env[0] != "A=1" {
		t.Errorf("CommitChanges changed its input: %q", noEP.Env)
	}
	hc := v1.Config{Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "x"}, Retries: 5}}
	got, _ = CommitChanges(hc, []string{"HEALTHCHECK --interval=3s CMD y"})
	if want := (&v1.HealthConfig{Test: []string{"CMD-SHELL", "y"}, Interval: 3 * time.Second, Retries: 5}); !reflect.DeepEqual(got.Healthcheck, want) {
		t.Errorf("healthcheck %+v, want %+v", got.Healthcheck, want)
	}
}

// Changes are learner-typed: any text is refused or applied, never a panic.
func FuzzApplyChanges(f *testing.F) {
	for _, s := range []string{"ENV A=\"x", "EXPOSE 1-2-3/TCP", "ONBUILD ONBUILD", "HEALTHCHECK --interval CMD", "CMD [\"a\", 1]", "WORKDIR ${A:-$B}", "\\\n", "# escape=`\nENV A=`", "ENV A=\\", "LABEL \"a\\", "CMD --", "USER 'é\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := changeBase()
		_ = ApplyChanges(&c, []string{s})
		_, _ = CommitChanges(changeBase(), []string{s, s})
	})
}
