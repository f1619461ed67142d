package journal

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// A sealed journal cuts back into its lines and the digest; a torn last line is no
// entry and is dropped; an empty journal seals too.
func TestSealRoundTrip(t *testing.T) {
	data := twoLines(t)
	torn := append(append([]byte{}, data...), `{"seq":3,"li`...)
	for name, in := range map[string][]byte{"journal": data, "torn": torn, "empty": nil} {
		sealed, err := Seal(in, strings.Repeat("ab", 32), "dockling submit x", time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		body, digest, err := CutSeal(sealed)
		want := in
		if name == "torn" {
			want = data
		}
		if err != nil || digest != strings.Repeat("ab", 32) || !bytes.Equal(body, want) {
			t.Errorf("%s: body %q digest %q err %v", name, body, digest, err)
		}
	}
}

// What an editor does to the seal is caught: its digest changed without its hash,
// a line appended after it, a journal line dropped before it, no seal at all.
func TestCutSealCatchesEdits(t *testing.T) {
	data := twoLines(t)
	sealed, err := Seal(data, strings.Repeat("ab", 32), "dockling submit x", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	first := data[:bytes.IndexByte(data, '\n')+1]
	seal := sealed[len(data):]
	cases := map[string][]byte{
		"digest edited": bytes.Replace(sealed, []byte(strings.Repeat("ab", 32)), []byte(strings.Repeat("cd", 32)), 1),
		"line after":    append(append([]byte{}, sealed...), first...),
		"line dropped":  append(append([]byte{}, first...), seal...),
		"no seal":       data,
		"cut short":     sealed[:len(sealed)-5],
	}
	for name, b := range cases {
		if _, _, err := CutSeal(b); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: %v, want ErrTampered", name, err)
		}
	}
}

// twoLines is a journal of two commands.
func twoLines(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	for _, line := range []string{"docker run hello-world", "docker ps -a"} {
		if err := Append(dir, Entry{Line: line}); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
