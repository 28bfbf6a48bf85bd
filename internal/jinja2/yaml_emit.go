package jinja2

import (
	"math"
	"math/big"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The to_yaml filter prints like PyYAML's safe_dump with block style,
// insertion order, an indent of 2, a line width of 80 and multi-line strings
// as literal blocks.

var (
	yamlBoolRe  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlFloatRe = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yamlIntRe   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlNullRe  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yamlTimeRe  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

// yamlImplicitTag returns the tag PyYAML resolves a plain scalar to.
func yamlImplicitTag(s string) string {
	if s == "" {
		return "null"
	}
	switch {
	case yamlBoolRe.MatchString(s):
		return "bool"
	case yamlIntRe.MatchString(s):
		return "int"
	case yamlFloatRe.MatchString(s):
		return "float"
	case yamlNullRe.MatchString(s):
		return "null"
	case yamlTimeRe.MatchString(s):
		return "timestamp"
	case s == "<<":
		return "merge"
	case s == "=":
		return "value"
	}
	return "str"
}

type yamlAnalysis struct {
	multiline, allowPlain, allowSingle, allowBlock bool
}

func isYAMLSpace(r rune) bool { return r == ' ' }
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

type yamlEmitter struct {
	b   strings.Builder
	col int
}

func (e *yamlEmitter) write(s string) {
	e.b.WriteString(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		e.col = utf8.RuneCountInString(s[i+1:])
	} else {
		e.col += utf8.RuneCountInString(s)
	}
}

func (e *yamlEmitter) newline(indent int) {
	e.write("\n" + strings.Repeat(" ", indent))
}

func yamlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := strings.ToLower(floatRepr(f))
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}

// scalarText returns the plain text of a non-string scalar.
func yamlScalarText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "null", true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case int64:
		return pyStr(x), true
	case *big.Int:
		return x.String(), true
	case float64:
		return yamlFloat(x), true
	}
	return "", false
}

// writeString writes a string scalar at the given indent.
func (e *yamlEmitter) writeString(s string, indent int, simpleKey bool) {
	a := analyzeScalar(s)
	if a.allowPlain && s != "" && yamlImplicitTag(s) == "str" && !(simpleKey && a.multiline) {
		e.writePlain(s, indent, !simpleKey)
		return
	}
	if a.multiline && !simpleKey && a.allowBlock {
		e.writeLiteral(s, indent)
		return
	}
	if a.allowSingle && !(simpleKey && a.multiline) {
		e.writeSingle(s, indent, !simpleKey)
		return
	}
	e.writeDouble(s)
}

func (e *yamlEmitter) writeWords(s string, indent int, split bool) {
	words := strings.Split(s, " ")
	for i, w := range words {
		if i > 0 {
			if split && e.col > 80 && w != "" && words[i-1] != "" {
				e.newline(indent)
			} else {
				e.write(" ")
			}
		}
		e.write(w)
	}
}

func (e *yamlEmitter) writePlain(s string, indent int, split bool) {
	e.writeWords(s, indent, split)
}

func (e *yamlEmitter) writeSingle(s string, indent int, split bool) {
	e.write("'")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if i > 0 {
			e.write("\n")
			if l != "" || i == len(lines)-1 {
				e.write(strings.Repeat(" ", indent))
			}
		}
		e.writeWords(strings.ReplaceAll(l, "'", "''"), indent, split)
	}
	e.write("'")
}

func (e *yamlEmitter) writeDouble(s string) {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == 0:
			b.WriteString(`\0`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(strings.ToUpper(string("0123456789abcdef"[r>>4]) + string("0123456789abcdef"[r&15])))
		case r == 0xfeff:
			b.WriteString(`\uFEFF`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	e.write(b.String())
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

func isEmptyCollection(v any) (string, bool) {
	switch x := v.(type) {
	case *Dict:
		if x.Len() == 0 {
			return "{}", true
		}
		return "", false
	case *List, *Tuple:
		items, _ := iterate(x)
		if len(items) == 0 {
			return "[]", true
		}
		return "", false
	}
	return "", false
}

func (e *yamlEmitter) endLine(indent int) {
	if e.col == -1 {
		e.col = 0
		e.write(strings.Repeat(" ", indent))
		return
	}
	e.newline(indent)
}

// node writes v; the cursor is at the place the value starts.
func (e *yamlEmitter) node(v any, indent int) error {
	v = demote(v)
	switch x := v.(type) {
	case *Namespace:
		return e.node(x.attrs, indent)
	case *Dict:
		if x.Len() == 0 {
			e.write("{}")
			return nil
		}
		for i, k := range x.keys {
			if i > 0 {
				e.endLine(indent)
			}
			if s, ok := k.(string); ok {
				e.writeString(s, indent, true)
			} else if t, ok := yamlScalarText(k); ok {
				e.write(t)
			} else {
				return typeError("to_yaml: unsupported key type %s", typeName(k))
			}
			e.write(":")
			val := x.vals[i]
			if flow, ok := isEmptyCollection(val); ok {
				e.write(" " + flow)
				continue
			}
			switch val.(type) {
			case *Dict, *Namespace:
				e.newline(indent + 2)
				if err := e.node(val, indent+2); err != nil {
					return err
				}
			case *List, *Tuple:
				e.newline(indent)
				if err := e.node(val, indent); err != nil {
					return err
				}
			default:
				e.write(" ")
				if err := e.node(val, indent+2); err != nil {
					return err
				}
			}
		}
		return nil
	case *List, *Tuple:
		items, _ := iterate(x)
		if len(items) == 0 {
			e.write("[]")
			return nil
		}
		for i, it := range items {
			if i > 0 {
				e.endLine(indent)
			}
			e.write("- ")
			if err := e.node(it, indent+2); err != nil {
				return err
			}
		}
		return nil
	case string:
		e.writeString(x, indent, false)
		return nil
	case *Undefined:
		if x.kind == undefStrict {
			return x.err()
		}
		e.write("null")
		return nil
	}
	if t, ok := yamlScalarText(v); ok {
		e.write(t)
		return nil
	}
	return typeError("to_yaml: cannot represent an object of type %s", typeName(v))
}

// toYAML serializes v like PyYAML's safe_dump(default_flow_style=False).
func toYAML(v any) (string, error) {
	v = demote(v)
	e := &yamlEmitter{}
	indent := 0
	if _, ok := v.(string); ok {
		indent = 2
	}
	if err := e.node(v, indent); err != nil {
		return "", err
	}
	if e.col != -1 {
		e.write("\n")
	}
	out := e.b.String()
	switch x := v.(type) {
	case *Dict, *List, *Tuple, *Namespace:
	case string:
		if a := analyzeScalar(x); !a.multiline && !strings.HasPrefix(out, "'") && !strings.HasPrefix(out, "\"") {
			out += "...\n"
		}
	default:
		out += "...\n"
	}
	return out, nil
}
