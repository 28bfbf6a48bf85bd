package jinja2

import (
	"strings"
	"unicode"
)

// The wordwrap filter uses Python's textwrap.TextWrapper (expand_tabs and
// replace_whitespace off, drop_whitespace and break_on_hyphens on). This is
// a port of its chunking and line filling.

func twSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
}

func twWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func twLetter(r rune) bool { return twWord(r) && !unicode.IsDigit(r) }

func twWordPunct(r rune) bool { return twWord(r) || strings.ContainsRune("!\"'&.,?", r) }

// twSplit splits text like TextWrapper.wordsep_re.
func twSplit(text []rune) [][]rune {
	at := func(i int) rune {
		if i < 0 || i >= len(text) {
			return -1
		}
		return text[i]
	}
	letter := func(i int) bool { return i >= 0 && i < len(text) && twLetter(text[i]) }
	emDashAt := func(q int) bool { // (?<=wp)(?=-{2,}\w) at q
		if q < 1 || !twWordPunct(text[q-1]) {
			return false
		}
		n := 0
		for at(q+n) == '-' {
			n++
		}
		return n >= 2 && q+n < len(text) && twWord(text[q+n])
	}
	var chunks [][]rune
	p := 0
	for p < len(text) {
		if twSpace(text[p]) {
			q := p
			for q < len(text) && twSpace(text[q]) {
				q++
			}
			chunks = append(chunks, text[p:q])
			p = q
			continue
		}
		if emDashAt(p) {
			q := p
			for at(q) == '-' {
				q++
			}
			chunks = append(chunks, text[p:q])
			p = q
			continue
		}
		end := len(text)
		for q := p + 1; q <= len(text); q++ {
			if q < len(text) && text[q] == '-' {
				h := q
				behind := (letter(h-2) && letter(h-1)) || (letter(h-3) && at(h-2) == '-' && letter(h-1))
				ahead := letter(h+1) && (letter(h+2) || (at(h+2) == '-' && letter(h+3)))
				if behind && ahead {
					end = h + 1
					break
				}
			}
			if q == len(text) || twSpace(text[q]) {
				end = q
				break
			}
			if emDashAt(q) {
				end = q
				break
			}
		}
		chunks = append(chunks, text[p:end])
		p = end
	}
	return chunks
}

func twBlank(c []rune) bool { return strings.TrimSpace(string(c)) == "" }

// twWrap is TextWrapper.wrap for one line of text.
func twWrap(line string, width int, breakLong bool) []string {
	chunks := twSplit([]rune(line))
	var lines []string
	for len(chunks) > 0 {
		var cur [][]rune
		curLen := 0
		if twBlank(chunks[0]) && len(lines) > 0 {
			chunks = chunks[1:]
		}
		for len(chunks) > 0 && curLen+len(chunks[0]) <= width {
			cur = append(cur, chunks[0])
			curLen += len(chunks[0])
			chunks = chunks[1:]
		}
		if len(chunks) > 0 && len(chunks[0]) > width {
			spaceLeft := width - curLen
			if width < 1 {
				spaceLeft = 1
			}
			if breakLong {
				end := spaceLeft
				chunk := chunks[0]
				if len(chunk) > spaceLeft {
					if h := lastIndexRune(chunk[:max(spaceLeft, 0)], '-'); h > 0 && strings.Trim(string(chunk[:h]), "-") != "" {
						end = h + 1
					}
				}
				cur = append(cur, chunk[:end])
				chunks[0] = chunk[end:]
			} else if len(cur) == 0 {
				cur = append(cur, chunks[0])
				chunks = chunks[1:]
			}
		}
		if len(cur) > 0 && twBlank(cur[len(cur)-1]) {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			var b strings.Builder
			for _, c := range cur {
				b.WriteString(string(c))
			}
			lines = append(lines, b.String())
		}
	}
	return lines
}

func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}
