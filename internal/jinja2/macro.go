package jinja2

import (
	"fmt"
)

// Macro is a macro defined with {% macro %} or the caller of a call block.
type Macro struct {
	def     *macroDef
	name    string
	closure *frame
	tmpl    *Template
}

func (r *renderer) callMacro(m *Macro, a *args) (any, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	d := m.def
	f := &frame{parent: m.closure, names: make([]string, 0, len(d.params)+2), vals: make([]any, 0, len(d.params)+2)}
	var kw []kwVal
	var caller any
	for _, k := range a.kw {
		if k.name == "caller" && !d.caller && d.name != "caller" {
			return nil, typeError("macro '%s' was invoked with two values for the special caller argument. This is most likely a bug.", d.name)
		}
		if k.name == "caller" {
			caller = k.val
			continue
		}
		kw = append(kw, k)
	}
	prev := r.tmpl
	r.tmpl = m.tmpl
	defer func() { r.tmpl = prev }()
	firstDefault := len(d.params) - len(d.defaults)
	for i, p := range d.params {
		var v any
		found := false
		if i < len(a.pos) {
			v, found = a.pos[i], true
		} else {
			for j, k := range kw {
				if k.name == p {
					v, found = k.val, true
					kw = append(kw[:j:j], kw[j+1:]...)
					break
				}
			}
		}
		if !found {
			if i >= firstDefault {
				var err error
				if v, err = d.defaults[i-firstDefault].eval(r, f); err != nil {
					return nil, err
				}
			} else {
				v = &Undefined{kind: r.undef, name: p, hint: fmt.Sprintf("parameter '%s' was not provided", p)}
			}
		}
		f.set(p, v)
	}
	if d.caller {
		if caller == nil {
			caller = &Undefined{kind: r.undef, name: "caller", hint: "No caller defined"}
		}
		f.set("caller", caller)
	}
	if len(a.pos) > len(d.params) {
		if !d.catchVarg {
			return nil, typeError("macro '%s' takes not more than %d argument(s)", d.name, len(d.params))
		}
		f.set("varargs", &Tuple{Items: append([]any(nil), a.pos[len(d.params):]...)})
	} else if d.catchVarg {
		f.set("varargs", &Tuple{})
	}
	if d.catchKw {
		kd := &Dict{}
		for _, k := range kw {
			kd.SetStr(k.name, k.val)
		}
		f.set("kwargs", kd)
	} else if len(kw) > 0 {
		return nil, typeError("macro '%s' takes no keyword argument '%s'", d.name, kw[0].name)
	}
	var b output
	if err := r.execBody(d.body, f, &b); err != nil {
		return nil, err
	}
	return b.String(), nil
}

// loopObj is the `loop` variable inside a for loop.
type loopObj struct {
	items   []any
	live    *List
	index0  int
	depth0  int
	recurse func(any) (any, error)
	changed bool
	last    any
}

func (l *loopObj) len() int {
	if l.live != nil {
		return len(l.live.Items)
	}
	return len(l.items)
}

func (l *loopObj) at(i int) any {
	if l.live != nil {
		return l.live.Items[i]
	}
	return l.items[i]
}

func (l *loopObj) attr(r *renderer, name string) (any, bool) {
	n := l.len()
	switch name {
	case "index":
		return int64(l.index0 + 1), true
	case "index0":
		return int64(l.index0), true
	case "revindex":
		return int64(n - l.index0), true
	case "revindex0":
		return int64(n - l.index0 - 1), true
	case "first":
		return l.index0 == 0, true
	case "last":
		return l.index0 == n-1, true
	case "length":
		return int64(n), true
	case "depth":
		return int64(l.depth0 + 1), true
	case "depth0":
		return int64(l.depth0), true
	case "previtem":
		if l.index0 == 0 {
			return &Undefined{kind: r.undef, name: "previtem", hint: "there is no previous item"}, true
		}
		return l.at(l.index0 - 1), true
	case "nextitem":
		if l.index0+1 >= n {
			return &Undefined{kind: r.undef, name: "nextitem", hint: "there is no next item"}, true
		}
		return l.at(l.index0 + 1), true
	}
	return nil, false
}

func (l *loopObj) method(name string, a *args) (any, error) {
	switch name {
	case "cycle":
		if len(a.pos) == 0 {
			return nil, typeError("no items for cycling given")
		}
		return a.pos[l.index0%len(a.pos)], nil
	case "changed":
		cur := &Tuple{Items: a.pos}
		if !l.changed || !equal(l.last, cur) {
			l.changed = true
			l.last = cur
			return true, nil
		}
		return false, nil
	}
	return nil, typeError("no method %s", name)
}

// cycler is the object returned by the cycler() global.
type cycler struct {
	items []any
	pos   int
}

func (c *cycler) current() any {
	if len(c.items) == 0 {
		return nil
	}
	return c.items[c.pos]
}

func (c *cycler) method(name string) any {
	if name == "reset" {
		c.pos = 0
		return nil
	}
	v := c.current()
	if len(c.items) > 0 {
		c.pos = (c.pos + 1) % len(c.items)
	}
	return v
}

// joiner is the object returned by the joiner() global.
type joiner struct {
	sep   string
	using bool
}

func (j *joiner) call() any {
	if !j.using {
		j.using = true
		return ""
	}
	return j.sep
}
