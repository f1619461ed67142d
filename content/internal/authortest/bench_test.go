package authortest

import (
	"os"
	"testing"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/content"
	"github.com/dockling/dockling/lessons"
)

// BenchmarkCheckStep is what the session does after every command the learner
// types: check the current step of the lecture against the real sandbox (issue
// target: ≤ 5 ms median). The sandbox holds the state the lecture's solutions make
// up to "leave-a-mark" (a container with /home/awesome/container.txt).
//
//	go test -run '^$' -bench CheckStep ./content/internal/authortest/
func BenchmarkCheckStep(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: the lesson's solutions run real containers")
	}
	l, err := lessons.Load(content.FS, "images-vs-containers.yaml")
	if err != nil {
		b.Fatal(err)
	}
	r := newShellRunner(b, l, prepareImages(l))
	if err := r.Reset(); err != nil {
		b.Fatal(err)
	}
	var target *lessons.Step
	bindings := checker.Bindings{}
	for _, s := range l.Steps {
		if s.IsQuiz() {
			continue
		}
		if err := r.Run(s.Solution); err != nil {
			b.Fatal(err)
		}
		res := lessons.EvaluateStep(s, r.View(), bindings, 0)
		bindings = res.Bindings
		if s.ID == "leave-a-mark" {
			target = s
			break
		}
	}
	if target == nil {
		b.Fatal("no step leave-a-mark in the lesson")
	}
	v := r.View()
	b.ResetTimer()
	for b.Loop() {
		if res := lessons.EvaluateStep(target, v, bindings, 0); !res.Passed {
			b.Fatalf("step does not pass after its solution: %+v", res.Results)
		}
	}
}
