package diff

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// pathSegment is one step of a parsed field path: a map key, a list index or
// a wildcard matching every key or index.
type pathSegment struct {
	key      string
	index    int
	isIndex  bool
	wildcard bool
}

// parsePath parses the JSON path subset used by ignore-diff rules:
// "a.b", "a['b.c']", `a["b"]`, "a[0]", "a[*]" and "a.*", with an optional
// leading "$" or "$.".
func parsePath(p string) ([]pathSegment, error) {
	s := strings.TrimPrefix(strings.TrimSpace(p), "$")
	var out []pathSegment
	for i := 0; i < len(s); {
		switch s[i] {
		case '.':
			i++
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("field path %q: missing ]", p)
			}
			inner := s[i+1 : i+end]
			// a quoted key may contain ']'
			if len(inner) > 0 && (inner[0] == '"' || inner[0] == '\'') {
				q := inner[0]
				close := strings.IndexByte(s[i+2:], q)
				if close < 0 || i+2+close+1 >= len(s) || s[i+2+close+1] != ']' {
					return nil, fmt.Errorf("field path %q: unterminated quote", p)
				}
				out = append(out, pathSegment{key: s[i+2 : i+2+close]})
				i = i + 2 + close + 2
				continue
			}
			switch {
			case inner == "*":
				out = append(out, pathSegment{wildcard: true})
			default:
				n, err := strconv.Atoi(inner)
				if err != nil {
					return nil, fmt.Errorf("field path %q: bad index %q", p, inner)
				}
				out = append(out, pathSegment{index: n, isIndex: true})
			}
			i += end + 1
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			k := s[i:j]
			if k == "*" {
				out = append(out, pathSegment{wildcard: true})
			} else {
				out = append(out, pathSegment{key: k})
			}
			i = j
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("field path %q is empty", p)
	}
	return out, nil
}

// deletePath removes every field matching segs from obj.
func deletePath(obj any, segs []pathSegment) {
	if len(segs) == 0 {
		return
	}
	seg, last := segs[0], len(segs) == 1
	switch o := obj.(type) {
	case map[string]any:
		if seg.isIndex {
			return
		}
		for k, v := range o {
			if !seg.wildcard && k != seg.key {
				continue
			}
			if last {
				delete(o, k)
			} else {
				deletePath(v, segs[1:])
			}
		}
	case []any:
		if !seg.isIndex && !seg.wildcard {
			return
		}
		if last {
			return // list items are not removed, only fields inside them
		}
		for i, v := range o {
			if seg.wildcard || i == seg.index {
				deletePath(v, segs[1:])
			}
		}
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// appendKey appends a map key to a JSON path in Kluctl's notation.
func appendKey(path, key string) string {
	if identRE.MatchString(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// appendIndex appends a list index to a JSON path.
func appendIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// deleteByRegex removes every field whose JSON path fully matches re.
func deleteByRegex(obj any, path string, re *regexp.Regexp) {
	switch o := obj.(type) {
	case map[string]any:
		for k, v := range o {
			p := appendKey(path, k)
			if re.MatchString(p) {
				delete(o, k)
				continue
			}
			deleteByRegex(v, p, re)
		}
	case []any:
		for i, v := range o {
			deleteByRegex(v, appendIndex(path, i), re)
		}
	}
}

// FormatPath renders a concrete path of map keys (string) and list indexes
// (int) in Kluctl's JSON path notation, e.g. spec.containers[0].image.
func FormatPath(path []any) string {
	s := ""
	for _, e := range path {
		switch x := e.(type) {
		case int:
			s = appendIndex(s, x)
		case string:
			s = appendKey(s, x)
		}
	}
	return s
}

// MatchPath reports whether the concrete path (map keys and list indexes)
// is selected by the JSON path pattern (the subset of parsePath).
func MatchPath(pattern string, path []any) (bool, error) {
	segs, err := parsePath(pattern)
	if err != nil {
		return false, err
	}
	if len(segs) != len(path) {
		return false, nil
	}
	for i, s := range segs {
		switch x := path[i].(type) {
		case int:
			if !s.wildcard && (!s.isIndex || s.index != x) {
				return false, nil
			}
		case string:
			if !s.wildcard && (s.isIndex || s.key != x) {
				return false, nil
			}
		default:
			return false, nil
		}
	}
	return true, nil
}
