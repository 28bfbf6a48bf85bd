package jinja2

import (
	"math/big"
	"unicode/utf8"
)

// boundMethod is a Python method looked up but not yet called, e.g.
// 'abc'.upper.
type boundMethod struct {
	recv any
	name string
}

func hasMethod(obj any, name string) bool {
	switch o := obj.(type) {
	case string, Markup:
		return strMethods[name]
	case *List:
		return o.view == "" && listMethods[name]
	case *Dict:
		return dictMethods[name]
	case *cycler:
		return name == "next" || name == "reset"
	case *loopObj:
		return name == "cycle" || name == "changed"
	case *pyDatetime:
		return datetimeMethods[name]
	case *Tuple:
		return name == "index" || name == "count"
	case int64, float64, bool:
		return name == "is_integer" || name == "bit_length" || name == "conjugate"
	}
	return false
}

func (r *renderer) callMethod(f *frame, obj any, name string, a *args) (any, error) {
	switch x := obj.(type) {
	case string:
		return strMethod(x, name, a)
	case Markup:
		return markupMethod(x, name, a)
	case *List:
		return listMethod(x, name, a)
	case *Tuple:
		return listMethod(&List{Items: x.Items}, name, a)
	case *Dict:
		return dictMethod(x, name, a)
	case *cycler:
		return x.method(name), nil
	case *loopObj:
		return x.method(name, a)
	case *pyDatetime:
		return x.method(name, a)
	case int64, float64, bool:
		return numberMethod(x, name)
	}
	return nil, typeError("'%s' object has no method '%s'", typeName(obj), name)
}

func numberMethod(v any, name string) (any, error) {
	switch name {
	case "is_integer":
		fv, _ := toFloat(v)
		return fv == float64(int64(fv)), nil
	case "bit_length":
		return int64(toBig(v).BitLen()), nil
	case "conjugate":
		return v, nil
	}
	return nil, typeError("no method %s", name)
}

func (r *renderer) missingAttr(obj any, name string) *Undefined {
	return &Undefined{kind: r.undef, name: name, obj: obj, hasObj: true}
}

// getattr mirrors Environment.getattr: Python attributes first, then items.
func (r *renderer) getattr(obj any, name string) (any, error) {
	switch x := obj.(type) {
	case *Dict:
		if dictMethods[name] {
			return &boundMethod{x, name}, nil
		}
		if v, ok := x.GetStr(name); ok {
			return v, nil
		}
	case *Undefined:
		if x.kind == undefLenient {
			return x, nil
		}
		return nil, x.err()
	case *Namespace:
		if v, ok := x.attrs.GetStr(name); ok {
			return v, nil
		}
	case *Module:
		if v, ok := x.exports.GetStr(name); ok {
			return v, nil
		}
	case *loopObj:
		if v, ok := x.attr(r, name); ok {
			return v, nil
		}
	case *cycler:
		if name == "current" {
			return x.current(), nil
		}
	case *Macro:
		switch name {
		case "name":
			return x.name, nil
		case "arguments":
			items := make([]any, len(x.def.params))
			for i, p := range x.def.params {
				items[i] = p
			}
			return &Tuple{Items: items}, nil
		case "catch_kwargs":
			return x.def.catchKw, nil
		case "catch_varargs":
			return x.def.catchVarg, nil
		case "caller":
			return x.def.caller, nil
		}
	case *Tuple:
		for i, fn := range x.fields {
			if fn == name {
				return x.Items[i], nil
			}
		}
	case *pyDatetime:
		if v, ok := x.attr(name); ok {
			return v, nil
		}
	case *big.Int, int64, float64, bool:
		switch name {
		case "real", "numerator":
			return obj, nil
		case "imag":
			return int64(0), nil
		case "denominator":
			return int64(1), nil
		}
	}
	if hasMethod(obj, name) {
		return &boundMethod{obj, name}, nil
	}
	return r.missingAttr(obj, name), nil
}

func seqIndex(n int, key any) (int, bool) {
	i, ok := intOf(key)
	if !ok {
		return 0, false
	}
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// getitem mirrors Environment.getitem: items first, then attributes.
func (r *renderer) getitem(obj any, key any) (any, error) {
	if m, ok := obj.(Markup); ok {
		if _, isInt := intOf(key); isInt {
			v, err := r.getitem(string(m), key)
			if s, ok := v.(string); ok {
				return Markup(s), err
			}
			return v, err
		}
	}
	key = demote(key)
	switch x := obj.(type) {
	case *Dict:
		if v, ok := x.Get(key); ok {
			return v, nil
		}
	case *List:
		if i, ok := seqIndex(len(x.Items), key); ok && x.view == "" {
			return x.Items[i], nil
		}
	case *Tuple:
		if i, ok := seqIndex(len(x.Items), key); ok {
			return x.Items[i], nil
		}
	case string:
		if _, isInt := intOf(key); isInt {
			runes := []rune(x)
			if utf8.RuneCountInString(x) == len(x) {
				if i, ok := seqIndex(len(x), key); ok {
					return x[i : i+1], nil
				}
			} else if i, ok := seqIndex(len(runes), key); ok {
				return string(runes[i]), nil
			}
		}
	case *Range:
		if i, ok := seqIndex(int(x.length()), key); ok {
			return x.Start + int64(i)*x.Step, nil
		}
	case *Undefined:
		if x.kind == undefLenient {
			return x, nil
		}
		return nil, x.err()
	case *Namespace, *Module, *loopObj:
		if s, ok := key.(string); ok {
			return r.getattr(obj, s)
		}
	}
	if s, ok := key.(string); ok {
		v, err := r.getattr(obj, s)
		if err != nil {
			return nil, err
		}
		if _, missing := v.(*Undefined); !missing {
			return v, nil
		}
		return r.missingAttr(obj, s), nil
	}
	return &Undefined{kind: r.undef, key: key, isKey: true, obj: obj, hasObj: true}, nil
}

func sliceIndex(v any, def int64) (int64, bool, error) {
	if v == nil {
		return def, false, nil
	}
	i, ok := intOf(v)
	if !ok {
		return 0, false, typeError("slice indices must be integers or None or have an __index__ method")
	}
	return i, true, nil
}

// sliceBounds computes the indices selected by a Python slice of length n.
func sliceBounds(n int, start, stop, step any) ([]int, error) {
	st, _, err := sliceIndex(step, 1)
	if err != nil {
		return nil, err
	}
	if st == 0 {
		return nil, valueError("slice step cannot be zero")
	}
	ln := int64(n)
	var lo, hi int64
	if st > 0 {
		lo, hi = 0, ln
	} else {
		lo, hi = ln-1, -1
	}
	adjust := func(v any, def int64) (int64, error) {
		i, set, err := sliceIndex(v, def)
		if err != nil || !set {
			return def, err
		}
		if i < 0 {
			i += ln
			if i < 0 {
				if st < 0 {
					return -1, nil
				}
				return 0, nil
			}
		} else if i >= ln {
			if st < 0 {
				return ln - 1, nil
			}
			return ln, nil
		}
		return i, nil
	}
	if lo, err = adjust(start, lo); err != nil {
		return nil, err
	}
	if hi, err = adjust(stop, hi); err != nil {
		return nil, err
	}
	var out []int
	if st > 0 {
		for i := lo; i < hi; i += st {
			out = append(out, int(i))
		}
	} else {
		for i := lo; i > hi; i += st {
			out = append(out, int(i))
		}
	}
	return out, nil
}

func (r *renderer) slice(obj any, s *sliceExpr, f *frame) (any, error) {
	var parts [3]any
	for i, e := range []expr{s.start, s.stop, s.step} {
		if e == nil {
			continue
		}
		v, err := e.eval(r, f)
		if err != nil {
			return nil, err
		}
		parts[i] = v
	}
	return sliceValue(obj, parts[0], parts[1], parts[2])
}

func sliceValue(obj, start, stop, step any) (any, error) {
	if m, ok := obj.(Markup); ok {
		v, err := sliceValue(string(m), start, stop, step)
		if s, ok := v.(string); ok {
			return Markup(s), err
		}
		return v, err
	}
	switch x := obj.(type) {
	case string:
		runes := []rune(x)
		idx, err := sliceBounds(len(runes), start, stop, step)
		if err != nil {
			return nil, err
		}
		out := make([]rune, len(idx))
		for i, j := range idx {
			out[i] = runes[j]
		}
		return string(out), nil
	case *List, *Tuple, *Range:
		items, _ := iterate(x)
		idx, err := sliceBounds(len(items), start, stop, step)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(idx))
		for i, j := range idx {
			out[i] = items[j]
		}
		if _, ok := x.(*Tuple); ok {
			return &Tuple{Items: out}, nil
		}
		return &List{Items: out}, nil
	case *Undefined:
		if x.kind == undefLenient {
			return x, nil
		}
		return nil, x.err()
	}
	return nil, typeError("'%s' object is not subscriptable", typeName(obj))
}
