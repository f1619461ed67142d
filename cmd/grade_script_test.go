package cmd_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
)

// bundleEdit is the scripts' `bundle-edit IN OUT MODE`: a copy of a bundle as
// someone editing it by hand would make. Modes that keep the manifest (tamper
// tests): journal (a journal line's exit code), delete (a container record),
// config (a container's command). Modes that write a matching manifest (attacks
// that pass the sums): newer (format 99), running (every container running as the
// test process, a live process of this machine, with its true start time), fifo
// (the container's made.txt made a FIFO), truncate (the first half of the bytes).
func bundleEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: bundle-edit IN OUT journal|delete|config|newer|running|fifo|truncate")
	}
	in, out, mode := ts.MkAbs(args[0]), ts.MkAbs(args[1]), args[2]
	raw, err := os.ReadFile(in)
	ts.Check(err)
	if mode == "truncate" {
		ts.Check(os.WriteFile(out, raw[:len(raw)/2], 0o644))
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	ts.Check(err)
	tr := tar.NewReader(zr)
	type entry struct {
		hdr  tar.Header
		data []byte
	}
	var entries []entry
	resign, done := false, false
	pid := os.Getpid()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	ts.Check(err)
	start := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))[19]
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		data, err := io.ReadAll(tr)
		ts.Check(err)
		name := h.Name
		switch {
		case mode == "journal" && strings.HasSuffix(name, "journal.jsonl") && !done:
			data, done = bytes.Replace(data, []byte(`"exit_code":0`), []byte(`"exit_code":7`), 1), true
		case mode == "delete" && strings.HasSuffix(name, "config.v2.json") && !done:
			done = true
			continue
		case mode == "config" && strings.HasSuffix(name, "config.v2.json") && !done:
			data, done = bytes.Replace(data, []byte(`"Path":"`), []byte(`"Path":"x`), 1), true
		case mode == "newer" && name == "dockling-bundle.json":
			data, done, resign = regexp.MustCompile(`"Format": [0-9]+`).ReplaceAll(data, []byte(`"Format": 99`)), true, true
		case mode == "running" && strings.HasPrefix(name, "meta/containers/") && strings.HasSuffix(name, "/config.v2.json"):
			dir := strings.TrimSuffix(name, "config.v2.json")
			st := fmt.Sprintf(`{"status":"running","pid":%d,"shimPid":%d,"shimStart":%s,"initStart":%s}`, pid, pid, start, start)
			entries = append(entries, entry{tar.Header{Name: dir + "state.json", Typeflag: tar.TypeReg, Mode: 0o644}, []byte(st)})
			done, resign = true, true
		case mode == "running" && strings.HasSuffix(name, "/state.json"):
			continue // replaced above
		case mode == "fifo" && strings.HasPrefix(name, "layers/"):
			if d, ok := fifoLayer(ts, data); ok {
				data, done, resign = d, true, true
			}
		}
		entries = append(entries, entry{*h, data})
	}
	if !done {
		ts.Fatalf("bundle-edit %s: nothing to edit in %s", mode, args[0])
	}
	if resign {
		var lines []string
		for _, e := range entries {
			if e.hdr.Name != "manifest.sha256" {
				s := sha256.Sum256(e.data)
				lines = append(lines, hex.EncodeToString(s[:])+"  "+e.hdr.Name)
			}
		}
		sort.Strings(lines)
		for i := range entries {
			if entries[i].hdr.Name == "manifest.sha256" {
				entries[i].data = []byte(strings.Join(lines, "\n") + "\n")
			}
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		e.hdr.Size = int64(len(e.data))
		ts.Check(tw.WriteHeader(&e.hdr))
		_, err := tw.Write(e.data)
		ts.Check(err)
	}
	ts.Check(tw.Close())
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(out, buf.Bytes(), 0o644))
}

// fifoLayer turns the regular files of a layer tar into FIFOs; false when it has none.
func fifoLayer(ts *testscript.TestScript, layer []byte) ([]byte, bool) {
	tr := tar.NewReader(bytes.NewReader(layer))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	changed := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		data, err := io.ReadAll(tr)
		ts.Check(err)
		// Only the learner's file: an image layer changed at all is an edit the
		// grader reports (its copy is not the layer its records name).
		if h.Typeflag == tar.TypeReg && path.Base(h.Name) == "made.txt" {
			h.Typeflag, h.Size, data, changed = tar.TypeFifo, 0, nil, true
		}
		ts.Check(tw.WriteHeader(h))
		_, err = tw.Write(data)
		ts.Check(err)
	}
	ts.Check(tw.Close())
	return buf.Bytes(), changed
}

// What differs between runs of a grading: IDs and times.
var (
	hexID   = regexp.MustCompile(`\b(sha256:)?[0-9a-f]{12,64}\b`)
	rfcTime = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	workDir = regexp.MustCompile(`/[^\s"<]*/grading-[0-9]+/[0-9]+`)
)

// normalize is the scripts' `normalize FILE`: IDs, times and work folders in FILE
// replaced by placeholders, so it can be compared with a golden file.
func normalize(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: normalize FILE")
	}
	p := ts.MkAbs(args[0])
	b, err := os.ReadFile(p)
	ts.Check(err)
	s := workDir.ReplaceAllString(string(b), "<work>")
	s = hexID.ReplaceAllString(s, "<id>")
	s = rfcTime.ReplaceAllString(s, "<time>")
	ts.Check(os.WriteFile(p, []byte(s), 0o644))
}

// The golden JUnit report grade_golden compares against is JUnit XML as CI tools
// read it: testsuites of testsuites of testcases, each named, with counts that
// add up.
func TestGradeGoldenJUnitIsJUnitXML(t *testing.T) {
	a, err := txtar.ParseFile(filepath.Join("testdata", "script", "grade_golden.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var golden []byte
	for _, f := range a.Files {
		if f.Name == "golden.junit" {
			golden = f.Data
		}
	}
	type problem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Cases    []struct {
				Name      string   `xml:"name,attr"`
				Classname string   `xml:"classname,attr"`
				Failure   *problem `xml:"failure"`
				Error     *problem `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(golden, &doc); err != nil {
		t.Fatalf("golden.junit is not XML: %v", err)
	}
	tests, failures, errs := 0, 0, 0
	for _, s := range doc.Suites {
		f, e := 0, 0
		for _, c := range s.Cases {
			if c.Name == "" || c.Classname == "" {
				t.Errorf("suite %s: a testcase without name or classname", s.Name)
			}
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e {
			t.Errorf("suite %s counts %d/%d/%d, has %d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), f, e)
		}
		tests, failures, errs = tests+s.Tests, failures+f, errs+e
	}
	if len(doc.Suites) != 3 || doc.Tests != tests || doc.Failures != failures || doc.Errors != errs || failures != 1 || errs != 1 {
		t.Errorf("testsuites counts %d/%d/%d over %d suites, cases add up to %d/%d/%d", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites), tests, failures, errs)
	}
}
