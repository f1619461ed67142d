package names

import (
	"regexp"
	"testing"
)

func TestGenerateShape(t *testing.T) {
	re := regexp.MustCompile(`^[a-z]+_[a-z_]+[0-9]?$`)
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
