package checker

import (
	"slices"
	"testing"
)

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`python3 -c 'print(1+1)'`: {"python3", "-c", "print(1+1)"},
		`echo "a b" c\ d  e`:      {"echo", "a b", "c d", "e"},
		`sh -c 'echo "$HOME"'`:    {"sh", "-c", `echo "$HOME"`},
		`x ''`:                    {"x", ""},
		"":                        nil,
	} {
		got, err := splitWords(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := splitWords(`"open`); err == nil {
		t.Error("unfinished quote accepted")
	}
}

func TestCount(t *testing.T) {
	for in, want := range map[string][2]any{
		"2": {2, "2"}, ">=2": {3, "at least 2"}, ">1": {2, "more than 1"}, "<=3": {0, "at most 3"}, "<3": {2, "fewer than 3"}, " == 4 ": {4, "4"},
	} {
		c, ok := parseCount(in)
		if !ok || !c.ok(want[0].(int)) || c.String() != want[1] {
			t.Errorf("%q: %+v %v", in, c, ok)
		}
	}
	if c, _ := parseCount(">=2"); c.ok(1) {
		t.Error(">=2 accepts 1")
	}
	if _, ok := parseCount("many"); ok {
		t.Error("many parsed")
	}
}

func TestNormRef(t *testing.T) {
	for in, want := range map[string]string{
		"ubuntu": "ubuntu:latest", "docker.io/library/ubuntu": "ubuntu:latest", "ubuntu:22.04": "ubuntu:22.04",
		"localhost:5000/x": "localhost:5000/x:latest", "me/app:1": "me/app:1", "x@sha256:ab": "x@sha256:ab",
	} {
		if got := normRef(in); got != want {
			t.Errorf("%s: %s", in, got)
		}
	}
}

func TestCommandLine(t *testing.T) {
	if got := commandLine([]string{"bash", "-c", "echo hi > /x"}); got != "bash -c 'echo hi > /x'" {
		t.Error(got)
	}
}
