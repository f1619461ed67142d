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
// config (a container's command), forge (a file added to the container's layer
// and its manifest line made to match, the journal's seal left alone). Modes that
// write a matching manifest and seal (attacks that pass the sums, as anyone with
// the source can make them): newer (format 99), running (every container running
// as the test process, a live process of this machine, with its true start time),
// fifo (the container's made.txt made a FIFO), bomb (the container's layer a gzip
// of a tar holding 256 MiB of zeros: a few hundred KB). Modes on the bytes:
// truncate (the first half), cut-tail (the first gzip member and half the second),
// flip-tail (100 bytes in the middle of the second member flipped).
func bundleEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: bundle-edit IN OUT journal|delete|config|forge|newer|running|fifo|bomb|truncate|cut-tail|flip-tail")
	}
	in, out, mode := ts.MkAbs(args[0]), ts.MkAbs(args[1]), args[2]
	raw, err := os.ReadFile(in)
	ts.Check(err)
	if b, ok := editBytes(ts, raw, mode); ok {
		ts.Check(os.WriteFile(out, b, 0o644))
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	ts.Check(err)
	tr := tar.NewReader(zr)
	var entries []bundleEntry
	resign, done := false, false
	pid := os.Getpid()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	ts.Check(err)
	start := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))[19]
	var forged [2]string // the layer's sum before and after the forge edit
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
			entries = append(entries, bundleEntry{tar.Header{Name: dir + "state.json", Typeflag: tar.TypeReg, Mode: 0o644}, []byte(st)})
			done, resign = true, true
		case mode == "running" && strings.HasSuffix(name, "/state.json"):
			continue // replaced above
		case mode == "fifo" && strings.HasPrefix(name, "layers/"):
			if d, ok := fifoLayer(ts, data); ok {
				data, done, resign = d, true, true
			}
		case (mode == "bomb" || mode == "forge") && strings.HasPrefix(name, "layers/") && !done:
			// The first layer in the stream is the container's: image layers come last.
			forged[0] = sha256Hex(data)
			if mode == "bomb" {
				data, resign = gzipBomb(ts), true
			} else {
				data = withMadeFile(ts, data)
			}
			forged[1], done = sha256Hex(data), true
		case mode == "forge" && name == "manifest.sha256":
			data = bytes.Replace(data, []byte(forged[0]), []byte(forged[1]), 1)
		}
		entries = append(entries, bundleEntry{*h, data})
	}
	if !done {
		ts.Fatalf("bundle-edit %s: nothing to edit in %s", mode, args[0])
	}
	if resign {
		resignEntries(entries)
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

type bundleEntry struct {
	hdr  tar.Header
	data []byte
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// editBytes makes the modes that work on the bundle's bytes; false for the others.
func editBytes(ts *testscript.TestScript, raw []byte, mode string) ([]byte, bool) {
	if mode == "truncate" {
		return raw[:len(raw)/2], true
	}
	if mode != "cut-tail" && mode != "flip-tail" {
		return nil, false
	}
	// Where the first gzip member ends: a bytes.Reader is read no further.
	br := bytes.NewReader(raw)
	zr, err := gzip.NewReader(br)
	ts.Check(err)
	zr.Multistream(false)
	_, err = io.Copy(io.Discard, zr)
	ts.Check(err)
	first := len(raw) - br.Len()
	if first >= len(raw)-200 {
		ts.Fatalf("bundle-edit %s: the bundle has no second gzip member", mode)
	}
	mid := first + (len(raw)-first)/2
	if mode == "cut-tail" {
		return raw[:mid], true
	}
	b := append([]byte{}, raw...)
	for i := mid; i < mid+100; i++ {
		b[i] ^= 0xff
	}
	return b, true
}

// resignEntries writes the manifest again to match the entries and, in a bundle
// whose journal ends with a seal (format 3), the seal to match the manifest.
func resignEntries(entries []bundleEntry) {
	var lines []string
	journal, manifest := -1, -1
	for i, e := range entries {
		switch {
		case e.hdr.Name == "manifest.sha256":
			manifest = i
		case e.hdr.Name == "meta/journal.jsonl":
			journal = i
			body, _ := cutSeal(e.data)
			lines = append(lines, sha256Hex(body)+"  "+e.hdr.Name)
		default:
			lines = append(lines, sha256Hex(e.data)+"  "+e.hdr.Name)
		}
	}
	sort.Strings(lines)
	entries[manifest].data = []byte(strings.Join(lines, "\n") + "\n")
	if journal >= 0 {
		entries[journal].data = reseal(entries[journal].data, sha256Hex(entries[manifest].data))
	}
}

// The seal record a format 3 bundle's journal ends with, and the hash member every
// journal line ends with (the sha256 of the line without that member).
var (
	sealMember = regexp.MustCompile(`"seal":"[0-9a-f]{64}"`)
	hashMember = regexp.MustCompile(`,"hash":"[0-9a-f]{64}"\}$`)
)

// cutSeal splits a journal into its lines and its last line when that is a seal.
func cutSeal(journal []byte) (body, seal []byte) {
	cut := bytes.LastIndexByte(bytes.TrimSuffix(journal, []byte("\n")), '\n') + 1
	if last := journal[cut:]; sealMember.Match(last) {
		return journal[:cut], bytes.TrimSuffix(last, []byte("\n"))
	}
	return journal, nil
}

// reseal makes the journal's seal name digest, with its line's hash made again.
func reseal(journal []byte, digest string) []byte {
	body, seal := cutSeal(journal)
	if seal == nil {
		return journal
	}
	seal = sealMember.ReplaceAll(seal, []byte(`"seal":"`+digest+`"`))
	line := append(hashMember.ReplaceAll(seal, nil), '}')
	line = append(line[:len(line)-1], []byte(`,"hash":"`+sha256Hex(line)+`"}`)...)
	return append(append(append([]byte{}, body...), line...), '\n')
}

// gzipBomb is a gzip-compressed layer tar holding 256 MiB of zeros.
func gzipBomb(ts *testscript.TestScript) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	ts.Check(err)
	tw := tar.NewWriter(zw)
	ts.Check(tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: 256 << 20, Typeflag: tar.TypeReg}))
	zero := make([]byte, 1<<20)
	for range 256 {
		_, err := tw.Write(zero)
		ts.Check(err)
	}
	ts.Check(tw.Close())
	ts.Check(zw.Close())
	return buf.Bytes()
}

// withMadeFile adds /made.txt (holding "hi") to a layer tar.
func withMadeFile(ts *testscript.TestScript, layer []byte) []byte {
	tr := tar.NewReader(bytes.NewReader(layer))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		ts.Check(tw.WriteHeader(h))
		_, err = io.Copy(tw, tr)
		ts.Check(err)
	}
	ts.Check(tw.WriteHeader(&tar.Header{Name: "made.txt", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg}))
	_, err := tw.Write([]byte("hi\n"))
	ts.Check(err)
	ts.Check(tw.Close())
	return buf.Bytes()
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
