package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func appendN(t *testing.T, dir string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		e := Entry{Line: fmt.Sprintf("docker run hello-world # %d", i), ExitCode: i % 2, Output: "Hello\n", Containers: []string{"c" + fmt.Sprint(i)}}
		if err := Append(dir, e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendRead(t *testing.T) {
	dir := t.TempDir()
	if es, err := Read(dir); err != nil || len(es) != 0 {
		t.Fatalf("empty journal: %v %v", es, err)
	}
	if err := Verify(dir); err != nil {
		t.Fatalf("verify of no journal: %v", err)
	}
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	if err := Append(dir, Entry{Time: at, Line: `echo "<hi>" | tr a-z A-Z`, Output: "<HI>\n", Images: []string{"sha256:abc"}}); err != nil {
		t.Fatal(err)
	}
	appendN(t, dir, 3)
	es, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 4 {
		t.Fatalf("got %d entries", len(es))
	}
	if es[0].Seq != 1 || es[0].Line != `echo "<hi>" | tr a-z A-Z` || !es[0].Time.Equal(at) || es[0].Output != "<HI>\n" || es[0].Images[0] != "sha256:abc" || es[0].Prev != "" {
		t.Errorf("first entry: %+v", es[0])
	}
	for i, e := range es {
		if e.Seq != i+1 || len(e.Hash) != 64 {
			t.Errorf("entry %d: seq %d hash %q", i, e.Seq, e.Hash)
		}
		if i > 0 && e.Prev == "" {
			t.Errorf("entry %d has no prev", i)
		}
	}
	if es[2].ExitCode != 1 || es[2].Containers[0] != "c1" {
		t.Errorf("entry 3: %+v", es[2])
	}
	if err := Verify(dir); err != nil {
		t.Fatal(err)
	}
	n, h, err := Head(dir)
	if err != nil || n != 4 || len(h) != 64 {
		t.Errorf("head: %d %q %v", n, h, err)
	}
	// Every line is one JSON object with the documented names.
	raw, _ := os.ReadFile(Path(dir))
	first := strings.SplitN(string(raw), "\n", 2)[0]
	for _, k := range []string{`"seq":1`, `"time":"2024-05-01T12:00:00.123456789Z"`, `"exit_code":0`, `"containers":[]`, `"prev":""`, `"hash":"`} {
		if !strings.Contains(first, k) {
			t.Errorf("line 1 lacks %s: %s", k, first)
		}
	}
}

func TestOutputIsCapped(t *testing.T) {
	dir := t.TempDir()
	if err := Append(dir, Entry{Line: "yes | head -c 1000000", Output: strings.Repeat("y\n", MaxOutput)}); err != nil {
		t.Fatal(err)
	}
	es, _ := Read(dir)
	if len(es[0].Output) != MaxOutput || !es[0].OutputTruncated {
		t.Errorf("output %d bytes, truncated %v", len(es[0].Output), es[0].OutputTruncated)
	}
}

func TestConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Long lines make torn or interleaved writes visible if they happened.
				line := fmt.Sprintf("worker %d cmd %d %s", w, i, strings.Repeat("x", 5000))
				if err := Append(dir, Entry{Line: line}); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	es, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != workers*each {
		t.Fatalf("got %d entries, want %d", len(es), workers*each)
	}
	if err := Verify(dir); err != nil {
		t.Fatal(err)
	}
}

// rewrite applies fn to the journal's lines and writes them back.
func rewrite(t *testing.T, dir string, fn func([]string) []string) {
	t.Helper()
	raw, err := os.ReadFile(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	ls = fn(ls)
	if err := os.WriteFile(Path(dir), []byte(strings.Join(ls, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTamperDetection(t *testing.T) {
	cases := []struct {
		name     string
		tamper   func([]string) []string
		wantLine int
		wantText string
	}{
		{"edit", func(l []string) []string {
			l[2] = strings.Replace(l[2], `"exit_code":0`, `"exit_code":1`, 1)
			return l
		}, 3, "edited"},
		{"edit-and-rehash", func(l []string) []string {
			e := strings.Replace(l[1], `# 1`, `# 7`, 1)
			body, _, _ := bodyOf([]byte(e))
			l[1] = hashSuffix().ReplaceAllString(e, `,"hash":"`+sum(body)+`"}`)
			return l
		}, 3, "does not follow line 2"},
		{"delete", func(l []string) []string { return append(l[:1], l[2:]...) }, 2, "does not follow line 1"},
		{"delete-first", func(l []string) []string { return l[1:] }, 1, "lines before it were deleted"},
		{"swap", func(l []string) []string { l[1], l[2] = l[2], l[1]; return l }, 2, "does not follow line 1"},
		{"garbage", func(l []string) []string { l[3] = "{not json"; return l }, 4, "not a journal entry"},
		{"hash-removed", func(l []string) []string {
			l[0] = hashSuffix().ReplaceAllString(l[0], "}")
			return l
		}, 1, "no hash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			appendN(t, dir, 5)
			rewrite(t, dir, c.tamper)
			err := Verify(dir)
			var te *TamperError
			if !errors.As(err, &te) || !errors.Is(err, ErrTampered) {
				t.Fatalf("got %v, want a TamperError", err)
			}
			if te.Line != c.wantLine || !strings.Contains(te.Error(), c.wantText) {
				t.Errorf("got %q (line %d), want line %d mentioning %q", te, te.Line, c.wantLine, c.wantText)
			}
		})
	}
}

func TestTornLastLineIsCutOnAppend(t *testing.T) {
	dir := t.TempDir()
	appendN(t, dir, 2)
	f, err := os.OpenFile(Path(dir), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":3,"time":"2024-`)
	f.Close()
	if es, err := Read(dir); err != nil || len(es) != 2 {
		t.Fatalf("read with a torn tail: %d entries, %v", len(es), err)
	}
	appendN(t, dir, 1)
	if err := Verify(dir); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(Path(dir))
	if bytes.Count(raw, []byte("\n")) != 3 || bytes.Contains(raw, []byte(`"time":"2024-{`)) {
		t.Errorf("journal after repair:\n%s", raw)
	}
}

func TestAppendAfterDamagedLastLine(t *testing.T) {
	dir := t.TempDir()
	appendN(t, dir, 2)
	rewrite(t, dir, func(l []string) []string { return append(l, "garbage") })
	appendN(t, dir, 1)
	es, err := Read(dir)
	if err == nil {
		t.Fatalf("read of a journal with garbage: %d entries, no error", len(es))
	}
	var te *TamperError
	if err := Verify(dir); !errors.As(err, &te) || te.Line != 3 {
		t.Fatalf("verify: %v", err)
	}
	// The entry after the damage still got the next sequence number.
	raw, _ := os.ReadFile(Path(dir))
	if !strings.Contains(string(raw), `{"seq":4,`) {
		t.Errorf("journal:\n%s", raw)
	}
}

func TestLongJournalTail(t *testing.T) {
	dir := t.TempDir()
	// Lines longer than tail's read chunk.
	for i := 0; i < 3; i++ {
		if err := Append(dir, Entry{Line: strings.Repeat("z", 40000), Output: strings.Repeat("o", 20000)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := Verify(dir); err != nil {
		t.Fatal(err)
	}
}

func TestTouched(t *testing.T) {
	before := State{
		Containers: map[string]string{"a": "running", "b": "exited", "gone": "exited"},
		Images:     map[string]string{"i1": "ubuntu:latest"},
	}
	after := State{
		Containers: map[string]string{"a": "running", "b": "running", "new": "created"},
		Images:     map[string]string{"i1": "ubuntu:latest,mine:v1", "i2": ""},
	}
	cs, is := Touched(before, after)
	if strings.Join(cs, " ") != "b gone new" || strings.Join(is, " ") != "i1 i2" {
		t.Errorf("touched %v %v", cs, is)
	}
}
