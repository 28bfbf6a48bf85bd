package jinja2

import (
	"sort"
	"strconv"
	"strings"
)

// attrGetter mirrors jinja2.filters.make_attrgetter: a dotted path of
// attributes or integer indexes.
func (r *renderer) attrGetter(attribute any, lower bool, def any, hasDef bool) func(any) (any, error) {
	var parts []any
	if s, ok := attribute.(string); ok {
		for _, p := range strings.Split(s, ".") {
			if n, err := strconv.ParseInt(p, 10, 64); err == nil {
				parts = append(parts, n)
			} else {
				parts = append(parts, p)
			}
		}
	} else {
		parts = []any{attribute}
	}
	return func(item any) (any, error) {
		var err error
		for _, p := range parts {
			if item, err = r.getitem(item, p); err != nil {
				return nil, err
			}
		}
		if _, undef := item.(*Undefined); undef && hasDef {
			item = def
		}
		if lower {
			if s, ok := item.(string); ok {
				item = strings.ToLower(s)
			}
		}
		return item, nil
	}
}

func (r *renderer) multiAttrGetter(attribute any, lower bool) func(any) (any, error) {
	s, ok := attribute.(string)
	if !ok || !strings.Contains(s, ",") {
		return r.attrGetter(attribute, lower, nil, false)
	}
	var getters []func(any) (any, error)
	for _, p := range strings.Split(s, ",") {
		getters = append(getters, r.attrGetter(p, lower, nil, false))
	}
	return func(item any) (any, error) {
		out := make([]any, len(getters))
		for i, g := range getters {
			v, err := g(item)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return &List{Items: out}, nil
	}
}

func lowerKey(v any) (any, error) {
	if s, ok := v.(string); ok {
		return strings.ToLower(s), nil
	}
	return v, nil
}

func boolArg(a *args, i int, name string) bool {
	v, ok := a.get(i, name)
	if !ok {
		return false
	}
	b, _ := truthy(v)
	return b
}

// sortItems sorts items by key with Python's stable sorted().
func sortItems(items []any, key func(any) (any, error), reverse bool) ([]any, error) {
	keys := make([]any, len(items))
	for i, it := range items {
		k, err := key(it)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var err error
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := keys[idx[i]], keys[idx[j]]
		if reverse {
			a, b = b, a
		}
		c, e := compareValues("<", a, b)
		if e != nil && err == nil {
			err = e
		}
		return c < 0 && c != 2
	})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out, nil
}

func filterSort(r *renderer, f *frame, v any, a *args) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	reverse := boolArg(a, 0, "reverse")
	cs := boolArg(a, 1, "case_sensitive")
	attr, _ := a.get(2, "attribute")
	var key func(any) (any, error)
	if attr != nil {
		key = r.multiAttrGetter(attr, !cs)
	} else if !cs {
		key = lowerKey
	} else {
		key = func(x any) (any, error) { return x, nil }
	}
	out, err := sortItems(items, key, reverse)
	return &List{Items: out}, err
}

func (r *renderer) keyFunc(a *args, csIdx, attrIdx int) func(any) (any, error) {
	cs := boolArg(a, csIdx, "case_sensitive")
	attr, _ := a.get(attrIdx, "attribute")
	if attr != nil {
		return r.attrGetter(attr, !cs, nil, false)
	}
	if !cs {
		return lowerKey
	}
	return func(x any) (any, error) { return x, nil }
}

func filterUnique(r *renderer, f *frame, v any, a *args) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	key := r.keyFunc(a, 0, 1)
	seen := &Dict{}
	var out []any
	for _, it := range items {
		k, err := key(it)
		if err != nil {
			return nil, err
		}
		if _, ok := seen.Get(k); ok {
			continue
		}
		if err := seen.Set(k, true); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return newGenerator("do_unique", out), nil
}

func minMax(wantMax bool) filterFunc {
	return func(r *renderer, f *frame, v any, a *args) (any, error) {
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &Undefined{kind: r.undef, hint: "No aggregated item, sequence was empty."}, nil
		}
		key := r.keyFunc(a, 0, 1)
		best := items[0]
		bk, err := key(best)
		if err != nil {
			return nil, err
		}
		for _, it := range items[1:] {
			k, err := key(it)
			if err != nil {
				return nil, err
			}
			c, err := compareValues("<", k, bk)
			if err != nil {
				return nil, err
			}
			if (wantMax && c > 0 && c != 2) || (!wantMax && c < 0) {
				best, bk = it, k
			}
		}
		return best, nil
	}
}

func filterGroupby(r *renderer, f *frame, v any, a *args) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	attr, _ := a.get(0, "attribute")
	def, hasDef := a.get(1, "default")
	cs := boolArg(a, 2, "case_sensitive")
	key := r.attrGetter(attr, !cs, def, hasDef)
	sorted, err := sortItems(items, key, false)
	if err != nil {
		return nil, err
	}
	var out []any
	var curKey any
	var cur *List
	for _, it := range sorted {
		k, err := key(it)
		if err != nil {
			return nil, err
		}
		same := false
		if cur != nil {
			if same, err = compareOp("==", k, curKey); err != nil {
				return nil, err
			}
		}
		if same {
			cur.Items = append(cur.Items, it)
			continue
		}
		cur = &List{Items: []any{it}}
		curKey = k
		out = append(out, &Tuple{Items: []any{k, cur}, fields: groupFields})
	}
	if !cs {
		raw := r.attrGetter(attr, false, def, hasDef)
		for _, g := range out {
			t := g.(*Tuple)
			k, err := raw(t.Items[1].(*List).Items[0])
			if err != nil {
				return nil, err
			}
			t.Items[0] = k
		}
	}
	return &List{Items: out}, nil
}

var groupFields = []string{"grouper", "list"}

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

func filterSum(r *renderer, f *frame, v any, a *args) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var total any = int64(0)
	if s, ok := a.get(1, "start"); ok {
		total = s
	}
	if attr, ok := a.get(0, "attribute"); ok && attr != nil {
		get := r.attrGetter(attr, false, nil, false)
		mapped := make([]any, len(items))
		for i, it := range items {
			if mapped[i], err = get(it); err != nil {
				return nil, err
			}
		}
		items = mapped
	}
	for _, it := range items {
		if total, err = r.binOp("+", total, it); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func filterJoin(r *renderer, f *frame, v any, a *args) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	sep := ""
	if d, ok := a.get(0, "d"); ok {
		if sep, err = strValue(d); err != nil {
			return nil, err
		}
	}
	if attr, ok := a.get(1, "attribute"); ok && attr != nil {
		get := r.attrGetter(attr, false, nil, false)
		mapped := make([]any, len(items))
		for i, it := range items {
			if mapped[i], err = get(it); err != nil {
				return nil, err
			}
		}
		items = mapped
	}
	parts := make([]string, len(items))
	for i, it := range items {
		if parts[i], err = strValue(it); err != nil {
			return nil, err
		}
	}
	return strings.Join(parts, sep), nil
}

func filterFirst(r *renderer, f *frame, v any, a *args) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &Undefined{kind: r.undef, hint: "No first item, sequence was empty."}, nil
	}
	return items[0], nil
}

func filterLast(r *renderer, f *frame, v any, a *args) (any, error) {
	if _, ok := v.(*Generator); ok {
		return nil, typeError("'generator' object is not reversible")
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &Undefined{kind: r.undef, hint: "No last item, sequence was empty."}, nil
	}
	return items[len(items)-1], nil
}

func filterLength(r *renderer, f *frame, v any, a *args) (any, error) {
	n, err := length(v)
	return int64(n), err
}

func filterList(r *renderer, f *frame, v any, a *args) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	return &List{Items: append([]any(nil), items...)}, nil
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
		if u, isU := v.(*Undefined); isU && u.kind == undefStrict {
			return nil, u.err()
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
