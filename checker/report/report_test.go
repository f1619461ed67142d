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
			Subject: "submissions/ada.tar.gz", Lesson: "commit",
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
		{Subject: "submissions/bob.tar.gz", Lesson: "commit", Error: "reading bundle: manifest does not match (journal.jsonl)"},
		{
			Subject: "sandboxes/carol", Lesson: "commit",
			Steps: []report.Step{{ID: "commit", Title: "Commit the container", Results: []checker.Result{
				{Type: "store", Label: "store {path: x#1}", Message: "could not read the data root: permission denied", Error: "permission denied", MaxPoints: 1},
			}}},
		},
	}
}

func TestGolden(t *testing.T) {
	for _, f := range report.Formats() {
		var b bytes.Buffer
		if err := report.Write(&b, f, sample()); err != nil {
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
		_ = report.Write(&again, f, sample())
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
	if doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 2 || len(doc.Suites) != 3 {
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
	if out.Passed || out.Status != 2 || out.Points != 3 || out.MaxPoints != 5 {
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
	if err := report.Write(&bytes.Buffer{}, "yaml", rs); err == nil || !strings.Contains(err.Error(), `unknown format "yaml"`) {
		t.Errorf("unknown format: %v", err)
	}
}

func TestEmpty(t *testing.T) {
	for _, f := range report.Formats() {
		var b bytes.Buffer
		if err := report.Write(&b, f, nil); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
