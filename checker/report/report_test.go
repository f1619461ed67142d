package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() []report.Report {
	return []report.Report{
		{
			Subject: "submissions/ada.tar.gz", Lesson: "commit", Learner: "ada",
			Steps: []report.Step{
				{ID: "install-python", Title: "Install python3", Results: []checker.Result{
					{Type: "exec", Label: `exec {container: any, run: python3 --version}`, Passed: true, Message: "found py: it exited with code 0", Points: 2, MaxPoints: 2},
				}},
				{ID: "commit", Title: "Commit the container", Results: []checker.Result{
					{Type: "image", Label: `image {cmd: [python3], layers: "+1"}`, Message: `expected an image with CMD ["python3"]; found 333333333333 (untagged), but its CMD is ["bash"]`, Fail: "Use --change 'CMD [\"python3\"]' & try again.", MaxPoints: 1},
					{Type: "ran", Label: `ran {command: "^docker commit "}`, Passed: true, Message: `found "docker commit py"`, Points: 1, MaxPoints: 1, Bound: &checker.Object{Kind: checker.KindImage, ID: "sha256:33", ShortID: "33", Name: "33"}},
				}},
			},
		},
		{Subject: "submissions/bob.tar.gz", Lesson: "commit", Error: "reading bundle: manifest does not match (journal.jsonl)", Possible: 4},
		{
			Subject: "sandboxes/carol", Lesson: "commit",
			Steps: []report.Step{{ID: "commit", Title: "Commit the container", Results: []checker.Result{
				{Type: "store", Label: "store {path: x#1}", Message: "could not read the data root: permission denied", Error: "permission denied", MaxPoints: 1},
			}}},
		},
		{
			Subject: "submissions/dave.tar.gz", Lesson: "commit", Learner: "dave",
			SameLayers: []string{"submissions/ada.tar.gz"},
			Warnings:   []string{"graded despite: bundle was altered: meta/journal.jsonl was changed"},
			Problems:   []string{"container web (image redis:7): layer 0123456789ab is not on this grader"},
			Steps: []report.Step{{ID: "commit", Title: "Commit the container", Results: []checker.Result{
				{Type: "ran", Label: `ran {command: "^docker commit "}`, Passed: true, Message: "found it", Points: 1, MaxPoints: 1},
			}}},
		},
	}
}

func TestGolden(t *testing.T) {
	for _, f := range report.Formats() {
		var b bytes.Buffer
		if err := report.Write(&b, f, sample(), report.Options{Points: true}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		golden := filepath.Join("testdata", "sample."+f)
		if *update {
			if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if b.String() != string(want) {
			t.Errorf("%s differs from %s:\n%s", f, golden, b.String())
		}
		// The same input gives the same bytes.
		var again bytes.Buffer
		_ = report.Write(&again, f, sample(), report.Options{Points: true})
		if again.String() != b.String() {
			t.Errorf("%s is not deterministic", f)
		}
	}
}

func TestJUnitIsValidXML(t *testing.T) {
	var b bytes.Buffer
	if err := report.JUnit(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct{} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, b.String())
	}
	if doc.Tests != 7 || doc.Failures != 1 || doc.Errors != 3 || len(doc.Suites) != 4 {
		t.Errorf("counts %+v", doc)
	}
	f := doc.Suites[0].Cases[1].Failure
	if f == nil || !strings.Contains(f.Text, `--change 'CMD ["python3"]' & try again.`) {
		t.Errorf("failure %+v", f)
	}
}

func TestJSONParses(t *testing.T) {
	var b bytes.Buffer
	if err := report.JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Passed    bool `json:"passed"`
		Status    int  `json:"status"`
		Points    int  `json:"points"`
		MaxPoints int  `json:"max_points"`
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	// bob was not graded: 0 of the lesson's 4 still count in the maximum.
	if out.Passed || out.Status != 2 || out.Points != 4 || out.MaxPoints != 10 {
		t.Errorf("%+v", out)
	}
}

func TestStatusAndScore(t *testing.T) {
	rs := sample()
	if report.Status(rs) != 2 || report.Status(rs[:1]) != 1 || report.Status(nil) != 0 {
		t.Error("status")
	}
	ok := []report.Report{{Steps: []report.Step{{Results: []checker.Result{{Passed: true, Points: 1, MaxPoints: 1}}}}}}
	if report.Status(ok) != 0 || !ok[0].Passed() {
		t.Error("passing report")
	}
	if p, m := rs[0].Score(); p != 3 || m != 4 {
		t.Errorf("score %d/%d", p, m)
	}
	if report.Status(rs[3:]) != 2 || rs[3].Passed() {
		t.Error("a subject with missing parts is bad input")
	}
	if err := report.Write(&bytes.Buffer{}, "yaml", rs, report.Options{}); err == nil || !strings.Contains(err.Error(), `unknown format "yaml"`) {
		t.Errorf("unknown format: %v", err)
	}
}

func TestEmpty(t *testing.T) {
	for _, f := range report.Formats() {
		var b bytes.Buffer
		if err := report.Write(&b, f, nil, report.Options{}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Without --points, text shows each step and check as passed or failed, and the
// points only in the summary lines.
func TestTextPoints(t *testing.T) {
	var with, without bytes.Buffer
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(report.Text(&with, sample(), report.Options{Points: true}))
	must(report.Text(&without, sample(), report.Options{}))
	for _, line := range []string{"  ✔ Install python3 (install-python)  2/2", "      ✘ image {cmd: [python3], layers: \"+1\"}  0/1"} {
		if !strings.Contains(with.String(), line+"\n") {
			t.Errorf("with points, no line %q:\n%s", line, with.String())
		}
	}
	for _, line := range []string{"  ✔ Install python3 (install-python)\n", "      ✘ image {cmd: [python3], layers: \"+1\"}\n",
		"submissions/ada.tar.gz — lesson commit: 3/4 points, 1 check failed\n", "Total: 4/10 points over 4 sandboxes: 0 passed, 2 failed, 2 not graded\n"} {
		if !strings.Contains(without.String(), line) {
			t.Errorf("without points, no line %q:\n%s", line, without.String())
		}
	}
	if strings.Contains(without.String(), "2/2") {
		t.Errorf("without points, a check's points show:\n%s", without.String())
	}
}

// Reports sharing a container layer sum name each other, once a pair, with a
// warning and in SameLayers; a layer a subject holds twice is no copy.
func TestMarkCopies(t *testing.T) {
	rs := []report.Report{{Subject: "a"}, {Subject: "b"}, {Subject: "c"}}
	report.MarkCopies(rs, [][]string{{"s1", "s2", "s1"}, {"s3"}, {"s2", "s1"}})
	// a shares two layers with c: c is named once.
	if got := rs[0].SameLayers; len(got) != 1 || got[0] != "c" {
		t.Errorf("a: SameLayers %v, want [c]", got)
	}
	if got := rs[2].SameLayers; len(got) != 1 || got[0] != "a" {
		t.Errorf("c: SameLayers %v, want [a]", got)
	}
	if len(rs[1].SameLayers) != 0 || len(rs[1].Warnings) != 0 {
		t.Errorf("b shares nothing: %+v", rs[1])
	}
	if len(rs[0].Warnings) != 1 || !strings.Contains(rs[0].Warnings[0], "a holds a container layer byte-identical to one of c") {
		t.Errorf("a: warnings %q", rs[0].Warnings)
	}
}
