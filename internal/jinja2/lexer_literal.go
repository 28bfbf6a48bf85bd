package jinja2

import (
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

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
