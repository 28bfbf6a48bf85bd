package jinja2

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

func filterAbs(r *renderer, f *frame, v any, a *args) (any, error) {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return r.binOp("-", int64(0), x)
		}
		return x, nil
	case float64:
		return math.Abs(x), nil
	case bool:
		n, _ := intOf(x)
		return n, nil
	case *big.Int:
		return normBig(new(big.Int).Abs(x)), nil
	case *Undefined:
		return nil, x.err()
	}
	return nil, typeError("bad operand type for abs(): '%s'", typeName(v))
}

// pyParseInt is Python's int(str, base).
func pyParseInt(s string, base int64) (any, bool) {
	s = strings.TrimFunc(s, pyIsSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	low := strings.ToLower(s)
	prefix := func(p string, b int64) bool {
		if strings.HasPrefix(low, p) && (base == b || base == 0) {
			s = s[2:]
			base = b
			return true
		}
		return false
	}
	if !prefix("0x", 16) && !prefix("0o", 8) && !prefix("0b", 2) && base == 0 {
		base = 10
		if len(s) > 1 && s[0] == '0' && strings.Trim(s, "0_") != "" {
			return nil, false
		}
	}
	s = strings.TrimPrefix(s, "_")
	if s == "" || strings.Contains(s, "__") || strings.HasSuffix(s, "_") {
		return nil, false
	}
	s = strings.ReplaceAll(s, "_", "")
	if base < 2 || base > 36 {
		return nil, false
	}
	b, ok := new(big.Int).SetString(s, int(base))
	if !ok {
		return nil, false
	}
	if neg {
		b.Neg(b)
	}
	return normBig(b), true
}

// pyParseFloat is Python's float(str).
func pyParseFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, pyIsSpace)
	low := strings.ToLower(strings.TrimLeft(s, "+-"))
	switch low {
	case "inf", "infinity", "nan":
		f, _ := strconv.ParseFloat(strings.Replace(strings.ToLower(s), "infinity", "inf", 1), 64)
		return f, true
	}
	if strings.Contains(s, "__") || strings.HasPrefix(low, "_") || strings.HasSuffix(s, "_") || strings.Contains(low, "x") || strings.Contains(low, "p") {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return f, true
}

func filterInt(r *renderer, f *frame, v any, a *args) (any, error) {
	def, ok := a.get(0, "default")
	if !ok {
		def = int64(0)
	}
	base, err := argInt(a, 1, "base", 10)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case string:
		if n, ok := pyParseInt(x, base); ok {
			return n, nil
		}
		if fl, ok := pyParseFloat(x); ok && !math.IsInf(fl, 0) && !math.IsNaN(fl) {
			return floatToInt(fl), nil
		}
		return def, nil
	case int64, *big.Int:
		return x, nil
	case bool:
		n, _ := intOf(x)
		return n, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return def, nil
		}
		return floatToInt(x), nil
	case *Undefined:
		if x.kind == undefStrict {
			return nil, x.err()
		}
		return def, nil
	}
	return def, nil
}

func floatToInt(f float64) any {
	f = math.Trunc(f)
	if f >= -9.2e18 && f <= 9.2e18 {
		return int64(f)
	}
	b, _ := new(big.Float).SetFloat64(f).Int(nil)
	return normBig(b)
}

func filterFloat(r *renderer, f *frame, v any, a *args) (any, error) {
	def, ok := a.get(0, "default")
	if !ok {
		def = 0.0
	}
	switch x := v.(type) {
	case string:
		if fl, ok := pyParseFloat(x); ok {
			return fl, nil
		}
		return def, nil
	case *Undefined:
		if x.kind == undefStrict {
			return nil, x.err()
		}
		return def, nil
	}
	if fl, ok := toFloat(v); ok {
		return fl, nil
	}
	return def, nil
}

// pyRound is Python's round(x, ndigits) for floats.
func pyRound(x float64, nd int64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	if nd > 300 {
		return x
	}
	if nd >= 0 {
		s := strconv.FormatFloat(x, 'f', int(nd), 64)
		v, _ := strconv.ParseFloat(s, 64)
		return v
	}
	p := math.Pow(10, float64(-nd))
	y := x / p
	z := math.RoundToEven(y)
	return z * p
}

func filterRound(r *renderer, f *frame, v any, a *args) (any, error) {
	prec, err := argInt(a, 0, "precision", 0)
	if err != nil {
		return nil, err
	}
	method := "common"
	if m, ok := a.get(1, "method"); ok {
		method = pyStr(m)
	}
	if u, ok := v.(*Undefined); ok {
		return nil, u.err()
	}
	switch method {
	case "common":
		if isIntLike(v) {
			n, _ := intOf(v)
			if prec >= 0 {
				return n, nil
			}
			p := int64(math.Pow(10, float64(-prec)))
			q, _, _ := smallIntOp("//", n, p)
			rem := n - q.(int64)*p
			qi := q.(int64)
			if rem*2 > p || (rem*2 == p && qi%2 != 0) {
				qi++
			}
			return qi * p, nil
		}
		x, ok := toFloat(v)
		if !ok {
			return nil, typeError("type %s doesn't define __round__ method", typeName(v))
		}
		return pyRound(x, prec), nil
	case "ceil", "floor":
		x, ok := toFloat(v)
		if !ok {
			return nil, typeError("must be real number, not %s", typeName(v))
		}
		p := math.Pow(10, float64(prec))
		if method == "ceil" {
			return math.Ceil(x*p) / p, nil
		}
		return math.Floor(x*p) / p, nil
	}
	return nil, newRuntimeError("FilterArgumentError", "method must be common, ceil or floor")
}

func filterFilesizeformat(r *renderer, f *frame, v any, a *args) (any, error) {
	var bytes float64
	switch x := v.(type) {
	case string:
		fl, ok := pyParseFloat(x)
		if !ok {
			return nil, valueError("could not convert string to float: %s", pyRepr(x))
		}
		bytes = fl
	default:
		fl, ok := toFloat(v)
		if !ok {
			return nil, typeError("float() argument must be a string or a real number, not '%s'", typeName(v))
		}
		bytes = fl
	}
	binary := boolArg(a, 0, "binary")
	base := 1000.0
	prefixes := []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if binary {
		base = 1024
		prefixes = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	if bytes == 1 {
		return "1 Byte", nil
	}
	if bytes < base {
		return fmt.Sprintf("%d Bytes", floatToInt(bytes)), nil
	}
	var unit float64
	var prefix string
	for i, p := range prefixes {
		unit = math.Pow(base, float64(i+2))
		prefix = p
		if bytes < unit {
			break
		}
	}
	return fmt.Sprintf("%s %s", strconv.FormatFloat(base*bytes/unit, 'f', 1, 64), prefix), nil
}

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
		if x.kind == undefStrict {
			return x.err()
		}
		return typeError("Object of type %s is not JSON serializable", typeName(v))
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
	return b.String(), nil
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
func sortedRepr(v any) string {
	switch x := v.(type) {
	case *Dict:
		keys := x.Keys()
		sort.SliceStable(keys, func(i, j int) bool { return safeLess(keys[i], keys[j]) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			val, _ := x.Get(k)
			parts[i] = pyRepr(k) + ": " + sortedRepr(val)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *List:
		parts := make([]string, len(x.Items))
		for i, it := range x.Items {
			parts[i] = sortedRepr(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return pyRepr(v)
}

func filterPprint(r *renderer, f *frame, v any, a *args) (any, error) {
	var b strings.Builder
	pprintFormat(&b, v, 0, 0)
	return b.String(), nil
}

// pprintFormat follows Python's pprint.PrettyPrinter (width 80, indent 1,
// sorted dicts).
func pprintFormat(b *strings.Builder, v any, indent, allowance int) {
	rep := sortedRepr(v)
	if utf8.RuneCountInString(rep) <= 80-indent-allowance {
		b.WriteString(rep)
		return
	}
	switch x := v.(type) {
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
			pprintFormat(b, val, ind+utf8.RuneCountInString(kr)+2, al)
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
			pprintFormat(b, it, ind, al)
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

func filterString(r *renderer, f *frame, v any, a *args) (any, error) {
	return strValue(v)
}

func filterSafe(r *renderer, f *frame, v any, a *args) (any, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return strValue(v)
}

func builtinFilters() map[string]filterFunc {
	m := map[string]filterFunc{
		"abs":            filterAbs,
		"attr":           filterAttr,
		"batch":          lazyFilter("do_batch", filterBatch),
		"capitalize":     strFilter(pyCapitalize),
		"center":         filterCenter,
		"count":          filterLength,
		"d":              filterDefault,
		"default":        filterDefault,
		"dictsort":       filterDictsort,
		"e":              filterEscape,
		"escape":         filterEscape,
		"filesizeformat": filterFilesizeformat,
		"first":          filterFirst,
		"float":          filterFloat,
		"forceescape":    filterEscape,
		"format":         filterFormat,
		"groupby":        filterGroupby,
		"indent":         filterIndent,
		"int":            filterInt,
		"items":          lazyFilter("do_items", filterItems),
		"join":           filterJoin,
		"last":           filterLast,
		"length":         filterLength,
		"list":           filterList,
		"lower":          strFilter(strings.ToLower),
		"map":            lazyFilter("sync_do_map", filterMap),
		"max":            minMax(true),
		"min":            minMax(false),
		"pprint":         filterPprint,
		"random":         filterFirst,
		"reject":         lazyFilter("select_or_reject", selectReject(false, false)),
		"rejectattr":     lazyFilter("select_or_reject", selectReject(true, false)),
		"replace":        filterReplace,
		"reverse":        filterReverse,
		"round":          filterRound,
		"safe":           filterSafe,
		"select":         lazyFilter("select_or_reject", selectReject(false, true)),
		"selectattr":     lazyFilter("select_or_reject", selectReject(true, true)),
		"slice":          lazyFilter("sync_do_slice", filterSlice),
		"sort":           filterSort,
		"string":         filterString,
		"striptags":      filterStriptags,
		"sum":            filterSum,
		"title":          strFilter(jinjaTitle),
		"tojson":         filterTojson,
		"trim":           filterTrim,
		"truncate":       filterTruncate,
		"unique":         lazyFilter("do_unique", filterUnique),
		"upper":          strFilter(strings.ToUpper),
		"urlencode":      filterUrlencode,
		"urlize":         filterUrlize,
		"wordcount":      filterWordcount,
		"wordwrap":       filterWordwrap,
		"xmlattr":        filterXmlattr,
	}
	for k, v := range kluctlFilters() {
		m[k] = v
	}
	return m
}
