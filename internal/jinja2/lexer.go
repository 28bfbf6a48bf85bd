package jinja2

import (
	"fmt"
	"math/big"
	"strconv"
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
	kind tokKind
	val  string // name, operator, decoded string or data text
	num  any    // int64, *big.Int or float64 for number tokens
	line int
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
	lx.toks = make([]token, 0, 16+len(src)/8)
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
		if n, ok := isSpaceAt(src, p); ok {
			if c == '\n' {
				lx.line++
			}
			lx.pos += n
			continue
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
		if op == "" && strings.IndexByte("+-/*%~[](){}><=.:|,;", c) >= 0 {
			op = src[p : p+1]
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

// scanDigits matches (\d+_)*\d+ at i and returns its end, or -1.
func scanDigits(s string, i int) int {
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return -1
	}
	for i < len(s) {
		if s[i] >= '0' && s[i] <= '9' {
			i++
			continue
		}
		if s[i] == '_' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	return i
}

func scanExponent(s string, i int) int {
	if i >= len(s) || (s[i] != 'e' && s[i] != 'E') {
		return -1
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	return scanDigits(s, i)
}

func (lx *lexer) lexNumber() error {
	s, p := lx.src, lx.pos
	afterDot := p > 0 && s[p-1] == '.'
	if !afterDot {
		a := scanDigits(s, p)
		end := -1
		if a < len(s) && s[a] == '.' {
			if k := scanDigits(s, a+1); k > 0 {
				end = k
				if e := scanExponent(s, k); e > 0 {
					end = e
				}
			}
		}
		if end < 0 {
			end = scanExponent(s, a)
		}
		if end > 0 {
			f, err := strconv.ParseFloat(strings.ReplaceAll(s[p:end], "_", ""), 64)
			if err != nil && !isRangeErr(err) {
				return syntaxError("invalid float literal", lx.line)
			}
			lx.toks = append(lx.toks, token{kind: tFloat, num: f, val: s[p:end], line: lx.line})
			lx.pos = end
			return nil
		}
	}
	end, base := p+1, 10
	if s[p] == '0' && p+2 < len(s) {
		switch s[p+1] {
		case 'b', 'B':
			base = 2
		case 'o', 'O':
			base = 8
		case 'x', 'X':
			base = 16
		}
	}
	digitOK := func(c byte, b int) bool {
		v := strings.IndexByte("0123456789abcdef", byte(unicode.ToLower(rune(c))))
		return v >= 0 && v < b
	}
	if base != 10 {
		q := p + 2
		for q < len(s) {
			if s[q] == '_' && q+1 < len(s) && digitOK(s[q+1], base) {
				q += 2
				continue
			}
			if digitOK(s[q], base) {
				q++
				continue
			}
			break
		}
		if q == p+2 {
			base, end = 10, p+1
		} else {
			end = q
		}
	}
	if base == 10 {
		if s[p] == '0' {
			q := p + 1
			for q < len(s) {
				if s[q] == '0' {
					q++
				} else if s[q] == '_' && q+1 < len(s) && s[q+1] == '0' {
					q += 2
				} else {
					break
				}
			}
			end = q
		} else {
			end = scanDigits(s, p)
		}
	}
	lit := strings.ReplaceAll(s[p:end], "_", "")
	if base != 10 {
		lit = lit[2:]
	}
	var num any
	if v, err := strconv.ParseInt(lit, base, 64); err == nil {
		num = v
	} else {
		b, _ := new(big.Int).SetString(lit, base)
		num = b
	}
	lx.toks = append(lx.toks, token{kind: tInt, num: num, val: s[p:end], line: lx.line})
	lx.pos = end
	return nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (lx *lexer) lexString() (bool, error) {
	s, p := lx.src, lx.pos
	q := s[p]
	i := p + 1
	for i < len(s) {
		if s[i] == '\\' {
			i += 2
			continue
		}
		if s[i] == q {
			break
		}
		i++
	}
	if i >= len(s) {
		return false, nil
	}
	body := s[p+1 : i]
	lx.emit(tString, unescapePy(body), lx.line)
	lx.line += strings.Count(s[p:i+1], "\n")
	lx.pos = i + 1
	return true, nil
}

// unescapePy decodes Python unicode-escape sequences.
func unescapePy(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 32)
			b.WriteRune(rune(v))
			i = j - 1
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n < len(s)+0 && i+1+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(e)
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}
