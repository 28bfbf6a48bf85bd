package jinja2

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tData tokKind = iota
	tVarBegin
	tVarEnd
	tBlockBegin
	tBlockEnd
	tName
	tString
	tInt
	tFloat
	tOp
	tEOF
)

type token struct {
	val  string // name, operator, decoded string or data text
	num  any    // int64, *big.Int or float64 for number tokens
	line int
	kind tokKind
}

type lexer struct {
	src          string
	pos, line    int
	trimBlocks   bool
	lstripBlocks bool
	toks         []token
}

// normalizeSource applies Jinja2's newline handling: \r\n and \r become \n
// and, with keep_trailing_newline off, a single trailing newline is dropped.
func normalizeSource(src string) string {
	if strings.IndexByte(src, '\r') >= 0 {
		src = strings.ReplaceAll(src, "\r\n", "\n")
		src = strings.ReplaceAll(src, "\r", "\n")
	}
	return strings.TrimSuffix(src, "\n")
}

func tokenize(src string, trimBlocks, lstripBlocks bool) ([]token, error) {
	lx := &lexer{src: src, line: 1, trimBlocks: trimBlocks, lstripBlocks: lstripBlocks}
	lx.toks = make([]token, 0, 16+estimateTokens(src))
	if err := lx.run(); err != nil {
		return nil, err
	}
	eofLine := 1
	if len(lx.toks) > 0 {
		eofLine = lx.toks[len(lx.toks)-1].line
	}
	lx.toks = append(lx.toks, token{kind: tEOF, line: eofLine})
	return lx.toks, nil
}

// estimateTokens guesses the token count to size the token slice once.
func estimateTokens(src string) int {
	return (strings.Count(src, "{{") + strings.Count(src, "{%")) * 9
}

func (lx *lexer) emit(k tokKind, val string, line int) {
	lx.toks = append(lx.toks, token{kind: k, val: val, line: line})
}

func isSpaceAt(s string, i int) (int, bool) {
	r, n := utf8.DecodeRuneInString(s[i:])
	return n, unicode.IsSpace(r)
}

func (lx *lexer) skipSpace(p int) int {
	for p < len(lx.src) {
		n, ok := isSpaceAt(lx.src, p)
		if !ok {
			break
		}
		p += n
	}
	return p
}

// stripData applies the whitespace control of a tag to the text before it.
func (lx *lexer) stripData(text string, start int, sign byte, isVar bool) string {
	if sign == '-' {
		return strings.TrimRightFunc(text, unicode.IsSpace)
	}
	if sign != '+' && lx.lstripBlocks && !isVar {
		lpos := strings.LastIndexByte(text, '\n') + 1
		lineStarting := start == 0 || lx.src[start-1] == '\n'
		if lpos > 0 || lineStarting {
			if strings.Trim(text[lpos:], " \t") == "" {
				return text[:lpos]
			}
		}
	}
	return text
}

func (lx *lexer) run() error {
	src := lx.src
	for lx.pos < len(src) {
		idx := -1
		for i := lx.pos; i < len(src)-1; i++ {
			if src[i] == '{' {
				if c := src[i+1]; c == '{' || c == '%' || c == '#' {
					idx = i
					break
				}
			}
		}
		if idx < 0 {
			lx.emit(tData, src[lx.pos:], lx.line)
			lx.line += strings.Count(src[lx.pos:], "\n")
			lx.pos = len(src)
			return nil
		}
		kind := src[idx+1]
		p := idx + 2
		var sign byte
		if p < len(src) && (src[p] == '-' || src[p] == '+') {
			sign = src[p]
			p++
		}
		rawEnd := -1
		if kind == '%' {
			rawEnd = lx.matchRawBegin(p)
		}
		text := lx.stripData(src[lx.pos:idx], lx.pos, sign, kind == '{')
		if text != "" {
			lx.emit(tData, text, lx.line)
		}
		lx.line += strings.Count(src[lx.pos:idx], "\n")
		var err error
		switch {
		case rawEnd >= 0:
			lx.line += strings.Count(src[idx:rawEnd], "\n")
			lx.pos = rawEnd
			err = lx.lexRaw()
		case kind == '#':
			err = lx.lexComment(idx, p)
		case kind == '{':
			lx.emit(tVarBegin, "", lx.line)
			lx.pos = p
			err = lx.lexTag(true)
		default:
			lx.emit(tBlockBegin, "", lx.line)
			lx.pos = p
			err = lx.lexTag(false)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// matchRawBegin matches `\s*raw\s*(-%}\s*|%})` at p and returns the end.
func (lx *lexer) matchRawBegin(p int) int {
	src := lx.src
	q := lx.skipSpace(p)
	if !strings.HasPrefix(src[q:], "raw") {
		return -1
	}
	q = lx.skipSpace(q + 3)
	if strings.HasPrefix(src[q:], "-%}") {
		return lx.skipSpace(q + 3)
	}
	if strings.HasPrefix(src[q:], "%}") {
		return q + 2
	}
	return -1
}

func (lx *lexer) lexRaw() error {
	src := lx.src
	for i := lx.pos; i < len(src)-1; i++ {
		if src[i] != '{' || src[i+1] != '%' {
			continue
		}
		p := i + 2
		var sign byte
		if p < len(src) && (src[p] == '-' || src[p] == '+') {
			sign = src[p]
			p++
		}
		q := lx.skipSpace(p)
		if !strings.HasPrefix(src[q:], "endraw") {
			continue
		}
		q = lx.skipSpace(q + 6)
		end := -1
		switch {
		case strings.HasPrefix(src[q:], "+%}"):
			end = q + 3
		case strings.HasPrefix(src[q:], "-%}"):
			end = lx.skipSpace(q + 3)
		case strings.HasPrefix(src[q:], "%}"):
			end = q + 2
			if lx.trimBlocks && end < len(src) && src[end] == '\n' {
				end++
			}
		}
		if end < 0 {
			continue
		}
		text := lx.stripData(src[lx.pos:i], lx.pos, sign, false)
		if text != "" {
			lx.emit(tData, text, lx.line)
		}
		lx.line += strings.Count(src[lx.pos:end], "\n")
		lx.pos = end
		return nil
	}
	return syntaxError("Missing end of raw directive", lx.line)
}

func (lx *lexer) lexComment(start, p int) error {
	src := lx.src
	rel := strings.Index(src[p:], "#}")
	if rel < 0 {
		return syntaxError("Missing end of comment tag", lx.line)
	}
	i := p + rel
	end := i + 2
	switch {
	case i > p && src[i-1] == '-':
		end = lx.skipSpace(end)
	case i > p && src[i-1] == '+':
	default:
		if lx.trimBlocks && end < len(src) && src[end] == '\n' {
			end++
		}
	}
	lx.line += strings.Count(src[start:end], "\n")
	lx.pos = end
	return nil
}

var closerOf = map[byte]byte{'(': ')', '[': ']', '{': '}'}

func (lx *lexer) lexTag(isVar bool) error {
	src := lx.src
	var stack []byte
	for lx.pos < len(src) {
		p := lx.pos
		if len(stack) == 0 {
			if isVar {
				if strings.HasPrefix(src[p:], "-}}") {
					end := lx.skipSpace(p + 3)
					lx.emit(tVarEnd, "", lx.line)
					lx.line += strings.Count(src[p:end], "\n")
					lx.pos = end
					return nil
				}
				if strings.HasPrefix(src[p:], "}}") {
					lx.emit(tVarEnd, "", lx.line)
					lx.pos = p + 2
					return nil
				}
			} else {
				end := -1
				switch {
				case strings.HasPrefix(src[p:], "+%}"):
					end = p + 3
				case strings.HasPrefix(src[p:], "-%}"):
					end = lx.skipSpace(p + 3)
				case strings.HasPrefix(src[p:], "%}"):
					end = p + 2
					if lx.trimBlocks && end < len(src) && src[end] == '\n' {
						end++
					}
				}
				if end >= 0 {
					lx.emit(tBlockEnd, "", lx.line)
					lx.line += strings.Count(src[p:end], "\n")
					lx.pos = end
					return nil
				}
			}
		}
		c := src[p]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			if c == '\n' {
				lx.line++
			}
			lx.pos++
			continue
		}
		if c >= utf8.RuneSelf {
			if n, ok := isSpaceAt(src, p); ok {
				lx.pos += n
				continue
			}
		}
		switch {
		case c >= '0' && c <= '9':
			if err := lx.lexNumber(); err != nil {
				return err
			}
			continue
		case c == '\'' || c == '"':
			if ok, err := lx.lexString(); err != nil {
				return err
			} else if ok {
				continue
			}
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)) || c >= utf8.RuneSelf:
			r, _ := utf8.DecodeRuneInString(src[p:])
			if c == '_' || unicode.IsLetter(r) {
				q := p
				for q < len(src) {
					if b := src[q]; b < utf8.RuneSelf {
						if b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' {
							q++
							continue
						}
						break
					}
					r, n := utf8.DecodeRuneInString(src[q:])
					if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
						break
					}
					q += n
				}
				lx.emit(tName, src[p:q], lx.line)
				lx.pos = q
				continue
			}
		}
		op := ""
		if p+1 < len(src) {
			switch two := src[p : p+2]; two {
			case "//", "**", "==", "!=", ">=", "<=":
				op = two
			}
		}
		if op == "" {
			switch c {
			case '+', '-', '/', '*', '%', '~', '[', ']', '(', ')', '{', '}', '>', '<', '=', '.', ':', '|', ',', ';':
				op = src[p : p+1]
			}
		}
		if op == "" {
			r, _ := utf8.DecodeRuneInString(src[p:])
			return syntaxError(fmt.Sprintf("unexpected char %s at %d", pyRepr(string(r)), utf8.RuneCountInString(src[:p])), lx.line)
		}
		switch op {
		case "(", "[", "{":
			stack = append(stack, closerOf[op[0]])
		case ")", "]", "}":
			if len(stack) == 0 {
				return syntaxError(fmt.Sprintf("unexpected '%s'", op), lx.line)
			}
			if want := stack[len(stack)-1]; want != op[0] {
				return syntaxError(fmt.Sprintf("unexpected '%s', expected '%c'", op, want), lx.line)
			}
			stack = stack[:len(stack)-1]
		}
		lx.emit(tOp, op, lx.line)
		lx.pos += len(op)
	}
	return nil
}
