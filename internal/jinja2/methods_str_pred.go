package jinja2

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

func startsEnds(s string, a *args, ends bool) (any, error) {
	v, _ := a.get(0, "prefix")
	start, _ := a.get(1, "start")
	end, _ := a.get(2, "end")
	if start != nil || end != nil {
		sub, err := sliceValue(s, start, end, nil)
		if err != nil {
			return nil, err
		}
		s = sub.(string)
	}
	check := func(p any) (bool, error) {
		ps, ok := p.(string)
		if !ok {
			return false, typeError("startswith first arg must be str or a tuple of str, not %s", typeName(p))
		}
		if ends {
			return strings.HasSuffix(s, ps), nil
		}
		return strings.HasPrefix(s, ps), nil
	}
	if t, ok := v.(*Tuple); ok {
		for _, p := range t.Items {
			if ok, err := check(p); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	return check(v)
}

func runeIndex(s string, byteIdx int) int64 {
	if byteIdx < 0 {
		return -1
	}
	return int64(utf8.RuneCountInString(s[:byteIdx]))
}

func allRunes(s string, f func(rune) bool) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !f(r) {
			return false
		}
	}
	return true
}

func strPredicate(s, name string) (any, error) {
	switch name {
	case "isalnum":
		return allRunes(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }), nil
	case "isalpha":
		return allRunes(s, unicode.IsLetter), nil
	case "isascii":
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false, nil
			}
		}
		return true, nil
	case "isdecimal", "isdigit":
		return allRunes(s, unicode.IsDigit), nil
	case "isnumeric":
		return allRunes(s, unicode.IsNumber), nil
	case "isspace":
		return allRunes(s, pyIsSpace), nil
	case "isprintable":
		for _, r := range s {
			if !pyPrintable(r) {
				return false, nil
			}
		}
		return true, nil
	case "isidentifier":
		if s == "" {
			return false, nil
		}
		for i, r := range s {
			if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
				return false, nil
			}
		}
		return true, nil
	case "islower", "isupper":
		cased := false
		for _, r := range s {
			if unicode.IsUpper(r) || unicode.IsTitle(r) {
				if name == "islower" {
					return false, nil
				}
				cased = true
			} else if unicode.IsLower(r) {
				if name == "isupper" {
					return false, nil
				}
				cased = true
			}
		}
		return cased, nil
	case "istitle":
		return s != "" && pyTitle(s) == s && strings.ToLower(s) != s, nil
	}
	return nil, typeError("'str' object has no attribute '%s'", name)
}
