package checker

import (
	"testing"
)

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

func TestCommandLine(t *testing.T) {
	if got := commandLine([]string{"bash", "-c", "echo hi > /x"}); got != "bash -c 'echo hi > /x'" {
		t.Error(got)
	}
}
