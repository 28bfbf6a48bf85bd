package jinja2

import (
	"sort"
)

var listMethods = map[string]bool{
	"append": true, "extend": true, "insert": true, "pop": true, "remove": true,
	"index": true, "count": true, "reverse": true, "sort": true, "copy": true, "clear": true,
}

var dictMethods = map[string]bool{
	"keys": true, "values": true, "items": true, "get": true, "update": true, "pop": true,
	"setdefault": true, "copy": true, "clear": true, "popitem": true,
}

func listMethod(l *List, name string, a *args) (any, error) {
	switch name {
	case "append":
		v, _ := a.get(0, "object")
		l.Items = append(l.Items, v)
		return nil, nil
	case "extend":
		v, _ := a.get(0, "iterable")
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		l.Items = append(l.Items, items...)
		return nil, nil
	case "insert":
		i, err := argInt(a, 0, "index", 0)
		if err != nil {
			return nil, err
		}
		v, _ := a.get(1, "object")
		n := int64(len(l.Items))
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		if i > n {
			i = n
		}
		l.Items = append(l.Items, nil)
		copy(l.Items[i+1:], l.Items[i:])
		l.Items[i] = v
		return nil, nil
	case "pop":
		if len(l.Items) == 0 {
			return nil, newRuntimeError("IndexError", "pop from empty list")
		}
		i, err := argInt(a, 0, "index", -1)
		if err != nil {
			return nil, err
		}
		idx, ok := seqIndex(len(l.Items), i)
		if !ok {
			return nil, newRuntimeError("IndexError", "pop index out of range")
		}
		v := l.Items[idx]
		l.Items = append(l.Items[:idx:idx], l.Items[idx+1:]...)
		return v, nil
	case "remove":
		v, _ := a.get(0, "value")
		for i, it := range l.Items {
			if equal(it, v) {
				l.Items = append(l.Items[:i:i], l.Items[i+1:]...)
				return nil, nil
			}
		}
		return nil, valueError("list.remove(x): x not in list")
	case "index":
		v, _ := a.get(0, "value")
		for i, it := range l.Items {
			if equal(it, v) {
				return int64(i), nil
			}
		}
		return nil, valueError("%s is not in list", pyRepr(v))
	case "count":
		v, _ := a.get(0, "value")
		n := int64(0)
		for _, it := range l.Items {
			if equal(it, v) {
				n++
			}
		}
		return n, nil
	case "reverse":
		for i, j := 0, len(l.Items)-1; i < j; i, j = i+1, j-1 {
			l.Items[i], l.Items[j] = l.Items[j], l.Items[i]
		}
		return nil, nil
	case "sort":
		rev, _ := a.kwarg("reverse")
		rb, _ := truthy(rev)
		var err error
		sort.SliceStable(l.Items, func(i, j int) bool {
			c, e := compareValues("<", l.Items[i], l.Items[j])
			if e != nil {
				err = e
			}
			if rb {
				return c > 0
			}
			return c < 0
		})
		return nil, err
	case "copy":
		return &List{Items: append([]any(nil), l.Items...)}, nil
	case "clear":
		l.Items = nil
		return nil, nil
	}
	return nil, typeError("'list' object has no attribute '%s'", name)
}

func dictMethod(d *Dict, name string, a *args) (any, error) {
	switch name {
	case "keys":
		return &List{Items: d.Keys(), view: "dict_keys"}, nil
	case "values":
		return &List{Items: d.Values(), view: "dict_values"}, nil
	case "items":
		items := make([]any, len(d.keys))
		for i, k := range d.keys {
			items[i] = &Tuple{Items: []any{k, d.vals[i]}}
		}
		return &List{Items: items, view: "dict_items"}, nil
	case "get":
		k, _ := a.get(0, "key")
		def, _ := a.get(1, "default")
		if _, err := hashKey(k); err != nil {
			return nil, err
		}
		if v, ok := d.Get(k); ok {
			return v, nil
		}
		return def, nil
	case "update":
		if v, ok := a.get(0, ""); ok {
			switch src := v.(type) {
			case *Dict:
				for i, k := range src.keys {
					if err := d.Set(k, src.vals[i]); err != nil {
						return nil, err
					}
				}
			default:
				items, err := iterate(v)
				if err != nil {
					return nil, err
				}
				for _, it := range items {
					pair, err := iterate(it)
					if err != nil || len(pair) != 2 {
						return nil, valueError("dictionary update sequence element has wrong length")
					}
					if err := d.Set(pair[0], pair[1]); err != nil {
						return nil, err
					}
				}
			}
		}
		for _, k := range a.kw {
			d.SetStr(k.name, k.val)
		}
		return nil, nil
	case "pop":
		k, _ := a.get(0, "key")
		if v, ok := d.Delete(k); ok {
			return v, nil
		}
		if def, ok := a.get(1, "default"); ok {
			return def, nil
		}
		return nil, newRuntimeError("KeyError", pyRepr(k))
	case "setdefault":
		k, _ := a.get(0, "key")
		def, _ := a.get(1, "default")
		if v, ok := d.Get(k); ok {
			return v, nil
		}
		if err := d.Set(k, def); err != nil {
			return nil, err
		}
		return def, nil
	case "copy":
		return d.Copy(), nil
	case "clear":
		d.clear()
		return nil, nil
	case "popitem":
		if d.Len() == 0 {
			return nil, newRuntimeError("KeyError", "'popitem(): dictionary is empty'")
		}
		k := d.keys[len(d.keys)-1]
		v, _ := d.Delete(k)
		return &Tuple{Items: []any{k, v}}, nil
	}
	return nil, typeError("'dict' object has no attribute '%s'", name)
}
