package jinja2

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// percentFormat implements Python's str % values.
func percentFormat(format string, values any) (any, error) {
	var pos []any
	var mapping *Dict
	switch x := values.(type) {
	case *Tuple:
		pos = x.Items
	case *Dict:
		mapping = x
		pos = []any{x}
	default:
		pos = []any{values}
	}
	next := 0
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return nil, valueError("incomplete format")
		}
		var arg any
		haveArg := false
		if format[i] == '(' {
			end := strings.IndexByte(format[i:], ')')
			if end < 0 {
				return nil, valueError("incomplete format key")
			}
			key := format[i+1 : i+end]
			i += end + 1
			if mapping == nil {
				return nil, typeError("format requires a mapping")
			}
			v, ok := mapping.GetStr(key)
			if !ok {
				return nil, newRuntimeError("KeyError", pyRepr(key))
			}
			arg, haveArg = v, true
		}
		flags := ""
		for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
			flags += format[i : i+1]
			i++
		}
		width := ""
		if i < len(format) && format[i] == '*' {
			if next >= len(pos) {
				return nil, typeError("not enough arguments for format string")
			}
			n, _ := intOf(pos[next])
			next++
			width = strconv.FormatInt(n, 10)
			i++
		}
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			width += format[i : i+1]
			i++
		}
		prec := -1
		if i < len(format) && format[i] == '.' {
			i++
			p := 0
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				p = p*10 + int(format[i]-'0')
				i++
			}
			prec = p
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			return nil, valueError("incomplete format")
		}
		verb := format[i]
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if !haveArg {
			if next >= len(pos) {
				return nil, typeError("not enough arguments for format string")
			}
			arg = pos[next]
			next++
		}
		s, err := formatOne(verb, flags, width, prec, arg)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	_, listArg := values.(*List)
	if mapping == nil && !listArg && next < len(pos) {
		return nil, typeError("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

func padStr(s, flags, width string) string {
	w, _ := strconv.Atoi(width)
	n := utf8.RuneCountInString(s)
	if n >= w {
		return s
	}
	if strings.Contains(flags, "-") {
		return s + strings.Repeat(" ", w-n)
	}
	return strings.Repeat(" ", w-n) + s
}

func formatOne(verb byte, flags, width string, prec int, arg any) (string, error) {
	if u, ok := arg.(*Undefined); ok && u.kind == undefStrict && verb != 'r' && verb != 'a' {
		return "", u.err()
	}
	switch verb {
	case 's', 'r', 'a':
		var s string
		if verb == 's' {
			s = pyStr(arg)
		} else {
			s = pyRepr(arg)
		}
		if prec >= 0 {
			r := []rune(s)
			if len(r) > prec {
				s = string(r[:prec])
			}
		}
		return padStr(s, flags, width), nil
	case 'd', 'i', 'u', 'x', 'X', 'o', 'c':
		var n *big.Int
		switch x := arg.(type) {
		case float64:
			if verb == 'x' || verb == 'X' || verb == 'o' || verb == 'c' {
				return "", typeError("%%%c format: an integer is required, not float", verb)
			}
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return "", valueError("cannot convert float to integer")
			}
			n, _ = new(big.Float).SetFloat64(math.Trunc(x)).Int(nil)
		default:
			if !isIntLike(arg) {
				if verb == 'c' {
					if s, ok := arg.(string); ok && utf8.RuneCountInString(s) == 1 {
						return padStr(s, flags, width), nil
					}
				}
				return "", typeError("%%%c format: a real number is required, not %s", verb, typeName(arg))
			}
			n = toBig(arg)
		}
		if verb == 'c' {
			return padStr(string(rune(n.Int64())), flags, width), nil
		}
		gv := map[byte]string{'d': "d", 'i': "d", 'u': "d", 'x': "x", 'X': "X", 'o': "o"}[verb]
		spec := "%" + flags + width
		if prec >= 0 {
			spec += "." + strconv.Itoa(prec)
		}
		s := fmt.Sprintf(spec+gv, n)
		if verb == 'o' && strings.Contains(flags, "#") {
			s = strings.Replace(s, "0", "0o", 1)
		}
		return s, nil
	case 'f', 'F', 'e', 'E', 'g', 'G':
		f, ok := toFloat(arg)
		if !ok {
			if s, isStr := arg.(string); isStr {
				_ = s
			}
			return "", typeError("must be real number, not %s", typeName(arg))
		}
		if prec < 0 {
			prec = 6
		}
		return formatFloatVerb(f, verb, flags, width, prec), nil
	}
	return "", valueError("unsupported format character '%c' (0x%x)", verb, verb)
}

func formatFloatVerb(f float64, verb byte, flags, width string, prec int) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		s := "inf"
		if math.IsNaN(f) {
			s = "nan"
		} else if f < 0 {
			s = "-inf"
		}
		if verb >= 'A' && verb <= 'Z' {
			s = strings.ToUpper(s)
		}
		return padStr(s, strings.ReplaceAll(flags, "0", ""), width)
	}
	gv := string(verb)
	if verb == 'F' {
		gv = "f"
	}
	s := fmt.Sprintf("%"+flags+width+"."+strconv.Itoa(prec)+gv, f)
	return s
}
