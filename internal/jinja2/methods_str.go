package jinja2

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

var strMethods = map[string]bool{
	"capitalize": true, "casefold": true, "center": true, "count": true, "endswith": true,
	"expandtabs": true, "find": true, "format": true, "format_map": true, "index": true,
	"isalnum": true, "isalpha": true, "isascii": true, "isdecimal": true, "isdigit": true,
	"isidentifier": true, "islower": true, "isnumeric": true, "isprintable": true,
	"isspace": true, "istitle": true, "isupper": true, "join": true, "ljust": true,
	"lower": true, "lstrip": true, "partition": true, "removeprefix": true,
	"removesuffix": true, "replace": true, "rfind": true, "rindex": true, "rjust": true,
	"rpartition": true, "rsplit": true, "rstrip": true, "split": true, "splitlines": true,
	"startswith": true, "strip": true, "swapcase": true, "title": true, "upper": true,
	"zfill": true,
}

func argStr(a *args, i int, name string) (string, bool, error) {
	v, ok := a.get(i, name)
	if !ok || v == nil {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", false, typeError("must be str, not %s", typeName(v))
	}
	return s, true, nil
}

func argInt(a *args, i int, name string, def int64) (int64, error) {
	v, ok := a.get(i, name)
	if !ok || v == nil {
		return def, nil
	}
	n, ok := intOf(v)
	if !ok {
		return 0, typeError("'%s' object cannot be interpreted as an integer", typeName(v))
	}
	return n, nil
}

func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func pyStrip(s string, a *args, left, right bool) (string, error) {
	chars, ok, err := argStr(a, 0, "chars")
	if err != nil {
		return "", err
	}
	f := pyIsSpace
	if ok {
		f = func(r rune) bool { return strings.ContainsRune(chars, r) }
	}
	if left {
		s = strings.TrimLeftFunc(s, f)
	}
	if right {
		s = strings.TrimRightFunc(s, f)
	}
	return s, nil
}

func pySplit(s string, sep string, hasSep bool, maxsplit int64) []any {
	var parts []string
	if !hasSep {
		fields := strings.FieldsFunc(s, pyIsSpace)
		if maxsplit >= 0 && int64(len(fields)) > maxsplit {
			parts = nil
			rest := strings.TrimLeftFunc(s, pyIsSpace)
			for i := int64(0); i < maxsplit; i++ {
				j := strings.IndexFunc(rest, pyIsSpace)
				parts = append(parts, rest[:j])
				rest = strings.TrimLeftFunc(rest[j:], pyIsSpace)
			}
			parts = append(parts, rest)
		} else {
			parts = fields
		}
	} else if maxsplit < 0 {
		parts = strings.Split(s, sep)
	} else {
		parts = strings.SplitN(s, sep, int(maxsplit)+1)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

func pyRSplit(s string, sep string, hasSep bool, maxsplit int64) []any {
	if maxsplit < 0 {
		return pySplit(s, sep, hasSep, maxsplit)
	}
	var parts []string
	rest := s
	if !hasSep {
		rest = strings.TrimRightFunc(rest, pyIsSpace)
		for i := int64(0); i < maxsplit && rest != ""; i++ {
			j := strings.LastIndexFunc(rest, pyIsSpace)
			if j < 0 {
				break
			}
			_, n := utf8.DecodeRuneInString(rest[j:])
			parts = append([]string{rest[j+n:]}, parts...)
			rest = strings.TrimRightFunc(rest[:j], pyIsSpace)
		}
		if rest != "" {
			parts = append([]string{rest}, parts...)
		}
	} else {
		for i := int64(0); i < maxsplit; i++ {
			j := strings.LastIndex(rest, sep)
			if j < 0 {
				break
			}
			parts = append([]string{rest[j+len(sep):]}, parts...)
			rest = rest[:j]
		}
		parts = append([]string{rest}, parts...)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToTitle(r)) + strings.ToLower(s[n:])
}

// pyTitle is Python's str.title().
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if prevCased {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToTitle(r))
			}
			prevCased = true
		} else {
			b.WriteRune(r)
			prevCased = false
		}
	}
	return b.String()
}

func pyCenter(s string, width int, fill string, mode byte) string {
	n := utf8.RuneCountInString(s)
	if width <= n {
		return s
	}
	marg := width - n
	var left int
	switch mode {
	case 'l':
		left = 0
	case 'r':
		left = marg
	default:
		left = marg/2 + (marg & width & 1)
	}
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, marg-left)
}

func strMethod(s, name string, a *args) (any, error) {
	switch name {
	case "upper":
		return strings.ToUpper(s), nil
	case "lower", "casefold":
		return strings.ToLower(s), nil
	case "capitalize":
		return pyCapitalize(s), nil
	case "title":
		return pyTitle(s), nil
	case "swapcase":
		return strings.Map(func(r rune) rune {
			if unicode.IsUpper(r) {
				return unicode.ToLower(r)
			}
			return unicode.ToUpper(r)
		}, s), nil
	case "strip":
		return pyStrip(s, a, true, true)
	case "lstrip":
		return pyStrip(s, a, true, false)
	case "rstrip":
		return pyStrip(s, a, false, true)
	case "split", "rsplit":
		sep, has, err := argStr(a, 0, "sep")
		if err != nil {
			return nil, err
		}
		if has && sep == "" {
			return nil, valueError("empty separator")
		}
		maxsplit, err := argInt(a, 1, "maxsplit", -1)
		if err != nil {
			return nil, err
		}
		if name == "rsplit" {
			return &List{Items: pyRSplit(s, sep, has, maxsplit)}, nil
		}
		return &List{Items: pySplit(s, sep, has, maxsplit)}, nil
	case "splitlines":
		keep, _ := a.get(0, "keepends")
		k, _ := truthy(keep)
		var out []any
		for s != "" {
			i := strings.IndexAny(s, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029")
			if i < 0 {
				out = append(out, s)
				break
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
			if k {
				out = append(out, s[:i+n])
			} else {
				out = append(out, s[:i])
			}
			s = s[i+n:]
		}
		return &List{Items: out}, nil
	case "startswith":
		return startsEnds(s, a, false)
	case "endswith":
		return startsEnds(s, a, true)
	case "replace":
		old, _, err := argStr(a, 0, "old")
		if err != nil {
			return nil, err
		}
		nw, _, err := argStr(a, 1, "new")
		if err != nil {
			return nil, err
		}
		count, err := argInt(a, 2, "count", -1)
		if err != nil {
			return nil, err
		}
		return strings.Replace(s, old, nw, int(count)), nil
	case "find", "index", "rfind", "rindex", "count":
		sub, _, err := argStr(a, 0, "sub")
		if err != nil {
			return nil, err
		}
		base := 0
		start, _ := a.get(1, "start")
		end, _ := a.get(2, "end")
		if start != nil || end != nil {
			runes := []rune(s)
			idx, err := sliceBounds(len(runes), start, end, nil)
			if err != nil {
				return nil, err
			}
			if len(idx) > 0 {
				base = idx[0]
				s = string(runes[idx[0] : idx[len(idx)-1]+1])
			} else {
				s = ""
			}
		}
		var i int64
		switch name {
		case "count":
			if sub == "" {
				return int64(utf8.RuneCountInString(s) + 1), nil
			}
			return int64(strings.Count(s, sub)), nil
		case "find", "index":
			i = runeIndex(s, strings.Index(s, sub))
		default:
			i = runeIndex(s, strings.LastIndex(s, sub))
		}
		if i < 0 {
			if name == "index" || name == "rindex" {
				return nil, valueError("substring not found")
			}
			return int64(-1), nil
		}
		return i + int64(base), nil
	case "join":
		v, _ := a.get(0, "iterable")
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(items))
		for i, it := range items {
			str, ok := it.(string)
			if !ok {
				return nil, typeError("sequence item %d: expected str instance, %s found", i, typeName(it))
			}
			parts[i] = str
		}
		return strings.Join(parts, s), nil
	case "center", "ljust", "rjust":
		w, err := argInt(a, 0, "width", 0)
		if err != nil {
			return nil, err
		}
		fill, ok, err := argStr(a, 1, "fillchar")
		if err != nil {
			return nil, err
		}
		if !ok {
			fill = " "
		}
		return pyCenter(s, int(w), fill, map[string]byte{"center": 'c', "ljust": 'l', "rjust": 'r'}[name]), nil
	case "zfill":
		w, err := argInt(a, 0, "width", 0)
		if err != nil {
			return nil, err
		}
		n := utf8.RuneCountInString(s)
		if int(w) <= n {
			return s, nil
		}
		sign := ""
		if s != "" && (s[0] == '-' || s[0] == '+') {
			sign, s = s[:1], s[1:]
		}
		return sign + strings.Repeat("0", int(w)-n) + s, nil
	case "expandtabs":
		ts, err := argInt(a, 0, "tabsize", 8)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		col := 0
		for _, r := range s {
			switch r {
			case '\t':
				if ts > 0 {
					sp := int(ts) - col%int(ts)
					b.WriteString(strings.Repeat(" ", sp))
					col += sp
				}
			case '\n', '\r':
				b.WriteRune(r)
				col = 0
			default:
				b.WriteRune(r)
				col++
			}
		}
		return b.String(), nil
	case "partition", "rpartition":
		sep, _, err := argStr(a, 0, "sep")
		if err != nil {
			return nil, err
		}
		if sep == "" {
			return nil, valueError("empty separator")
		}
		var i int
		if name == "partition" {
			i = strings.Index(s, sep)
		} else {
			i = strings.LastIndex(s, sep)
		}
		if i < 0 {
			if name == "partition" {
				return &Tuple{Items: []any{s, "", ""}}, nil
			}
			return &Tuple{Items: []any{"", "", s}}, nil
		}
		return &Tuple{Items: []any{s[:i], sep, s[i+len(sep):]}}, nil
	case "removeprefix":
		p, _, err := argStr(a, 0, "prefix")
		return strings.TrimPrefix(s, p), err
	case "removesuffix":
		p, _, err := argStr(a, 0, "suffix")
		return strings.TrimSuffix(s, p), err
	case "format":
		return strFormat(s, a)
	case "format_map":
		v, _ := a.get(0, "mapping")
		d, ok := v.(*Dict)
		if !ok {
			return nil, typeError("format_map() argument must be a mapping")
		}
		fa := &args{}
		for i, k := range d.keys {
			if ks, ok := k.(string); ok {
				fa.kw = append(fa.kw, kwVal{ks, d.vals[i]})
			}
		}
		return strFormat(s, fa)
	}
	return strPredicate(s, name)
}
