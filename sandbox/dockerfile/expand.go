package dockerfile

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Expander expands variables in words as Docker's builder does, with BuildKit's
// shell lexer: quotes are removed, the escape character escapes, and $VAR,
// ${VAR}, ${VAR:-word}, ${VAR:+word}, ${VAR?msg}, ${VAR#pattern} and the other
// forms BuildKit knows expand from env ("NAME=value" entries). Nothing runs.
// An Expander is not safe for use by several goroutines at once.
type Expander struct {
	lex    *shell.Lex
	escape rune
}

// NewExpander expands with escape as the escape character (File.Escape).
func NewExpander(escape rune) *Expander { return &Expander{lex: shell.NewLex(escape), escape: escape} }

// Word is word expanded, its blanks kept.
func (e *Expander) Word(word string, env []string) (string, error) {
	s, _, err := e.lex.ProcessWord(word, shell.EnvsFromSlice(env))
	return s, err
}

// Words is word expanded, then split on blanks outside quotes (as EXPOSE does).
func (e *Expander) Words(word string, env []string) ([]string, error) {
	return e.lex.ProcessWords(word, shell.EnvsFromSlice(env))
}

// Command expands, in place, the words of cmd that Docker's builder expands
// (ENV and LABEL keys and values, USER, WORKDIR, VOLUME, STOPSIGNAL, ARG, the
// sources and destination of COPY and ADD, ...). Commands without such words are
// left as they are; EXPOSE is expanded by Words when it is applied.
func (e *Expander) Command(cmd instructions.Command, env []string) error {
	ex, ok := cmd.(instructions.SupportsSingleWordExpansion)
	if !ok {
		return nil
	}
	envs := shell.EnvsFromSlice(env)
	return ex.Expand(func(word string) (string, error) {
		s, _, err := e.lex.ProcessWord(word, envs)
		return s, err
	})
}

// Contents expands, in place, the heredoc contents of COPY and ADD whose
// delimiter was not quoted, as BuildKit does: variables only, quotes kept.
func (e *Expander) Contents(cmd instructions.Command, env []string) error {
	ex, ok := cmd.(instructions.SupportsSingleWordExpansionRaw)
	if !ok {
		return nil
	}
	lex := shell.NewLex(e.escape)
	lex.SkipProcessQuotes = true
	envs := shell.EnvsFromSlice(env)
	return ex.ExpandRaw(func(word string) (string, error) {
		s, _, err := lex.ProcessWord(word, envs)
		return s, err
	})
}
