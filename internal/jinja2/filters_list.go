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
