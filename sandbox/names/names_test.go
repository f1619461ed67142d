package names

import (
	"regexp"
	"testing"
)

// Docker's names have exactly one underscore; tools (and the parity tier) split on it.
func TestGenerateShape(t *testing.T) {
	re := regexp.MustCompile(`^[a-z]+_[a-z]+[0-9]?$`)
	for i := range 200 {
		n := Generate(i % 2)
		if !re.MatchString(n) {
			t.Fatalf("name %q is not adjective_surname", n)
		}
		if i%2 == 1 && !regexp.MustCompile(`[0-9]$`).MatchString(n) {
			t.Fatalf("retry name %q has no digit", n)
		}
	}
}

// Every word, not only the ones 200 draws happen to pick.
func TestWordsAreOneLowercaseWord(t *testing.T) {
	word := regexp.MustCompile(`^[a-z]+$`)
	for _, list := range [][]string{adjectives, surnames} {
		for _, w := range list {
			if !word.MatchString(w) {
				t.Errorf("%q is not one lowercase word", w)
			}
		}
	}
}
