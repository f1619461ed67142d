package tierkit

import "strings"

// CleanTerminal turns what a program wrote to a terminal into the text a learner
// reads on it: carriage returns and backspaces move the cursor back and later
// characters overwrite earlier ones (readline redraws its prompt that way), "erase to
// end of line" erases, colours and modes (bracketed paste) vanish, and whatever is
// drawn between save-cursor and restore-cursor (apt-get's progress bar at the bottom
// row) is left out.
func CleanTerminal(s string) string {
	var lines [][]rune
	var line []rune
	col := 0
	hidden := false // between ESC 7 and ESC 8
	put := func(r rune) {
		if hidden {
			return
		}
		for len(line) < col {
			line = append(line, ' ')
		}
		if col < len(line) {
			line[col] = r
		} else {
			line = append(line, r)
		}
		col++
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\n':
			if !hidden {
				lines = append(lines, line)
				line, col = nil, 0
			}
		case r == '\r':
			if !hidden {
				col = 0
			}
		case r == '\b':
			if !hidden && col > 0 {
				col--
			}
		case r == '\t':
			put(' ')
			for col%8 != 0 {
				put(' ')
			}
		case r == 0x1b && i+1 < len(rs):
			i++
			switch rs[i] {
			case '[': // CSI: parameters, intermediates, one final byte
				j := i + 1
				for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
					j++
				}
				if j < len(rs) && rs[j] == 'K' && !hidden {
					mode := string(rs[i+1 : j])
					if (mode == "" || mode == "0") && col < len(line) {
						line = line[:col]
					}
				}
				i = j
			case ']': // OSC: up to BEL or ESC backslash
				j := i + 1
				for j < len(rs) && rs[j] != 0x07 && !(rs[j] == 0x1b && j+1 < len(rs) && rs[j+1] == '\\') {
					j++
				}
				if j < len(rs) && rs[j] == 0x1b {
					j++
				}
				i = j
			case '(', ')': // character set: one more byte
				i++
			case '7':
				hidden = true
			case '8':
				hidden = false
			}
		case r < 0x20 || r == 0x7f:
			// other control characters (BEL, …) show nothing
		default:
			put(r)
		}
	}
	lines = append(lines, line)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = string(l)
	}
	return strings.Join(out, "\n")
}
