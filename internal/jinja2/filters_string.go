package jinja2

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode/utf8"
)

// filterFunc implements a filter: v is the input, a the call arguments.
type filterFunc func(r *renderer, f *frame, v any, a *args) (any, error)

func strFilter(fn func(string) string) filterFunc {
	return func(r *renderer, f *frame, v any, a *args) (any, error) {
		s, err := strValue(v)
		if err != nil {
			return nil, err
		}
		return fn(s), nil
	}
}

var wordBeginningSplit = regexp.MustCompile(`([-\s({\[<]+)`)

// jinjaTitle is the title filter: upper-case the first letter after
// whitespace, dashes and opening brackets.
func jinjaTitle(s string) string {
	var b strings.Builder
	last := 0
	write := func(item string) {
		if item == "" {
			return
		}
		r, n := utf8.DecodeRuneInString(item)
		b.WriteString(strings.ToUpper(string(r)))
		b.WriteString(strings.ToLower(item[n:]))
	}
	for _, m := range wordBeginningSplit.FindAllStringIndex(s, -1) {
		write(s[last:m[0]])
		write(s[m[0]:m[1]])
		last = m[1]
	}
	write(s[last:])
	return b.String()
}

func htmlEscape(s string) string {
	if !strings.ContainsAny(s, "&<>\"'") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func filterIndent(r *renderer, f *frame, v any, a *args) (any, error) {
	s, ok := v.(string)
	if !ok {
		if u, isU := v.(*Undefined); isU {
			if u.kind == undefLenient {
				return "", nil
			}
			return nil, u.err()
		}
		return nil, typeError("unsupported operand type(s) for +=: '%s' and 'str'", typeName(v))
	}
	indention := "    "
	if w, ok := a.get(0, "width"); ok {
		switch x := w.(type) {
		case string:
			indention = x
		default:
			n, ok := intOf(x)
			if !ok {
				return nil, typeError("can't multiply sequence by non-int of type '%s'", typeName(x))
			}
			indention = strings.Repeat(" ", int(max(n, 0)))
		}
	}
	first, _ := a.get(1, "first")
	blank, _ := a.get(2, "blank")
	fb, _ := truthy(first)
	bb, _ := truthy(blank)
	lv, _ := strMethod(s+"\n", "splitlines", &args{})
	var lines []string
	for _, l := range lv.(*List).Items {
		lines = append(lines, l.(string))
	}
	var rv string
	if bb {
		rv = strings.Join(lines, "\n"+indention)
	} else {
		rv = lines[0]
		if len(lines) > 1 {
			parts := make([]string, 0, len(lines)-1)
			for _, l := range lines[1:] {
				if l != "" {
					l = indention + l
				}
				parts = append(parts, l)
			}
			rv += "\n" + strings.Join(parts, "\n")
		}
	}
	if fb {
		rv = indention + rv
	}
	return rv, nil
}

func filterReplace(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	oldV, _ := a.get(0, "old")
	newV, _ := a.get(1, "new")
	old, err := strValue(oldV)
	if err != nil {
		return nil, err
	}
	nw, err := strValue(newV)
	if err != nil {
		return nil, err
	}
	count := int64(-1)
	if c, ok := a.get(2, "count"); ok && c != nil {
		count, _ = intOf(c)
	}
	return strings.Replace(s, old, nw, int(count)), nil
}

func filterTrim(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return pyStrip(s, a, true, true)
}

var (
	stripCommentsRe = regexp.MustCompile(`(?s)<!--.*?-->`)
	stripTagsRe     = regexp.MustCompile(`(?s)<.*?>`)
)

func filterStriptags(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	s = stripCommentsRe.ReplaceAllString(s, "")
	s = stripTagsRe.ReplaceAllString(s, "")
	s = strings.Join(strings.FieldsFunc(s, pyIsSpace), " ")
	return html.UnescapeString(s), nil
}

func filterTruncate(r *renderer, f *frame, v any, a *args) (any, error) {
	if _, isStr := v.(string); !isStr {
		n, err := length(v)
		if err != nil {
			return nil, err
		}
		leeway, _ := argInt(a, 3, "leeway", 5)
		length, _ := argInt(a, 0, "length", 255)
		if int64(n) <= length+leeway {
			return v, nil
		}
	}
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	length, err := argInt(a, 0, "length", 255)
	if err != nil {
		return nil, err
	}
	kill, _ := a.get(1, "killwords")
	killwords, _ := truthy(kill)
	end := "..."
	if e, ok := a.get(2, "end"); ok {
		end = pyStr(e)
	}
	leeway, err := argInt(a, 3, "leeway", 5)
	if err != nil {
		return nil, err
	}
	if length < int64(utf8.RuneCountInString(end)) {
		return nil, newRuntimeError("AssertionError", fmt.Sprintf("expected length >= %d, got %d", utf8.RuneCountInString(end), length))
	}
	runes := []rune(s)
	if int64(len(runes)) <= length+leeway {
		return s, nil
	}
	cut := string(runes[:length-int64(utf8.RuneCountInString(end))])
	if killwords {
		return cut + end, nil
	}
	if i := strings.LastIndex(cut, " "); i >= 0 {
		cut = cut[:i]
	}
	return cut + end, nil
}

var wordRe = regexp.MustCompile(`[\p{L}\p{N}_]+`)

func filterWordcount(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return int64(len(wordRe.FindAllString(s, -1))), nil
}

func filterWordwrap(r *renderer, f *frame, v any, a *args) (any, error) {
	s, ok := v.(string)
	if !ok {
		if u, isU := v.(*Undefined); isU && u.kind == undefStrict {
			return nil, u.err()
		}
		return nil, newRuntimeError("AttributeError", fmt.Sprintf("'%s' object has no attribute 'splitlines'", typeName(v)))
	}
	width, err := argInt(a, 0, "width", 79)
	if err != nil {
		return nil, err
	}
	bl, ok := a.get(1, "break_long_words")
	breakLong := true
	if ok {
		breakLong, _ = truthy(bl)
	}
	wrap := "\n"
	if ws, ok := a.get(2, "wrapstring"); ok && ws != nil {
		wrap = pyStr(ws)
	}
	lv, _ := strMethod(s, "splitlines", &args{})
	var out []string
	for _, l := range lv.(*List).Items {
		out = append(out, strings.Join(twWrap(l.(string), int(width), breakLong), wrap))
	}
	return strings.Join(out, wrap), nil
}

func urlQuote(s string, forQS bool) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-', c == '~':
			b.WriteByte(c)
		case c == '/' && !forQS:
			b.WriteByte(c)
		case c == ' ' && forQS:
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func filterUrlencode(r *renderer, f *frame, v any, a *args) (any, error) {
	switch x := v.(type) {
	case string:
		return urlQuote(x, false), nil
	case *Dict:
		var parts []string
		for i, k := range x.keys {
			parts = append(parts, urlQuote(pyStr(k), true)+"="+urlQuote(pyStr(x.vals[i]), true))
		}
		return strings.Join(parts, "&"), nil
	case *List, *Tuple:
		items, _ := iterate(x)
		var parts []string
		for _, it := range items {
			pair, err := iterate(it)
			if err != nil || len(pair) != 2 {
				return nil, valueError("too many values to unpack")
			}
			parts = append(parts, urlQuote(pyStr(pair[0]), true)+"="+urlQuote(pyStr(pair[1]), true))
		}
		return strings.Join(parts, "&"), nil
	}
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return urlQuote(s, false), nil
}

var urlizeWordSplit = regexp.MustCompile(`(\s+)`)

func filterUrlize(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	parts := urlizeWordSplit.Split(s, -1)
	seps := urlizeWordSplit.FindAllString(s, -1)
	var b strings.Builder
	for i, word := range parts {
		head, middle, tail := "", word, ""
		for len(middle) > 0 && strings.ContainsAny(middle[:1], "(<&") {
			head += middle[:1]
			middle = middle[1:]
		}
		for len(middle) > 0 && strings.ContainsAny(middle[len(middle)-1:], ".,)>\n!:;'\"") {
			tail = middle[len(middle)-1:] + tail
			middle = middle[:len(middle)-1]
		}
		switch {
		case strings.HasPrefix(middle, "http://") || strings.HasPrefix(middle, "https://"):
			middle = fmt.Sprintf(`<a href="%s" rel="noopener">%s</a>`, middle, middle)
		case strings.HasPrefix(middle, "www."):
			middle = fmt.Sprintf(`<a href="https://%s" rel="noopener">%s</a>`, middle, middle)
		case strings.Contains(middle, "@") && !strings.Contains(middle, ":") && strings.Contains(middle[strings.Index(middle, "@"):], "."):
			middle = fmt.Sprintf(`<a href="mailto:%s">%s</a>`, middle, middle)
		}
		b.WriteString(head + middle + tail)
		if i < len(seps) {
			b.WriteString(seps[i])
		}
	}
	return b.String(), nil
}

func filterCenter(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	w, err := argInt(a, 0, "width", 80)
	if err != nil {
		return nil, err
	}
	return pyCenter(s, int(w), " ", 'c'), nil
}

func filterFormat(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	if len(a.pos) > 0 && len(a.kw) > 0 {
		return nil, newRuntimeError(KindRuntime, "can't handle positional and keyword arguments at the same time")
	}
	if len(a.kw) > 0 {
		d := &Dict{}
		for _, k := range a.kw {
			d.SetStr(k.name, k.val)
		}
		return percentFormat(s, d)
	}
	return percentFormat(s, &Tuple{Items: a.pos})
}
