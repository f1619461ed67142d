package dockerfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

type parsed struct {
	Keyword       string
	Line, EndLine int
}

func summary(f *File) []parsed {
	var out []parsed
	for _, in := range f.Instructions {
		out = append(out, parsed{in.Keyword, in.Line, in.EndLine})
	}
	return out
}

// What BuildKit's parser makes of Dockerfile text: directives, comments,
// continuations and heredocs, with the lines each instruction spans.
func TestParseReadsTextAsBuildKit(t *testing.T) {
	cases := []struct {
		name   string
		text   string
		escape rune
		want   []parsed
	}{
		{"one", "FROM busybox", '\\', []parsed{{"FROM", 1, 1}}},
		{"keyword case kept", "from busybox\nrun true", '\\', []parsed{{"from", 1, 1}, {"run", 2, 2}}},
		{"comments and blank lines", "# a comment\n\nFROM a\n  # indented\nUSER u\n", '\\', []parsed{{"FROM", 3, 3}, {"USER", 5, 5}}},
		{"continuation", "FROM a\nRUN echo a \\\n  b \\\n  c\nUSER u", '\\', []parsed{{"FROM", 1, 1}, {"RUN", 2, 4}, {"USER", 5, 5}}},
		{"comment inside continuation", "RUN a \\\n# note\n b", '\\', []parsed{{"RUN", 1, 3}}},
		{"escape directive", "# escape=`\nFROM a\nRUN dir `\n  c:\\", '`', []parsed{{"FROM", 2, 2}, {"RUN", 3, 4}}},
		{"directive after an instruction is a comment", "FROM a\n# escape=`\nRUN a \\\n b", '\\', []parsed{{"FROM", 1, 1}, {"RUN", 3, 4}}},
		{"syntax directive", "# syntax=docker/dockerfile:1\nFROM a", '\\', []parsed{{"FROM", 2, 2}}},
		{"CRLF line endings", "FROM a\r\nRUN a \\\r\n b\r\n", '\\', []parsed{{"FROM", 1, 1}, {"RUN", 2, 3}}},
		{"byte order mark", "\uFEFFFROM a", '\\', []parsed{{"FROM", 1, 1}}},
		{"heredoc", "FROM a\nRUN <<EOF\necho hi\nEOF\nUSER u", '\\', []parsed{{"FROM", 1, 1}, {"RUN", 2, 4}, {"USER", 5, 5}}},
		{"two heredocs", "COPY <<a <<b /d/\n1\na\n2\nb\n", '\\', []parsed{{"COPY", 1, 5}}},
		{"heredoc only for RUN, COPY, ADD", "CMD <<EOF\nUSER u", '\\', []parsed{{"CMD", 1, 1}, {"USER", 2, 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseString(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(f); !reflect.DeepEqual(got, tc.want) || f.Escape != tc.escape {
				t.Fatalf("got %+v escape %q, want %+v escape %q", got, f.Escape, tc.want, tc.escape)
			}
		})
	}
}

// Each instruction becomes BuildKit's typed command, arguments read by the
// instruction's own rule.
func TestCommandIsBuildKitsTypedCommand(t *testing.T) {
	cases := []struct {
		text string
		want any
	}{
		{`RUN ["echo", "hi"]`, []string{"echo", "hi"}},
		{"RUN echo  $HOME", []string{"echo  $HOME"}},
		{"RUN <<EOF\necho hi\nEOF", "echo hi\n"},
		{`CMD []`, []string{}},
		{`ENTRYPOINT []`, []string(nil)},
		{`ENV A=1 B="two words" C`, nil},
		{`ENV LEGACY value here`, instructions.KeyValuePairs{{Key: "LEGACY", Value: "value here", NoDelim: true}}},
		{`LABEL "a b"=c`, instructions.KeyValuePairs{{Key: `"a b"`, Value: "c"}}},
		{`EXPOSE 443 80/udp`, []string{"443", "80/udp"}},
		{`VOLUME ["/a", "/b"]`, []string{"/a", "/b"}},
		{`COPY --chown=1:2 a b /dst/`, []string{"a", "b", "/dst/"}},
		{"ONBUILD  run  true", "run  true"},
		{"HEALTHCHECK --interval=5s CMD true", []string{"CMD-SHELL", "true"}},
		{"ARG V=1", "V=1"},
	}
	for _, tc := range cases {
		f, err := ParseString(tc.text)
		var cmd instructions.Command
		if err == nil {
			cmd, err = f.Instructions[0].Command()
		}
		if tc.want == nil {
			if err == nil {
				t.Errorf("%q: no error", tc.text)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		var got any
		switch c := cmd.(type) {
		case *instructions.RunCommand:
			got = c.CmdLine
			if len(c.Files) > 0 {
				got = c.Files[0].Data
			}
		case *instructions.CmdCommand:
			got = c.CmdLine
		case *instructions.EntrypointCommand:
			got = c.CmdLine
		case *instructions.EnvCommand:
			got = c.Env
		case *instructions.LabelCommand:
			got = c.Labels
		case *instructions.ExposeCommand:
			got = c.Ports
		case *instructions.VolumeCommand:
			got = c.Volumes
		case *instructions.CopyCommand:
			got = append(slicesOf(c.SourcePaths), c.DestPath)
		case *instructions.OnbuildCommand:
			got = c.Expression
		case *instructions.HealthCheckCommand:
			got = c.Health.Test
		case *instructions.ArgCommand:
			got = c.Args[0].String()
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %#v, want %#v", tc.text, got, tc.want)
		}
	}
}

func slicesOf(s []string) []string { return append([]string(nil), s...) }

// A build reads the file as stages, with the ARGs before the first FROM.
func TestStages(t *testing.T) {
	f, err := ParseString("ARG BASE=busybox\nFROM $BASE AS build\nRUN make\nFROM scratch\nCOPY --from=build /out /\nCMD [\"/out\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	stages, args, err := f.Stages()
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 1 || args[0].Args[0].Key != "BASE" {
		t.Errorf("meta args %+v", args)
	}
	if len(stages) != 2 || stages[0].Name != "build" || stages[0].BaseName != "$BASE" || len(stages[1].Commands) != 2 {
		t.Fatalf("stages %+v", stages)
	}
	if c, ok := stages[1].Commands[0].(*instructions.CopyCommand); !ok || c.From != "build" {
		t.Errorf("second stage's COPY: %#v", stages[1].Commands[0])
	}
}

// Bad text is an *Error naming the line, in BuildKit's words.
func TestErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		text string
		line int
		msg  string
	}{
		{"", 1, "file with no instructions"},
		{"# only\n\n# comments\n", 3, "file with no instructions"},
		{"# escape=x\nFROM a", 1, "invalid escape token 'x' does not match ` or \\"},
		{"FROM a\n\nENV A\n", 3, "ENV must have two arguments"},
		{"FROM a\nCMD [\"a\", 1]", 2, "when using JSON array syntax, arrays must be comprised of strings only"},
		{"FROM a\nRUN <<EOF\necho hi\n", 2, "unterminated heredoc"},
		{"FROM a\nRUNN x", 2, "unknown instruction: RUNN (did you mean RUN?)"},
		{"FROM a\nUSER\n", 2, "USER requires exactly one argument"},
		{"FROM a\nHEALTHCHECK --interval=soon CMD x", 2, `time: invalid duration "soon"`},
		{"FROM a\nHEALTHCHECK --bogus=1 CMD x", 2, "unknown flag: --bogus"},
		{"FROM a\nONBUILD ONBUILD RUN x", 2, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
		{"RUN true", 1, "no build stage in current context"},
	}
	for _, tc := range cases {
		err := parseAll(tc.text)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("%q: err %v, want an *Error", tc.text, err)
			continue
		}
		if perr.Line != tc.line || perr.Err.Error() != tc.msg {
			t.Errorf("%q: line %d %q, want line %d %q", tc.text, perr.Line, perr.Err, tc.line, tc.msg)
		}
		if want := "dockerfile parse error on line "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %q does not start with %q", tc.text, err, want)
		}
	}
}

// parseAll parses text, each instruction but FROM, and its stages.
func parseAll(text string) error {
	f, err := ParseString(text)
	if err != nil {
		return err
	}
	for _, in := range f.Instructions {
		if strings.EqualFold(in.Keyword, "from") {
			continue
		}
		if _, err := in.Command(); err != nil {
			return err
		}
	}
	_, _, err = f.Stages()
	return err
}

// Hostile text is refused or read, quickly, and never panics.
func TestHostileInput(t *testing.T) {
	nested := strings.Repeat("${A:-", 5000) + "x" + strings.Repeat("}", 5000)
	unclosed := strings.Repeat("${A:-", 5000)
	cases := map[string]string{
		"huge line":             "FROM a\nRUN " + strings.Repeat("x", 1<<20),
		"many lines":            "FROM a\n" + strings.Repeat("RUN x \\\n", 100000) + "y",
		"heredoc without end":   "FROM a\nRUN <<EOF\n" + strings.Repeat("line\n", 100000),
		"many heredocs":         "FROM a\nRUN " + strings.Repeat("<<a ", 1000),
		"deeply nested":         "FROM a\nENV B=" + nested,
		"unclosed nesting":      "FROM a\nENV B=" + unclosed,
		"bad utf-8":             "FROM a\nENV B=\xff\xfe$\xff",
		"only continuations":    strings.Repeat("\\\n", 10000),
		"expose a huge range":   "FROM a\nEXPOSE 1-65535",
		"flag without its name": "FROM a\nCMD -- --",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = parseAll(text)
				applyAll(text)
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("still reading after 20s")
			}
		})
	}
}

// applyAll applies every instruction it can to an empty config, ignoring errors.
func applyAll(text string) {
	f, err := ParseString(text)
	if err != nil {
		return
	}
	d := NewDispatcher(newConfig(), f.Escape)
	for _, in := range f.Instructions {
		if cmd, err := in.Command(); err == nil {
			_ = d.Apply(cmd)
		}
	}
}

// Any text is read, refused or applied: never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"FROM a\nRUN x", "# escape=`\nENV A=`$B", "RUN <<EOF\nx\nEOF", "ENV A=\"x", "EXPOSE 1-2-3/TCP",
		"ONBUILD ONBUILD", "HEALTHCHECK --interval CMD", `CMD ["a", 1]`, "WORKDIR ${A:-$B}", "\\\n",
		"LABEL \"a\\", "CMD --", "USER 'é\\", "COPY <<a <<b /\n1\na\n", "ARG A\nFROM $A AS b",
		"ENV A=${A#*/} B=${A/x/y}", "STOPSIGNAL $S", "VOLUME [\"\"]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = parseAll(s)
		applyAll(s)
	})
}
