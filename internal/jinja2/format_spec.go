package jinja2

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

func undefClassName(u *Undefined) string {
	switch u.kind {
	case undefStrict:
		return "StrictUndefined"
	case undefLenient:
		return "ChainableUndefined"
	}
	return "Undefined"
}

// strFormat implements Python's str.format.
func strFormat(format string, a *args) (any, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '}' {
			if i+1 < len(format) && format[i+1] == '}' {
				i++
				b.WriteByte('}')
				continue
			}
			return nil, valueError("Single '}' encountered in format string")
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(format) && format[i+1] == '{' {
			i++
			b.WriteByte('{')
			continue
		}
		depth, j := 1, i+1
		for ; j < len(format); j++ {
			if format[j] == '{' {
				depth++
			} else if format[j] == '}' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j >= len(format) {
			return nil, valueError("expected '}' before end of string")
		}
		field := format[i+1 : j]
		i = j
		spec := ""
		if k := strings.IndexByte(field, ':'); k >= 0 {
			field, spec = field[:k], field[k+1:]
		}
		conv := byte(0)
		if k := strings.IndexByte(field, '!'); k >= 0 {
			if k+1 < len(field) {
				conv = field[k+1]
			}
			field = field[:k]
		}
		name := field
		rest := ""
		if k := strings.IndexAny(field, ".["); k >= 0 {
			name, rest = field[:k], field[k:]
		}
		var v any
		if name == "" {
			if auto >= len(a.pos) {
				return nil, newRuntimeError("IndexError", fmt.Sprintf("Replacement index %d out of range for positional args tuple", auto))
			}
			v = a.pos[auto]
			auto++
		} else if n, err := strconv.Atoi(name); err == nil {
			if n >= len(a.pos) {
				return nil, newRuntimeError("IndexError", fmt.Sprintf("Replacement index %d out of range for positional args tuple", n))
			}
			v = a.pos[n]
		} else {
			kv, ok := a.kwarg(name)
			if !ok {
				return nil, newRuntimeError("KeyError", pyRepr(name))
			}
			v = kv
		}
		for rest != "" {
			if rest[0] == '.' {
				k := strings.IndexAny(rest[1:], ".[")
				attr := rest[1:]
				if k >= 0 {
					attr, rest = rest[1:k+1], rest[k+1:]
				} else {
					rest = ""
				}
				if d, ok := v.(*Dict); ok {
					v, _ = d.GetStr(attr)
				} else if ns, ok := v.(*Namespace); ok {
					v, _ = ns.attrs.GetStr(attr)
				}
				continue
			}
			k := strings.IndexByte(rest, ']')
			if k < 0 {
				return nil, valueError("Missing ']' in format string")
			}
			key := rest[1:k]
			rest = rest[k+1:]
			var kk any = key
			if n, err := strconv.Atoi(key); err == nil {
				kk = int64(n)
			}
			switch x := v.(type) {
			case *Dict:
				v, _ = x.Get(kk)
			case *List:
				if idx, ok := seqIndex(len(x.Items), kk); ok {
					v = x.Items[idx]
				}
			case *Tuple:
				if idx, ok := seqIndex(len(x.Items), kk); ok {
					v = x.Items[idx]
				}
			}
		}
		switch conv {
		case 'r', 'a':
			v = pyRepr(v)
		case 's':
			v = pyStr(v)
		}
		if strings.IndexByte(spec, '{') >= 0 {
			inner, err := strFormat(spec, a)
			if err != nil {
				return nil, err
			}
			spec = inner.(string)
		}
		s, err := formatSpec(v, spec)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// formatSpec implements format(value, spec) for the common mini-language.
func formatSpec(v any, spec string) (string, error) {
	if u, ok := v.(*Undefined); ok {
		if spec != "" {
			return "", typeError("unsupported format string passed to %s.__format__", undefClassName(u))
		}
		return strValue(u)
	}
	if spec == "" {
		return pyStr(v), nil
	}
	fill, align := " ", byte(0)
	rs := []rune(spec)
	if len(rs) >= 2 && strings.ContainsRune("<>=^", rs[1]) {
		fill, align = string(rs[0]), byte(rs[1])
		spec = string(rs[2:])
	} else if len(spec) >= 1 && strings.IndexByte("<>=^", spec[0]) >= 0 {
		align = spec[0]
		spec = spec[1:]
	}
	sign := byte('-')
	if spec != "" && strings.IndexByte("+- ", spec[0]) >= 0 {
		sign = spec[0]
		spec = spec[1:]
	}
	alt := false
	if spec != "" && spec[0] == '#' {
		alt = true
		spec = spec[1:]
	}
	if spec != "" && spec[0] == '0' {
		if align == 0 {
			fill, align = "0", '='
		}
		spec = spec[1:]
	}
	i := 0
	for i < len(spec) && spec[i] >= '0' && spec[i] <= '9' {
		i++
	}
	width, _ := strconv.Atoi(spec[:i])
	spec = spec[i:]
	group := ""
	if spec != "" && (spec[0] == ',' || spec[0] == '_') {
		group = spec[:1]
		spec = spec[1:]
	}
	prec := -1
	if spec != "" && spec[0] == '.' {
		j := 1
		for j < len(spec) && spec[j] >= '0' && spec[j] <= '9' {
			j++
		}
		prec, _ = strconv.Atoi(spec[1:j])
		spec = spec[j:]
	}
	typ := byte(0)
	if spec != "" {
		typ = spec[0]
	}
	var body, signStr string
	numeric := false
	switch x := v.(type) {
	case string:
		if typ != 0 && typ != 's' {
			return "", valueError("Unknown format code '%c' for object of type 'str'", typ)
		}
		body = x
		if prec >= 0 && utf8.RuneCountInString(body) > prec {
			body = string([]rune(body)[:prec])
		}
	default:
		if !isNumber(v) {
			body = pyStr(v)
			break
		}
		numeric = true
		isInt := isIntLike(v) && typ != 'e' && typ != 'E' && typ != 'f' && typ != 'F' && typ != 'g' && typ != 'G' && typ != '%'
		if isInt {
			n := toBig(v)
			if n.Sign() < 0 {
				signStr = "-"
				n = new(big.Int).Neg(n)
			}
			switch typ {
			case 'x':
				body = n.Text(16)
			case 'X':
				body = strings.ToUpper(n.Text(16))
			case 'o':
				body = n.Text(8)
			case 'b':
				body = n.Text(2)
			case 'c':
				body = string(rune(n.Int64()))
			default:
				body = n.String()
			}
			if alt && (typ == 'x' || typ == 'X' || typ == 'o' || typ == 'b') {
				body = "0" + string(typ) + body
			}
		} else {
			f, _ := toFloat(v)
			if f < 0 || (f == 0 && math.Signbit(f)) {
				signStr = "-"
				f = -f
			}
			switch typ {
			case 0:
				if prec < 0 {
					body = floatRepr(f)
				} else {
					body = strconv.FormatFloat(f, 'g', prec, 64)
					if !strings.ContainsAny(body, ".e") {
						body += ".0"
					}
				}
			case '%':
				if prec < 0 {
					prec = 6
				}
				body = strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
			default:
				if prec < 0 {
					prec = 6
				}
				body = formatFloatVerb(f, typ, "", "", prec)
			}
		}
		if group != "" {
			intPart, frac := body, ""
			if k := strings.IndexAny(body, ".e%"); k >= 0 {
				intPart, frac = body[:k], body[k:]
			}
			var gb strings.Builder
			for k, ch := range intPart {
				if k > 0 && (len(intPart)-k)%3 == 0 {
					gb.WriteString(group)
				}
				gb.WriteRune(ch)
			}
			body = gb.String() + frac
		}
		if signStr == "" && sign == '+' {
			signStr = "+"
		} else if signStr == "" && sign == ' ' {
			signStr = " "
		}
	}
	if align == 0 {
		align = '<'
		if numeric {
			align = '>'
		}
	}
	n := utf8.RuneCountInString(signStr + body)
	if n >= width {
		return signStr + body, nil
	}
	pad := width - n
	switch align {
	case '<':
		return signStr + body + strings.Repeat(fill, pad), nil
	case '>':
		return strings.Repeat(fill, pad) + signStr + body, nil
	case '^':
		return strings.Repeat(fill, pad/2) + signStr + body + strings.Repeat(fill, pad-pad/2), nil
	}
	return signStr + strings.Repeat(fill, pad) + body, nil
}
