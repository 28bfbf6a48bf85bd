package jinja2

func (r *renderer) callFilterByName(f *frame, name string, v any, a *args) (any, error) {
	fn := r.env.filters[name]
	if fn == nil {
		return nil, newRuntimeError(KindRuntime, "No filter named '"+name+"'.")
	}
	return fn(r, f, v, a)
}

// falsyInput mirrors the `if value:` guard of Jinja2's map and select
// filters: a false input yields nothing.
func falsyInput(v any) (bool, error) {
	t, err := truthy(v)
	return !t, err
}

func filterMap(r *renderer, f *frame, v any, a *args) (any, error) {
	if empty, err := falsyInput(v); empty || err != nil {
		return &List{}, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var fn func(any) (any, error)
	if attr, ok := a.kwarg("attribute"); ok && len(a.pos) == 0 {
		def, hasDef := a.kwarg("default")
		fn = r.attrGetter(attr, false, def, hasDef)
	} else {
		if len(a.pos) == 0 {
			return nil, newRuntimeError(KindRuntime, "map requires a filter argument")
		}
		name, _ := a.pos[0].(string)
		rest := &args{pos: a.pos[1:], kw: a.kw}
		fn = func(x any) (any, error) { return r.callFilterByName(f, name, x, rest) }
	}
	out := make([]any, len(items))
	for i, it := range items {
		if out[i], err = fn(it); err != nil {
			return nil, err
		}
	}
	return newGenerator("sync_do_map", out), nil
}

func selectReject(attrMode, want bool) filterFunc {
	return func(r *renderer, f *frame, v any, a *args) (any, error) {
		if empty, err := falsyInput(v); empty || err != nil {
			return &List{}, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		pos := a.pos
		get := func(x any) (any, error) { return x, nil }
		if attrMode {
			if len(pos) == 0 {
				return nil, newRuntimeError(KindRuntime, "Missing parameter for attribute name")
			}
			get = r.attrGetter(pos[0], false, nil, false)
			pos = pos[1:]
		}
		var test func(any) (bool, error)
		if len(pos) == 0 {
			test = truthy
		} else {
			name, _ := pos[0].(string)
			tf := r.env.tests[name]
			if tf == nil {
				return nil, newRuntimeError(KindRuntime, "No test named '"+name+"'.")
			}
			rest := &args{pos: pos[1:], kw: a.kw}
			test = func(x any) (bool, error) { return tf(r, x, rest) }
		}
		var out []any
		for _, it := range items {
			x, err := get(it)
			if err != nil {
				return nil, err
			}
			ok, err := test(x)
			if err != nil {
				return nil, err
			}
			if ok == want {
				out = append(out, it)
			}
		}
		return newGenerator("select_or_reject", out), nil
	}
}

func filterSlice(r *renderer, f *frame, v any, a *args) (any, error) {
	seq, err := iterate(v)
	if err != nil {
		return nil, err
	}
	slices, err := argInt(a, 0, "slices", 1)
	if err != nil {
		return nil, err
	}
	if slices <= 0 {
		return nil, newRuntimeError(KindZeroDiv, "integer division or modulo by zero")
	}
	fill, hasFill := a.get(1, "fill_with")
	hasFill = hasFill && fill != nil
	n := int64(len(seq))
	per, extra := n/slices, n%slices
	offset := int64(0)
	var out []any
	for i := int64(0); i < slices; i++ {
		start := offset + i*per
		if i < extra {
			offset++
		}
		end := offset + (i+1)*per
		tmp := append([]any(nil), seq[start:end]...)
		if hasFill && i >= extra {
			tmp = append(tmp, fill)
		}
		out = append(out, &List{Items: tmp})
	}
	return newGenerator("sync_do_slice", out), nil
}

func filterBatch(r *renderer, f *frame, v any, a *args) (any, error) {
	seq, err := iterate(v)
	if err != nil {
		return nil, err
	}
	n, err := argInt(a, 0, "linecount", 1)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		n = 1
	}
	fill, hasFill := a.get(1, "fill_with")
	hasFill = hasFill && fill != nil
	var out []any
	var tmp []any
	for _, it := range seq {
		if int64(len(tmp)) == n {
			out = append(out, &List{Items: tmp})
			tmp = nil
		}
		tmp = append(tmp, it)
	}
	if len(tmp) > 0 {
		for hasFill && int64(len(tmp)) < n {
			tmp = append(tmp, fill)
		}
		out = append(out, &List{Items: tmp})
	}
	return newGenerator("do_batch", out), nil
}

func filterDictsort(r *renderer, f *frame, v any, a *args) (any, error) {
	d, ok := v.(*Dict)
	if !ok {
		if u, isU := v.(*Undefined); isU {
			if u.kind == undefStrict {
				return nil, u.err()
			}
			return &List{}, nil
		}
		return nil, newRuntimeError(KindRuntime, "You can only sort by either \"key\" or \"value\"")
	}
	cs := boolArg(a, 0, "case_sensitive")
	by := "key"
	if b, ok := a.get(1, "by"); ok {
		by = pyStr(b)
	}
	pos := 0
	switch by {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, newRuntimeError("FilterArgumentError", "You can only sort by either \"key\" or \"value\"")
	}
	reverse := boolArg(a, 2, "reverse")
	items := make([]any, d.Len())
	for i, k := range d.keys {
		items[i] = &Tuple{Items: []any{k, d.vals[i]}}
	}
	out, err := sortItems(items, func(x any) (any, error) {
		k := x.(*Tuple).Items[pos]
		if !cs {
			return lowerKey(k)
		}
		return k, nil
	}, reverse)
	return &List{Items: out}, err
}

func filterItems(r *renderer, f *frame, v any, a *args) (any, error) {
	switch x := v.(type) {
	case *Undefined:
		if x.kind == undefStrict {
			return nil, x.err()
		}
		return newGenerator("do_items", nil), nil
	case *Dict:
		items, _ := dictMethod(x, "items", a)
		return newGenerator("do_items", items.(*List).Items), nil
	}
	return nil, typeError("Can only get item pairs from a mapping.")
}

func filterReverse(r *renderer, f *frame, v any, a *args) (any, error) {
	if s, ok := v.(string); ok {
		runes := []rune(s)
		for i, j := 0, len(runes)-1; i < j; i, j = i+1, j-1 {
			runes[i], runes[j] = runes[j], runes[i]
		}
		return string(runes), nil
	}
	_, isGen := v.(*Generator)
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(items))
	for i, it := range items {
		out[len(items)-1-i] = it
	}
	switch v.(type) {
	case *Dict:
		return newGenerator("dict_reversekeyiterator", out), nil
	case *Tuple:
		return newGenerator("reversed", out), nil
	case *Range:
		return newGenerator("range_iterator", out), nil
	}
	if isGen {
		return &List{Items: out}, nil
	}
	return newGenerator("list_reverseiterator", out), nil
}

func filterDefault(r *renderer, f *frame, v any, a *args) (any, error) {
	def, ok := a.get(0, "default_value")
	if !ok {
		def = ""
	}
	if _, undef := v.(*Undefined); undef {
		return def, nil
	}
	if boolArg(a, 1, "boolean") {
		t, err := truthy(v)
		if err != nil {
			return nil, err
		}
		if !t {
			return def, nil
		}
	}
	return v, nil
}

func filterAttr(r *renderer, f *frame, v any, a *args) (any, error) {
	nv, _ := a.get(0, "name")
	name := pyStr(nv)
	switch x := v.(type) {
	case *Dict:
		if dictMethods[name] {
			return &boundMethod{x, name}, nil
		}
		return r.missingAttr(v, name), nil
	case *Undefined:
		if x.kind == undefStrict {
			return nil, x.err()
		}
		return x, nil
	}
	return r.getattr(v, name)
}
