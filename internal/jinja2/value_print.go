package jinja2

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// pyStr is Python's str() of a template value. Undefined values print as the
// empty string; callers that must reject strict undefined check first.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case Markup:
		return string(x)
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return floatRepr(x)
	case *Undefined:
		return ""
	}
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

// pyRepr is Python's repr() of a template value.
func pyRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v any) { reprInto(b, v, nil) }

// onStack reports whether container p is being printed already; Python
// prints such a cycle as [...] or {...}.
func onStack(stack []any, p any) bool {
	for _, s := range stack {
		if s == p {
			return true
		}
	}
	return false
}

func reprInto(b *strings.Builder, v any, stack []any) {
	if len(stack) > maxNestingDepth {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case string:
		writeStrRepr(b, x)
	case Markup:
		b.WriteString("Markup(")
		writeStrRepr(b, string(x))
		b.WriteByte(')')
	case nil, bool, int64, float64:
		b.WriteString(pyStr(x))
	case *big.Int:
		b.WriteString(x.String())
	case *List:
		if onStack(stack, x) {
			b.WriteString("[...]")
			return
		}
		stack = append(stack, x)
		if x.view != "" {
			b.WriteString(x.view)
			b.WriteByte('(')
		}
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			reprInto(b, it, stack)
		}
		b.WriteByte(']')
		if x.view != "" {
			b.WriteByte(')')
		}
	case *Generator:
		if strings.HasSuffix(x.name, "iterator") || x.name == "reversed" {
			fmt.Fprintf(b, "<%s object at 0x7f0000000000>", x.name)
		} else {
			fmt.Fprintf(b, "<generator object %s at 0x7f0000000000>", x.name)
		}
	case *Tuple:
		b.WriteByte('(')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			reprInto(b, it, stack)
		}
		if len(x.Items) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case *Dict:
		if onStack(stack, x) {
			b.WriteString("{...}")
			return
		}
		stack = append(stack, x)
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			reprInto(b, k, stack)
			b.WriteString(": ")
			reprInto(b, x.vals[i], stack)
		}
		b.WriteByte('}')
	case *Undefined:
		b.WriteString("Undefined")
	case *Range:
		if x.Step == 1 {
			fmt.Fprintf(b, "range(%d, %d)", x.Start, x.Stop)
		} else {
			fmt.Fprintf(b, "range(%d, %d, %d)", x.Start, x.Stop, x.Step)
		}
	case *Namespace:
		b.WriteString("<Namespace ")
		reprInto(b, x.attrs, stack)
		b.WriteByte('>')
	case *Macro:
		fmt.Fprintf(b, "<Macro %s>", pyRepr(x.name))
	case *Module:
		fmt.Fprintf(b, "<TemplateModule %s>", pyRepr(x.name))
	case *loopObj:
		fmt.Fprintf(b, "<LoopContext %d/%d>", x.index0+1, x.len())
	case *builtinFunc:
		if x.repr != "" {
			b.WriteString(x.repr)
		} else {
			fmt.Fprintf(b, "<built-in function %s>", x.name)
		}
	case *boundMethod:
		fmt.Fprintf(b, "<built-in method %s of %s>", x.name, objectTypeRepr(x.recv))
	case *cycler:
		b.WriteString("<jinja2.utils.Cycler object>")
	case *joiner:
		b.WriteString("<jinja2.utils.Joiner object>")
	case *pyDatetime:
		b.WriteString(x.str())
	default:
		fmt.Fprintf(b, "%v", x)
	}
}

func writeStrRepr(b *strings.Builder, s string) {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x80:
			b.WriteRune(r)
		case !pyPrintable(r):
			switch {
			case r < 0x100:
				fmt.Fprintf(b, `\x%02x`, r)
			case r < 0x10000:
				fmt.Fprintf(b, `\u%04x`, r)
			default:
				fmt.Fprintf(b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
}

func pyPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if unicode.IsSpace(r) || r == utf8RuneError {
		return false
	}
	return unicode.IsPrint(r) || unicode.Is(unicode.Co, r)
}

const utf8RuneError = '\uFFFD'

// floatRepr formats f like Python's repr(float).
func floatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	epos := strings.IndexByte(s, 'e')
	mant, expStr := s[:epos], s[epos+1:]
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1
	var out string
	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			out = "0." + strings.Repeat("0", -decpt) + digits
		case decpt >= len(digits):
			out = digits + strings.Repeat("0", decpt-len(digits)) + ".0"
		default:
			out = digits[:decpt] + "." + digits[decpt:]
		}
	} else {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		out = fmt.Sprintf("%se%s%02d", m, sign, exp)
	}
	if neg {
		return "-" + out
	}
	return out
}
