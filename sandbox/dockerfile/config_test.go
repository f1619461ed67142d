package dockerfile

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func newConfig() *v1.Config { return &v1.Config{Env: []string{"PATH=/bin", "A=1"}} }

func apply(t *testing.T, cfg *v1.Config, text string) error {
	t.Helper()
	f, err := ParseString(text)
	if err != nil {
		return err
	}
	d := NewDispatcher(cfg, f.Escape)
	for _, in := range f.Instructions {
		cmd, err := in.Command()
		if err != nil {
			return err
		}
		if err := d.Apply(cmd); err != nil {
			return err
		}
	}
	return nil
}

// env is one variable of the config's environment ("" when unset).
func env(c *v1.Config, k string) string {
	i := slices.IndexFunc(c.Env, func(e string) bool { return envKey(e) == k })
	if i < 0 {
		return ""
	}
	return c.Env[i][len(k)+1:]
}

func sorted(m map[string]struct{}) any { return slices.Sorted(maps.Keys(m)) }

// What Docker's builder makes of each config instruction, from a config with
// PATH=/bin and A=1.
func TestDispatcherFollowsDockersBuilder(t *testing.T) {
	cases := []struct {
		text string
		got  func(*v1.Config) any
		want any
	}{
		{`CMD ["python3"]`, func(c *v1.Config) any { return c.Cmd }, []string{"python3"}},
		{`CMD python3 -V`, func(c *v1.Config) any { return c.Cmd }, []string{"/bin/sh", "-c", "python3 -V"}},
		{`CMD`, func(c *v1.Config) any { return c.Cmd }, []string{"/bin/sh", "-c"}},
		{"SHELL [\"/bin/bash\", \"-c\"]\nCMD a | b", func(c *v1.Config) any { return c.Cmd }, []string{"/bin/bash", "-c", "a | b"}},
		{`ENTRYPOINT ["e"]`, func(c *v1.Config) any { return [][]string{c.Entrypoint, c.Cmd} }, [][]string{{"e"}, nil}},
		{"CMD [\"-V\"]\nENTRYPOINT [\"e\"]", func(c *v1.Config) any { return c.Cmd }, []string{"-V"}},
		{"CMD []\nENTRYPOINT [\"e\"]", func(c *v1.Config) any { return c.Cmd }, []string(nil)},
		{`ENTRYPOINT []`, func(c *v1.Config) any { return c.Entrypoint }, []string(nil)},
		{`ENV B=${A}2 C=$A D='$A' E="$A x" F=\$A`, func(c *v1.Config) any {
			return []string{env(c, "B"), env(c, "C"), env(c, "D"), env(c, "E"), env(c, "F")}
		}, []string{"12", "1", "$A", "1 x", "$A"}},
		{`ENV A=2 B=$A`, func(c *v1.Config) any { return []string{env(c, "A"), env(c, "B")} }, []string{"2", "1"}},
		{"ENV A=2\nENV B=$A", func(c *v1.Config) any { return env(c, "B") }, "2"},
		{`ENV B=${X:-x} C=${A:+y} D=${X-d} E=${A#1}z`, func(c *v1.Config) any { return []string{env(c, "B"), env(c, "C"), env(c, "D"), env(c, "E")} }, []string{"x", "y", "d", "z"}},
		{`ENV PATH=/usr/bin`, func(c *v1.Config) any { return c.Env }, []string{"PATH=/usr/bin", "A=1"}},
		{"# escape=`\nENV X=a`$A", func(c *v1.Config) any { return env(c, "X") }, "a$A"},
		{`LABEL l=$A "m n"=o`, func(c *v1.Config) any { return c.Labels }, map[string]string{"l": "1", "m n": "o"}},
		{`WORKDIR rel`, func(c *v1.Config) any { return c.WorkingDir }, "/rel"},
		{"WORKDIR /app\nWORKDIR sub/../s$A", func(c *v1.Config) any { return c.WorkingDir }, "/app/s1"},
		{`WORKDIR /a/../b/`, func(c *v1.Config) any { return c.WorkingDir }, "/b"},
		{`EXPOSE 80-82 8080/TCP 53/udp`, func(c *v1.Config) any { return sorted(c.ExposedPorts) }, []string{"53/udp", "80/tcp", "8080/tcp", "81/tcp", "82/tcp"}},
		{"ENV P=\"80 443\"\nEXPOSE $P", func(c *v1.Config) any { return sorted(c.ExposedPorts) }, []string{"443/tcp", "80/tcp"}},
		{`USER u$A`, func(c *v1.Config) any { return c.User }, "u1"},
		{`VOLUME /c /d$A`, func(c *v1.Config) any { return sorted(c.Volumes) }, []string{"/c", "/d1"}},
		{`ONBUILD run  true`, func(c *v1.Config) any { return c.OnBuild }, []string{"run  true"}},
		{`STOPSIGNAL SIGRTMIN+3`, func(c *v1.Config) any { return c.StopSignal }, "SIGRTMIN+3"},
		{`HEALTHCHECK --interval=5s --retries=3 CMD curl x`, func(c *v1.Config) any { return c.Healthcheck },
			&v1.HealthConfig{Test: []string{"CMD-SHELL", "curl x"}, Interval: 5 * time.Second, Retries: 3}},
	}
	for _, tc := range cases {
		c := newConfig()
		if err := apply(t, c, tc.text); err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %#v, want %#v", tc.text, got, tc.want)
		}
	}
}

func TestDispatcherRefuses(t *testing.T) {
	cases := map[string]string{
		"EXPOSE abc":            "invalid containerPort: abc",
		"EXPOSE 80/xyz":         "invalid proto: xyz",
		"STOPSIGNAL FOO":        "invalid signal: FOO",
		"STOPSIGNAL 0":          "invalid signal: 0",
		`ENV A="x`:              `failed to process "\"x": unexpected end of statement while looking for matching double-quote`,
		`ENV B=${X:?unset}`:     `failed to process "${X:?unset}": X: unset`,
		"VOLUME $NOPE":          "VOLUME specified can not be an empty string",
		"WORKDIR $NOPE":         "cannot normalize nothing",
		"FROM a\nRUN true":      "RUN: " + ErrNotConfig.Error(),
		"FROM a\nCOPY a b":      "COPY: " + ErrNotConfig.Error(),
		"ARG A":                 "ARG: " + ErrNotConfig.Error(),
		"EXPOSE 1.2.3.4:80:abc": "invalid containerPort: abc",
	}
	for text, want := range cases {
		f, err := ParseString(text)
		if err != nil {
			t.Fatal(err)
		}
		in := f.Instructions[len(f.Instructions)-1]
		cmd, err := in.Command()
		if err == nil {
			err = NewDispatcher(newConfig(), f.Escape).Apply(cmd)
		}
		if err == nil || err.Error() != want {
			t.Errorf("%q: err %v, want %q", text, err, want)
		}
	}
	f, _ := ParseString("FROM a\nRUN true")
	cmd, _ := f.Instructions[1].Command()
	c := newConfig()
	if err := NewDispatcher(c, '\\').Apply(cmd); !errors.Is(err, ErrNotConfig) || !reflect.DeepEqual(c, newConfig()) {
		t.Errorf("RUN: err %v, config %+v", err, c)
	}
}

// Args (build arguments) expand after the config's own environment.
func TestDispatcherArgs(t *testing.T) {
	f, _ := ParseString("ENV B=$V$A")
	cmd, _ := f.Instructions[0].Command()
	c := newConfig()
	d := NewDispatcher(c, f.Escape)
	d.Args = []string{"V=v", "A=shadowed"}
	if err := d.Apply(cmd); err != nil || env(c, "B") != "v1" {
		t.Errorf("B=%v (err %v), want v1", env(c, "B"), err)
	}
}

func TestExpander(t *testing.T) {
	env := []string{"A=1", "S=x y", "E="}
	cases := []struct {
		in    string
		word  string
		words []string
	}{
		{`plain`, "plain", []string{"plain"}},
		{`$A$A`, "11", []string{"11"}},
		{`$S`, "x y", []string{"x", "y"}},
		{`"$S"`, "x y", []string{"x y"}},
		{`${E:-d}`, "d", []string{"d"}},
		{`${E-d}`, "", nil},
		{`${NOPE-d}`, "d", []string{"d"}},
		{`$`, "$", []string{"$"}},
		{`a\ b`, "a b", []string{"a b"}},
		{`'a\b'`, `a\b`, []string{`a\b`}},
		{`${A:?oops}`, "1", []string{"1"}},
	}
	e := NewExpander('\\')
	for _, tc := range cases {
		word, err := e.Word(tc.in, env)
		words, err2 := e.Words(tc.in, env)
		if err != nil || err2 != nil || word != tc.word || !reflect.DeepEqual(nilIfEmpty(words), tc.words) {
			t.Errorf("%s: %q %q (err %v, %v), want %q %q", tc.in, word, words, err, err2, tc.word, tc.words)
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
