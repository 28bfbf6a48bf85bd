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
	if indent > 2*maxNestingDepth {
		return valueError("to_yaml: data nested too deeply (circular reference?)")
	}
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
			k = demote(k)
			if s, ok := k.(string); ok && !yamlSimpleKey(s) {
				if err := e.complexEntry(s, x.vals[i], indent); err != nil {
					return err
				}
				continue
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

// yamlSimpleKey reports whether PyYAML writes s as a simple "key:" rather
// than a complex "? key" entry.
func yamlSimpleKey(s string) bool {
	return s != "" && utf8.RuneCountInString(s) < 128 && !analyzeScalar(s).multiline
}

// complexEntry writes a mapping entry with a complex key:
//
//	? key
//	: value
func (e *yamlEmitter) complexEntry(key string, val any, indent int) error {
	e.write("? ")
	e.writeString(key, indent+2, false)
	if e.col == -1 {
		e.col = 0
		e.write(strings.Repeat(" ", indent))
	} else {
		e.newline(indent)
	}
	e.write(": ")
	if flow, ok := isEmptyCollection(demote(val)); ok {
		e.write(flow)
		return nil
	}
	return e.node(val, indent+2)
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
