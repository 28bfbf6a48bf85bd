package jinja2

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonOptions configures writeJSON.
type jsonOptions struct {
	sortKeys bool
	indent   string
	hasInd   bool
	htmlSafe bool
}

func writeJSONString(b *strings.Builder, s string, htmlSafe bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case htmlSafe && (r == '<' || r == '>' || r == '&' || r == '\''):
			fmt.Fprintf(b, `\u%04x`, r)
		case r < 0x20 || r >= 0x7f:
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

func jsonKey(k any) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case nil:
		return "null", nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case int64, *big.Int:
		return pyStr(x), nil
	case float64:
		return jsonFloat(x), nil
	}
	return "", typeError("keys must be str, int, float, bool or None, not %s", typeName(k))
}

func jsonFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	return floatRepr(f)
}

// writeJSON encodes v like Python's json.dumps.
func writeJSON(b *strings.Builder, v any, o *jsonOptions, level int) error {
	v = demote(v)
	if level > maxNestingDepth {
		return valueError("Circular reference detected")
	}
	nl := func(l int) {
		if o.hasInd {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(o.indent, l))
		}
	}
	itemSep := ", "
	if o.hasInd {
		itemSep = ","
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64, *big.Int:
		b.WriteString(pyStr(x))
	case float64:
		b.WriteString(jsonFloat(x))
	case string:
		writeJSONString(b, x, o.htmlSafe)
	case *List, *Tuple:
		if l, ok := x.(*List); ok && l.view != "" {
			return typeError("Object of type %s is not JSON serializable", l.view)
		}
		items, _ := iterate(x)
		if len(items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(itemSep)
			}
			nl(level + 1)
			if err := writeJSON(b, it, o, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteByte(']')
	case *Dict:
		if x.Len() == 0 {
			b.WriteString("{}")
			return nil
		}
		type kv struct {
			k    string
			orig any
			v    any
		}
		items := make([]kv, 0, x.Len())
		for i, k := range x.keys {
			ks, err := jsonKey(k)
			if err != nil {
				return err
			}
			items = append(items, kv{ks, k, x.vals[i]})
		}
		if o.sortKeys {
			var sortErr error
			sort.SliceStable(items, func(i, j int) bool {
				c, err := compareValues("<", items[i].orig, items[j].orig)
				if err != nil && sortErr == nil {
					sortErr = err
				}
				return c < 0
			})
			if sortErr != nil {
				return sortErr
			}
		}
		b.WriteByte('{')
		for i, it := range items {
			if i > 0 {
				b.WriteString(itemSep)
			}
			nl(level + 1)
			writeJSONString(b, it.k, o.htmlSafe)
			b.WriteString(": ")
			if err := writeJSON(b, it.v, o, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteByte('}')
	case *Namespace:
		return writeJSON(b, x.attrs, o, level)
	case *Undefined:
		return typeError("Object of type %s is not JSON serializable", undefClassName(x))
	default:
		return typeError("Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

func filterTojson(r *renderer, f *frame, v any, a *args) (any, error) {
	o := &jsonOptions{sortKeys: true, htmlSafe: true}
	if ind, ok := a.get(0, "indent"); ok && ind != nil {
		o.hasInd = true
		if n, ok := intOf(ind); ok {
			o.indent = strings.Repeat(" ", int(n))
		} else {
			o.indent = pyStr(ind)
		}
	}
	var b strings.Builder
	if err := writeJSON(&b, v, o, 0); err != nil {
		return nil, err
	}
	return Markup(b.String()), nil
}

// safeLess orders values like pprint's _safe_key: naturally when they
// compare, else by type name.
func safeLess(a, b any) bool {
	c, err := compareValues("<", a, b)
	if err != nil {
		return "<class '"+typeName(a)+"'>" < "<class '"+typeName(b)+"'>"
	}
	return c < 0
}

// sortedRepr is repr() with dict keys sorted, as pprint prints.
func sortedRepr(v any) string { return sortedReprDepth(v, 0) }

func sortedReprDepth(v any, depth int) string {
	if depth > maxNestingDepth {
		return "..."
	}
	switch x := v.(type) {
	case *Dict:
		keys := x.Keys()
		sort.SliceStable(keys, func(i, j int) bool { return safeLess(keys[i], keys[j]) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			val, _ := x.Get(k)
			parts[i] = pyRepr(k) + ": " + sortedReprDepth(val, depth+1)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *List:
		parts := make([]string, len(x.Items))
		for i, it := range x.Items {
			parts[i] = sortedReprDepth(it, depth+1)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return pyRepr(v)
}

func filterPprint(r *renderer, f *frame, v any, a *args) (any, error) {
	var b strings.Builder
	pprintFormat(&b, v, 0, 0, 0)
	return b.String(), nil
}

// pprintFormat follows Python's pprint.PrettyPrinter (width 80, indent 1,
// sorted dicts).
func pprintFormat(b *strings.Builder, v any, indent, allowance, level int) {
	rep := sortedRepr(v)
	if indent > 2*maxNestingDepth {
		b.WriteString(rep)
		return
	}
	if utf8.RuneCountInString(rep) <= 80-indent-allowance {
		b.WriteString(rep)
		return
	}
	switch x := v.(type) {
	case string:
		pprintStr(b, x, indent, allowance, level+1)
	case *Dict:
		b.WriteByte('{')
		keys := x.Keys()
		sort.SliceStable(keys, func(i, j int) bool { return safeLess(keys[i], keys[j]) })
		ind := indent + 1
		for i, k := range keys {
			last := i == len(keys)-1
			kr := sortedRepr(k)
			b.WriteString(kr)
			b.WriteString(": ")
			val, _ := x.Get(k)
			al := 1
			if last {
				al = allowance + 1
			}
			pprintFormat(b, val, ind+utf8.RuneCountInString(kr)+2, al, level+1)
			if !last {
				b.WriteString(",\n" + strings.Repeat(" ", ind))
			}
		}
		b.WriteByte('}')
	case *List, *Tuple:
		items, _ := iterate(x)
		open, end := "[", "]"
		if _, ok := x.(*Tuple); ok {
			open, end = "(", ")"
			if len(items) == 1 {
				end = ",)"
			}
		}
		b.WriteString(open)
		ind := indent + 1
		for i, it := range items {
			last := i == len(items)-1
			al := 1
			if last {
				al = allowance + len(end)
			}
			if i > 0 {
				b.WriteString(",\n" + strings.Repeat(" ", ind))
			}
			pprintFormat(b, it, ind, al, level+1)
		}
		b.WriteString(end)
	default:
		b.WriteString(rep)
	}
}

func filterXmlattr(r *renderer, f *frame, v any, a *args) (any, error) {
	d, ok := v.(*Dict)
	if !ok {
		return nil, typeError("xmlattr requires a mapping")
	}
	var items []string
	for i, k := range d.keys {
		val := d.vals[i]
		if _, undef := val.(*Undefined); undef || val == nil {
			continue
		}
		ks := pyStr(k)
		if strings.ContainsAny(ks, " /\t\n\f>=") {
			return nil, valueError("Invalid character in attribute name: %s", pyRepr(ks))
		}
		items = append(items, fmt.Sprintf(`%s="%s"`, htmlEscape(ks), htmlEscape(pyStr(val))))
	}
	rv := strings.Join(items, " ")
	autospace := true
	if as, ok := a.get(0, "autospace"); ok {
		autospace, _ = truthy(as)
	}
	if autospace && rv != "" {
		rv = " " + rv
	}
	return rv, nil
}

var pprintPartRe = regexp.MustCompile(`\S*\s*`)

// pprintStr is PrettyPrinter._pprint_str: a long string is split into
// adjacent literals at line ends and spaces.
func pprintStr(b *strings.Builder, s string, indent, allowance, level int) {
	if s == "" {
		b.WriteString(pyRepr(s))
		return
	}
	var lines []string
	for rest := s; rest != ""; {
		i := strings.IndexAny(rest, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029")
		if i < 0 {
			lines = append(lines, rest)
			break
		}
		_, n := utf8.DecodeRuneInString(rest[i:])
		if rest[i] == '\r' && i+1 < len(rest) && rest[i+1] == '\n' {
			n = 2
		}
		lines = append(lines, rest[:i+n])
		rest = rest[i+n:]
	}
	if level == 1 {
		indent++
		allowance++
	}
	maxWidth1, maxWidth := 80-indent, 80-indent
	var chunks []string
	rep := ""
	for i, line := range lines {
		rep = pyRepr(line)
		if i == len(lines)-1 {
			maxWidth1 -= allowance
		}
		if utf8.RuneCountInString(rep) <= maxWidth1 {
			chunks = append(chunks, rep)
			continue
		}
		parts := pprintPartRe.FindAllString(line, -1)
		maxWidth2 := maxWidth
		current := ""
		for j, part := range parts {
			candidate := current + part
			if j == len(parts)-1 && i == len(lines)-1 {
				maxWidth2 -= allowance
			}
			if utf8.RuneCountInString(pyRepr(candidate)) > maxWidth2 {
				if current != "" {
					chunks = append(chunks, pyRepr(current))
				}
				current = part
			} else {
				current = candidate
			}
		}
		if current != "" {
			chunks = append(chunks, pyRepr(current))
		}
	}
	if len(chunks) == 1 {
		b.WriteString(rep)
		return
	}
	if level == 1 {
		b.WriteByte('(')
	}
	for i, c := range chunks {
		if i > 0 {
			b.WriteString("\n" + strings.Repeat(" ", indent))
		}
		b.WriteString(c)
	}
	if level == 1 {
		b.WriteByte(')')
	}
}
