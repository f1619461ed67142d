// Package journal keeps the record of every command a learner ran in a sandbox:
// <sandbox>/journal.jsonl, one JSON object per line, appended and hash-chained.
//
// Each line carries "prev", the hex sha256 of the previous line's bytes (empty on the
// first line), and ends with "hash", the hex sha256 of the line's own bytes with its
// final `,"hash":"…"` member taken out. Editing a line breaks its hash (or, when the
// editor recomputed it, the next line's prev); deleting, inserting or reordering lines
// breaks prev and seq. Verify names the first line that does not fit.
//
// The chain uses no secret, so someone who recomputes every hash after an edit is not
// caught by the journal alone, and dropping lines from the end leaves a shorter but
// valid chain; a submission bundle pins the journal by recording Head in its manifest.
//
// API: Append, Read, Verify, Head, Path, FileName, MaxOutput; Entry; TamperError
// (errors.Is ErrTampered); State, Capture and Touched to work out which containers and
// images a command changed, ParseOperands, Operands and Used to add those its docker
// commands named; AddPending and TakePending for the shell hook of `dockling env`.
package journal

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// FileName is the journal's name inside a sandbox folder.
const FileName = "journal.jsonl"

// MaxOutput is how much of a command's output an entry keeps; the rest is cut and
// the entry's OutputTruncated set, so one noisy command cannot bloat the journal.
const MaxOutput = 64 << 10

// Entry is one command the learner ran.
type Entry struct {
	Seq      int       `json:"seq"`
	Time     time.Time `json:"time"`
	Line     string    `json:"line"`
	ExitCode int       `json:"exit_code"`
	// Output is what the command printed (stdout and stderr together) when it was not
	// interactive; empty for interactive commands, whose terminal is not captured.
	Output          string   `json:"output"`
	OutputTruncated bool     `json:"output_truncated,omitempty"`
	Containers      []string `json:"containers"`
	Images          []string `json:"images"`
	// Seal is set on the record only a submission bundle's copy of the journal ends
	// with: the sha256 of the bundle's manifest (see Seal).
	Seal string `json:"seal,omitempty"`
	// Prev and Hash are filled in by Append and Read; Append ignores what is passed.
	Prev string `json:"prev"`
	Hash string `json:"-"`
}

// ErrTampered is wrapped by every TamperError.
var ErrTampered = errors.New("journal was altered")

// TamperError names the first journal line that does not fit the chain.
type TamperError struct {
	Line    int // 1-based line number in journal.jsonl
	Problem string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("%s:%d: %s", FileName, e.Line, e.Problem)
}
func (e *TamperError) Unwrap() error { return ErrTampered }

// Path is the journal file of the sandbox in sandboxDir.
func Path(sandboxDir string) string { return filepath.Join(sandboxDir, FileName) }

// hashSuffix matches the final hash member every line ends with.
var hashSuffix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`,"hash":"([0-9a-f]{64})"\}$`) }) // compiled on first use: start-up stays fast

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// encode builds the line for e (without the newline): the JSON body, then the hash
// of that body spliced in as the last member.
func encode(e Entry) ([]byte, error) {
	if e.Containers == nil {
		e.Containers = []string{}
	}
	if e.Images == nil {
		e.Images = []string{}
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding journal entry: %w", err)
	}
	h := sum(body)
	line := append(body[:len(body)-1:len(body)-1], []byte(`,"hash":"`+h+`"}`)...)
	return line, nil
}

// bodyOf is the line without its hash member, and the hash it claims.
func bodyOf(line []byte) (body []byte, claimed string, ok bool) {
	m := hashSuffix().FindSubmatchIndex(line)
	if m == nil {
		return nil, "", false
	}
	body = append(append([]byte{}, line[:m[0]]...), '}')
	return body, string(line[m[2]:m[3]]), true
}

// Append adds e to the sandbox's journal. Seq, Prev and Hash are assigned here; a
// zero Time becomes now. The file is locked while the tail is read and the line
// written, so concurrent shells never break the chain, and the line goes out in
// one O_APPEND write followed by fsync.
func Append(sandboxDir string, e Entry) error {
	if err := os.MkdirAll(sandboxDir, 0o700); err != nil {
		return fmt.Errorf("appending to journal: %w", err)
	}
	f, err := os.OpenFile(Path(sandboxDir), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("appending to journal: %w", err)
	}
	defer f.Close()
	if err := keepPrivate(f); err != nil {
		return fmt.Errorf("appending to journal: %w", err)
	}
	unlock, err := lockFile(f)
	if err != nil {
		return fmt.Errorf("appending to journal: %w", err)
	}
	defer unlock()

	last, lastSeq, err := tail(f)
	if err != nil {
		return fmt.Errorf("appending to journal: %w", err)
	}
	e.Seq = lastSeq + 1
	e.Prev = ""
	if last != nil {
		e.Prev = sum(last)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if len(e.Output) > MaxOutput {
		e.Output = e.Output[:MaxOutput]
		e.OutputTruncated = true
	}
	line, err := encode(e)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("appending to journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("appending to journal: %w", err)
	}
	return nil
}

// tail returns the last complete line of f and its seq. A final line without its
// newline can only be a write cut short by a crash (every line goes out in one write
// that ends in '\n'); it is cut off so the next entry starts on a clean line. When
// the last line cannot be read as an entry, seq falls back to the line count, so the
// journal keeps working and Verify still points at the bad line.
func tail(f *os.File) (last []byte, seq int, err error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	nl, err := lastNewline(f, st.Size())
	if err != nil {
		return nil, 0, err
	}
	end := nl + 1
	if end != st.Size() {
		if err := f.Truncate(end); err != nil {
			return nil, 0, fmt.Errorf("cutting a torn last line: %w", err)
		}
	}
	if end == 0 {
		return nil, 0, nil
	}
	start, err := lastNewline(f, end-1)
	if err != nil {
		return nil, 0, err
	}
	last = make([]byte, end-1-(start+1))
	if _, err := f.ReadAt(last, start+1); err != nil {
		return nil, 0, err
	}
	var head struct {
		Seq int `json:"seq"`
	}
	if json.Unmarshal(last, &head) == nil && head.Seq > 0 {
		return last, head.Seq, nil
	}
	n, err := countLines(f)
	return last, n, err
}

// lastNewline is the offset of the last '\n' before limit, or -1; it reads backwards
// in chunks so appending to a long journal stays cheap.
func lastNewline(f *os.File, limit int64) (int64, error) {
	const chunk = 16 << 10
	buf := make([]byte, chunk)
	for off := limit; off > 0; {
		n := min(int64(chunk), off)
		off -= n
		if _, err := f.ReadAt(buf[:n], off); err != nil && err != io.EOF {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i), nil
		}
	}
	return -1, nil
}

func countLines(f *os.File) (int, error) {
	n := 0
	r := bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))
	for {
		_, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

// lines calls fn with each line of the journal (without its newline), numbered from 1.
func lines(sandboxDir string, fn func(n int, line []byte) error) error {
	f, err := os.Open(Path(sandboxDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading journal: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			if ferr := fn(n, line[:len(line)-1]); ferr != nil {
				return ferr
			}
		}
		// A last line without a newline is a torn write (see tail): not an entry yet.
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading journal: %w", err)
		}
	}
}

// Read returns every entry of the sandbox's journal, oldest first; none when the
// sandbox has no journal yet. It does not check the chain: that is Verify's job.
func Read(sandboxDir string) ([]Entry, error) {
	var out []Entry
	err := lines(sandboxDir, func(n int, line []byte) error {
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return fmt.Errorf("reading journal: %s:%d: %w", FileName, n, err)
		}
		if _, h, ok := bodyOf(line); ok {
			e.Hash = h
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// Verify checks the whole chain and returns a *TamperError naming the first line
// that was edited, deleted, inserted or moved; nil when the journal is intact or
// absent.
func Verify(sandboxDir string) error {
	prev := ""
	return lines(sandboxDir, func(n int, line []byte) error {
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return &TamperError{Line: n, Problem: "not a journal entry: " + err.Error()}
		}
		body, claimed, ok := bodyOf(line)
		if !ok {
			return &TamperError{Line: n, Problem: "the line has no hash at its end"}
		}
		if sum(body) != claimed {
			return &TamperError{Line: n, Problem: "the line's hash does not match its content: it was edited"}
		}
		if e.Prev != prev {
			if n == 1 {
				return &TamperError{Line: n, Problem: "the first line follows another line: lines before it were deleted"}
			}
			return &TamperError{Line: n, Problem: fmt.Sprintf("the line does not follow line %d: a line was edited, deleted, inserted or moved", n-1)}
		}
		if e.Seq != n {
			return &TamperError{Line: n, Problem: fmt.Sprintf("sequence number %d where %d was expected", e.Seq, n)}
		}
		prev = sum(line)
		return nil
	})
}

// Head returns the number of lines and the hex sha256 of the last line: what a
// submission records so that lines dropped from the end are noticed too.
func Head(sandboxDir string) (seq int, hash string, err error) {
	err = lines(sandboxDir, func(n int, line []byte) error {
		seq, hash = n, sum(line)
		return nil
	})
	return seq, hash, err
}

// keepPrivate makes a journal written before journals were private (0644: every
// command the learner typed, readable by any local user) 0600.
func keepPrivate(f *os.File) error {
	fi, err := f.Stat()
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return err
	}
	return f.Chmod(0o600)
}
