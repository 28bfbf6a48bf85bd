package jinja2

import "strings"

// Markup is a string marked as safe, Jinja2's markupsafe.Markup: what tojson,
// escape and safe return. With autoescape off it prints like a str, but it
// shows as Markup('...') inside containers, and + and % escape the other
// operand.
type Markup string

// demote turns a Markup into a plain string; other values are unchanged.
func demote(v any) any {
	if m, ok := v.(Markup); ok {
		return string(m)
	}
	return v
}

// escapeValue is markupsafe.escape: Markup stays as is, anything else is
// converted to str and HTML-escaped.
func escapeValue(v any) (Markup, error) {
	if m, ok := v.(Markup); ok {
		return m, nil
	}
	s, err := strValue(v)
	if err != nil {
		return "", err
	}
	return Markup(htmlEscape(s)), nil
}

// markupBinOp implements + and * and % with a Markup operand.
func (r *renderer) markupBinOp(op string, a, b any) (any, bool, error) {
	ma, aIs := a.(Markup)
	mb, bIs := b.(Markup)
	switch op {
	case "+":
		_, aStr := a.(string)
		_, bStr := b.(string)
		if aIs && (bIs || bStr) {
			e, err := escapeValue(b)
			return ma + e, true, err
		}
		if bIs && aStr {
			e, err := escapeValue(a)
			return e + mb, true, err
		}
	case "*":
		if aIs || bIs {
			v, err := r.binOp(op, demote(a), demote(b))
			if s, ok := v.(string); ok {
				return Markup(s), true, err
			}
			return v, true, err
		}
	case "%":
		if aIs {
			v, err := percentFormat(string(ma), escapeFormatArgs(b))
			if s, ok := v.(string); ok {
				return Markup(s), true, err
			}
			return v, true, err
		}
	}
	return nil, false, nil
}

// escapeFormatArgs escapes the string arguments of Markup % args.
func escapeFormatArgs(v any) any {
	esc := func(x any) any {
		switch s := x.(type) {
		case string:
			return htmlEscape(s)
		case Markup:
			return string(s)
		}
		return x
	}
	switch x := v.(type) {
	case *Tuple:
		items := make([]any, len(x.Items))
		for i, it := range x.Items {
			items[i] = esc(it)
		}
		return &Tuple{Items: items}
	case *Dict:
		d := &Dict{}
		for i, k := range x.keys {
			_ = d.Set(k, esc(x.vals[i]))
		}
		return d
	}
	return esc(v)
}

// markupMethods are the str methods Markup wraps so that they return Markup.
var markupMethods = map[string]bool{
	"capitalize": true, "title": true, "lower": true, "upper": true, "replace": true,
	"ljust": true, "rjust": true, "lstrip": true, "rstrip": true, "center": true,
	"strip": true, "expandtabs": true, "swapcase": true, "zfill": true,
}

func markupMethod(m Markup, name string, a *args) (any, error) {
	switch name {
	case "join":
		v, _ := a.get(0, "iterable")
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(items))
		for i, it := range items {
			e, err := escapeValue(it)
			if err != nil {
				return nil, err
			}
			parts[i] = string(e)
		}
		return Markup(strings.Join(parts, string(m))), nil
	case "format":
		ea := &args{pos: make([]any, len(a.pos)), kw: make([]kwVal, len(a.kw))}
		for i, p := range a.pos {
			ea.pos[i] = escapeFormatArgs(p)
		}
		for i, k := range a.kw {
			ea.kw[i] = kwVal{k.name, escapeFormatArgs(k.val)}
		}
		v, err := strFormat(string(m), ea)
		if s, ok := v.(string); ok {
			return Markup(s), err
		}
		return v, err
	}
	v, err := strMethod(string(m), name, a)
	if err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok && markupMethods[name] {
		return Markup(s), nil
	}
	if l, ok := v.(*List); ok && (name == "split" || name == "rsplit" || name == "splitlines") {
		for i, it := range l.Items {
			l.Items[i] = Markup(it.(string))
		}
	}
	return v, nil
}

// markupPreservingFilters return Markup when given Markup, because Jinja2
// implements them with str methods that Markup wraps.
var markupPreservingFilters = map[string]bool{
	"upper": true, "lower": true, "capitalize": true, "trim": true, "center": true,
	"string": true, "indent": true, "format": true, "reverse": true,
}

func filterEscapeMarkup(r *renderer, f *frame, v any, a *args) (any, error) {
	if v == nil {
		return Markup("None"), nil
	}
	return escapeValue(v)
}

func filterForceescape(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return Markup(htmlEscape(s)), nil
}

func filterSafeMarkup(r *renderer, f *frame, v any, a *args) (any, error) {
	if m, ok := v.(Markup); ok {
		return m, nil
	}
	s, err := strValue(v)
	return Markup(s), err
}
