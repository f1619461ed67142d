package session

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/fatih/color"
)

// styles are the colours the session uses. Each is switched on or off explicitly
// (not through fatih/color's global NoColor), since the session writes to injected
// streams whose terminal-ness the caller knows best.
type styles struct {
	on                                    bool
	h1, h2, bold, em, code, block, quote  *color.Color
	ok, bad, dim, prompt, hint, celebrate *color.Color
	link                                  *color.Color
}

func newStyles(on bool) *styles {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return &styles{
		on:        on,
		h1:        mk(color.Bold, color.FgCyan, color.Underline),
		h2:        mk(color.Bold, color.FgCyan),
		bold:      mk(color.Bold),
		em:        mk(color.Italic),
		code:      mk(color.FgYellow),
		block:     mk(color.FgYellow),
		quote:     mk(color.Italic, color.Faint),
		ok:        mk(color.FgGreen),
		bad:       mk(color.FgRed),
		dim:       mk(color.Faint),
		prompt:    mk(color.FgCyan, color.Bold),
		hint:      mk(color.FgMagenta),
		celebrate: mk(color.FgGreen, color.Bold),
		link:      mk(color.Underline),
	}
}

// Render turns Markdown into text for a terminal width columns wide: headings,
// paragraphs (wrapped), emphasis, inline code, fenced code, lists and quotes. With
// colour off it stays readable as plain text (inline code keeps its backticks,
// headings get an underline).
func Render(md string, width int, colour bool) string {
	return newStyles(colour).render(md, width)
}

// The Markdown patterns, compiled on first use: commands that render nothing (every
// docker verb) do not pay for them at start-up.
var mdRE = sync.OnceValue(func() *mdPatterns {
	return &mdPatterns{
		heading:    regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`),
		bullet:     regexp.MustCompile(`^(\s*)([-*+]|\d{1,3}[.)])\s+(.*)$`),
		fence:      regexp.MustCompile("^\\s*(```+|~~~+)\\s*([\\w+-]*)\\s*$"),
		rule:       regexp.MustCompile(`^\s*([-*_])(\s*[-*_]){2,}\s*$`),
		setext:     regexp.MustCompile(`^\s{0,3}(=+|-+)\s*$`),
		inlineCode: regexp.MustCompile("`+([^`]+?)`+"),
		link:       regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`),
		strong:     regexp.MustCompile(`\*\*([^*]+?)\*\*|__([^_]+?)__`),
		em:         regexp.MustCompile(`(^|[^\w*])\*([^*\s][^*]*?)\*|(^|[^\w])_([^_\s][^_]*?)_([^\w]|$)`),
	}
})

type mdPatterns struct {
	heading, bullet, fence, rule, setext, inlineCode, link, strong, em *regexp.Regexp
}

func (st *styles) render(md string, width int) string {
	if width <= 20 {
		width = 80
	}
	var out []string
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, wrap(st.inline(strings.Join(para, " ")), width, "", "")...)
			out = append(out, "")
			para = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush()
		case mdRE().fence.MatchString(line):
			flush()
			fence := mdRE().fence.FindStringSubmatch(line)[1]
			i++
			for ; i < len(lines); i++ {
				if t := strings.TrimSpace(lines[i]); len(t) >= len(fence) && strings.Trim(t, fence[:1]) == "" {
					break
				}
				out = append(out, "    "+st.block.Sprint(strings.ReplaceAll(lines[i], "\t", "    ")))
			}
			out = append(out, "")
		case len(para) > 0 && mdRE().setext.MatchString(line):
			// "Title" over "=====" or "-----" is a heading too.
			level := 2
			if strings.HasPrefix(trimmed, "=") {
				level = 1
			}
			text := strings.Join(para, " ")
			para = nil
			out = st.heading(out, level, text)
		case mdRE().heading.MatchString(line):
			flush()
			m := mdRE().heading.FindStringSubmatch(line)
			out = st.heading(out, len(m[1]), m[2])
		case mdRE().rule.MatchString(line) && len(para) == 0:
			out = append(out, st.dim.Sprint(strings.Repeat("─", min(width, 40))), "")
		case mdRE().bullet.MatchString(line):
			flush()
			i = st.list(lines, i, width, &out) - 1
		case strings.HasPrefix(trimmed, ">"):
			flush()
			var q []string
			for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), ">"); i++ {
				q = append(q, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), ">")))
			}
			i--
			bar := st.dim.Sprint("│") + " "
			for _, l := range wrap(st.inline(strings.Join(q, " ")), width-2, "", "") {
				out = append(out, bar+st.quote.Sprint(l))
			}
			out = append(out, "")
		default:
			para = append(para, trimmed)
		}
	}
	flush()
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n") + "\n"
}

// heading appends a heading of the given level; without colour the first two
// levels are underlined, so they still stand out.
func (st *styles) heading(out []string, level int, src string) []string {
	text := st.inlinePlain(src)
	switch {
	case level == 1:
		out = append(out, st.h1.Sprint(text))
		if !st.on {
			out = append(out, strings.Repeat("=", utf8.RuneCountInString(text)))
		}
	case level == 2 && !st.on:
		out = append(out, text, strings.Repeat("-", utf8.RuneCountInString(text)))
	default:
		out = append(out, st.h2.Sprint(text))
	}
	return append(out, "")
}

// list renders the list starting at lines[i] and returns the index after it. Items
// nest by indentation; a line indented under an item continues it.
func (st *styles) list(lines []string, i, width int, out *[]string) int {
	type item struct {
		depth  int
		marker string
		text   []string
	}
	var items []item
	var indents []int // indentation of each open nesting level
	for ; i < len(lines); i++ {
		line := lines[i]
		if strings.TrimSpace(line) == "" {
			// A blank line ends the list unless the next line is another item.
			if i+1 < len(lines) && mdRE().bullet.MatchString(lines[i+1]) {
				continue
			}
			break
		}
		if m := mdRE().bullet.FindStringSubmatch(line); m != nil {
			ind := len(strings.ReplaceAll(m[1], "\t", "    "))
			for len(indents) > 0 && ind < indents[len(indents)-1] {
				indents = indents[:len(indents)-1]
			}
			if len(indents) == 0 || ind > indents[len(indents)-1]+1 {
				indents = append(indents, ind)
			}
			marker := "•"
			if m[2][0] >= '0' && m[2][0] <= '9' {
				marker = strings.TrimRight(m[2], ".)") + "."
			}
			items = append(items, item{depth: len(indents) - 1, marker: marker, text: []string{m[3]}})
			continue
		}
		if len(items) == 0 || mdRE().fence.MatchString(line) || mdRE().heading.MatchString(line) {
			break
		}
		last := &items[len(items)-1]
		last.text = append(last.text, strings.TrimSpace(line))
	}
	for _, it := range items {
		pad := strings.Repeat("  ", it.depth+1)
		first := pad + it.marker + " "
		rest := strings.Repeat(" ", utf8.RuneCountInString(first))
		*out = append(*out, wrap(st.inline(strings.Join(it.text, " ")), width, first, rest)...)
	}
	*out = append(*out, "")
	return i
}

// inline renders emphasis, code and links in one paragraph's text. Inline code is
// set aside first so that nothing inside it is taken for emphasis.
func (st *styles) inline(s string) string {
	var codes []string
	s = mdRE().inlineCode.ReplaceAllStringFunc(s, func(m string) string {
		inner := strings.TrimSpace(mdRE().inlineCode.FindStringSubmatch(m)[1])
		if !st.on {
			inner = "`" + inner + "`"
		}
		codes = append(codes, styleWords(st.code, inner))
		return "\x00" + strconv.Itoa(len(codes)-1) + "\x00"
	})
	s = mdRE().link.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdRE().link.FindStringSubmatch(m)
		if sub[1] == sub[2] {
			return styleWords(st.link, sub[2])
		}
		return styleWords(st.link, sub[1]) + " (" + sub[2] + ")"
	})
	s = mdRE().strong.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdRE().strong.FindStringSubmatch(m)
		return styleWords(st.bold, sub[1]+sub[2])
	})
	s = mdRE().em.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdRE().em.FindStringSubmatch(m)
		if sub[2] != "" {
			return sub[1] + styleWords(st.em, sub[2])
		}
		return sub[3] + styleWords(st.em, sub[4]) + sub[5]
	})
	s = strings.ReplaceAll(s, `\*`, "*")
	s = strings.ReplaceAll(s, `\_`, "_")
	s = strings.ReplaceAll(s, "\\`", "`")
	for i, c := range codes {
		s = strings.Replace(s, "\x00"+strconv.Itoa(i)+"\x00", c, 1)
	}
	return s
}

// inlinePlain is inline for headings, whose own colour covers the whole line.
func (st *styles) inlinePlain(s string) string { return newStyles(false).inline(s) }

// styleWords colours each word on its own, so a line break between words never
// falls inside a colour escape.
func styleWords(c *color.Color, s string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		if w != "" {
			words[i] = c.Sprint(w)
		}
	}
	return strings.Join(words, " ")
}

var ansiRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\x1b\[[0-9;]*m`) }) // compiled on first use: start-up stays fast

// visibleLen is the width of s on screen, escapes not counted.
func visibleLen(s string) int { return utf8.RuneCountInString(ansiRE().ReplaceAllString(s, "")) }

// wrap breaks s into lines of at most width columns, the first starting with first
// and the others with rest. A word longer than a line gets a line of its own.
func wrap(s string, width int, first, rest string) []string {
	var lines []string
	cur, curLen := first, visibleLen(first)
	empty := true
	for _, w := range strings.Fields(s) {
		wl := visibleLen(w)
		if !empty && curLen+1+wl > width {
			lines = append(lines, cur)
			cur, curLen, empty = rest, visibleLen(rest), true
		}
		if !empty {
			cur += " "
			curLen++
		}
		cur += w
		curLen += wl
		empty = false
	}
	return append(lines, cur)
}
