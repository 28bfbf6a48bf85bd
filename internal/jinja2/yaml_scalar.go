package jinja2

import (
	"fmt"
	"strings"
)

type yamlAnalysis struct {
	multiline, allowPlain, allowSingle, allowBlock bool
}

func isYAMLBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\x85' || r == '\u2028' || r == '\u2029'
}

// analyzeScalar follows PyYAML's Emitter.analyze_scalar for block context.
func analyzeScalar(s string) yamlAnalysis {
	if s == "" {
		return yamlAnalysis{allowSingle: true}
	}
	blockInd := strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...")
	var lineBreaks, special, leadSpace, leadBreak, trailSpace, trailBreak, breakSpace, spaceBreak bool
	prevSpace, prevBreak := false, false
	runes := []rune(s)
	precededByWS := true
	for i, ch := range runes {
		followedByWS := i+1 >= len(runes) || strings.ContainsRune("\x00 \t\r\n\x85\u2028\u2029", runes[i+1])
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				blockInd = true
			}
			if (ch == '?' || ch == ':') && followedByWS {
				blockInd = true
			}
			if ch == '-' && followedByWS {
				blockInd = true
			}
		} else {
			if ch == ':' && followedByWS {
				blockInd = true
			}
			if ch == '#' && precededByWS {
				blockInd = true
			}
		}
		if isYAMLBreak(ch) {
			lineBreaks = true
		}
		if !(ch == '\n' || (ch >= 0x20 && ch <= 0x7e)) {
			if !(ch == 0x85 || (ch >= 0xa0 && ch <= 0xd7ff) || (ch >= 0xe000 && ch <= 0xfffd) || (ch >= 0x10000 && ch < 0x10ffff)) || ch == 0xfeff {
				special = true
			}
		}
		switch {
		case ch == ' ':
			if i == 0 {
				leadSpace = true
			}
			if i == len(runes)-1 {
				trailSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isYAMLBreak(ch):
			if i == 0 {
				leadBreak = true
			}
			if i == len(runes)-1 {
				trailBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		precededByWS = strings.ContainsRune("\x00 \t\r\n\x85\u2028\u2029", ch)
	}
	a := yamlAnalysis{multiline: lineBreaks, allowPlain: true, allowSingle: true, allowBlock: true}
	if leadSpace || leadBreak || trailSpace || trailBreak {
		a.allowPlain = false
	}
	if trailSpace {
		a.allowBlock = false
	}
	if breakSpace {
		a.allowPlain, a.allowSingle = false, false
	}
	if spaceBreak || special {
		a.allowPlain, a.allowSingle, a.allowBlock = false, false, false
	}
	if lineBreaks || blockInd {
		a.allowPlain = false
	}
	return a
}

// writeString writes a string scalar at the given indent, choosing the
// style like PyYAML's Emitter.choose_scalar_style with Kluctl's representer
// asking for a literal block when the string contains a newline.
func (e *yamlEmitter) writeString(s string, indent int, simpleKey bool) {
	a := analyzeScalar(s)
	if a.allowPlain && s != "" && yamlImplicitTag(s) == "str" && !(simpleKey && a.multiline) {
		e.writePlain(s, indent, !simpleKey)
		return
	}
	if strings.Contains(s, "\n") {
		if !simpleKey && a.allowBlock {
			e.writeLiteral(s, indent)
			return
		}
		e.writeDouble(s, indent, !simpleKey)
		return
	}
	if a.allowSingle && !(simpleKey && a.multiline) {
		e.writeSingle(s, indent, !simpleKey)
		return
	}
	e.writeDouble(s, indent, !simpleKey)
}

const yamlBestWidth = 80

// writeIndent is Emitter.write_indent for a scalar continuation line.
func (e *yamlEmitter) writeIndent(indent int) {
	if e.col > indent || e.col == -1 {
		e.b.WriteByte('\n')
		e.col = 0
	}
	if e.col < indent {
		e.b.WriteString(strings.Repeat(" ", indent-e.col))
		e.col = indent
	}
}

func (e *yamlEmitter) writeRunes(rs []rune) {
	e.b.WriteString(string(rs))
	e.col += len(rs)
}

func isBreakRune(r rune) bool { return r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029 }

// writePlain ports Emitter.write_plain.
func (e *yamlEmitter) writePlain(s string, indent int, split bool) {
	text := []rune(s)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(text); end++ {
		ch := rune(-1)
		if end < len(text) {
			ch = text[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.col > yamlBestWidth && split {
					e.writeIndent(indent)
				} else {
					e.writeRunes(text[start:end])
				}
				start = end
			}
		case breaks:
			if !isBreakRune(ch) {
				if text[start] == '\n' {
					e.b.WriteByte('\n')
				}
				for _, br := range text[start:end] {
					e.b.WriteRune(br)
				}
				e.col = 0
				e.writeIndent(indent)
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreakRune(ch) {
				e.writeRunes(text[start:end])
				start = end
			}
		}
		if ch != -1 {
			spaces, breaks = ch == ' ', isBreakRune(ch)
		}
	}
}

// writeSingle ports Emitter.write_single_quoted.
func (e *yamlEmitter) writeSingle(s string, indent int, split bool) {
	e.b.WriteByte('\'')
	e.col++
	text := []rune(s)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(text); end++ {
		ch := rune(-1)
		if end < len(text) {
			ch = text[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.col > yamlBestWidth && split && start != 0 && end != len(text) {
					e.writeIndent(indent)
				} else {
					e.writeRunes(text[start:end])
				}
				start = end
			}
		case breaks:
			if !isBreakRune(ch) {
				if text[start] == '\n' {
					e.b.WriteByte('\n')
				}
				for _, br := range text[start:end] {
					e.b.WriteRune(br)
				}
				e.col = 0
				e.writeIndent(indent)
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreakRune(ch) || ch == '\'' {
				if start < end {
					e.writeRunes(text[start:end])
					start = end
				}
			}
		}
		if ch == '\'' {
			e.b.WriteString("''")
			e.col += 2
			start = end + 1
		}
		if ch != -1 {
			spaces, breaks = ch == ' ', isBreakRune(ch)
		}
	}
	e.b.WriteByte('\'')
	e.col++
}

var yamlEscapes = map[rune]string{
	0: "0", 7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 27: "e",
	'"': "\"", '\\': "\\", 0x85: "N", 0xA0: "_", 0x2028: "L", 0x2029: "P",
}

// writeDouble ports Emitter.write_double_quoted (allow_unicode on).
func (e *yamlEmitter) writeDouble(s string, indent int, split bool) {
	e.b.WriteByte('"')
	e.col++
	text := []rune(s)
	start := 0
	for end := 0; end <= len(text); end++ {
		ch := rune(-1)
		if end < len(text) {
			ch = text[end]
		}
		printable := ch >= 0x20 && ch <= 0x7e || ch >= 0xa0 && ch <= 0xd7ff || ch >= 0xe000 && ch <= 0xfffd
		if ch == -1 || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xfeff || !printable {
			if start < end {
				e.writeRunes(text[start:end])
				start = end
			}
			if ch != -1 {
				var data string
				if r, ok := yamlEscapes[ch]; ok {
					data = "\\" + r
				} else if ch <= 0xff {
					data = fmt.Sprintf("\\x%02X", ch)
				} else if ch <= 0xffff {
					data = fmt.Sprintf("\\u%04X", ch)
				} else {
					data = fmt.Sprintf("\\U%08X", ch)
				}
				e.b.WriteString(data)
				e.col += len(data)
				start = end + 1
			}
		}
		if end > 0 && end < len(text)-1 && (ch == ' ' || start >= end) && e.col+(end-start) > yamlBestWidth && split {
			if start < end {
				e.writeRunes(text[start:end])
			}
			e.b.WriteByte('\\')
			e.col++
			if start < end {
				start = end
			}
			e.writeIndent(indent)
			if text[start] == ' ' {
				e.b.WriteByte('\\')
				e.col++
			}
		}
	}
	e.b.WriteByte('"')
	e.col++
}

func (e *yamlEmitter) writeLiteral(s string, indent int) {
	hint := ""
	if s[0] == ' ' || s[0] == '\n' {
		hint = "2"
	}
	chomp := ""
	switch {
	case !strings.HasSuffix(s, "\n"):
		chomp = "-"
	case len(s) == 1 || strings.HasSuffix(s, "\n\n"):
		chomp = "+"
	}
	e.write("|" + hint + chomp)
	body := strings.TrimSuffix(s, "\n")
	if chomp == "+" {
		body = s[:len(s)-1]
	}
	pad := strings.Repeat(" ", indent)
	for _, l := range strings.Split(body, "\n") {
		if l == "" {
			e.write("\n")
		} else {
			e.write("\n" + pad + l)
		}
	}
	e.write("\n")
	e.col = -1 // a literal block ends with its own newline
}
