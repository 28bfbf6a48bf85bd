package jinja2

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
)

// FromGo converts a Go value decoded from YAML or JSON into the template value
// model. Go maps become dicts with sorted keys.
func FromGo(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, *List, *Dict, *Tuple, *big.Int, *Undefined, *builtinFunc:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		return FromGo(uint64(x))
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return new(big.Int).SetUint64(x)
	case float32:
		return float64(x)
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		if b, ok := new(big.Int).SetString(string(x), 10); ok {
			return b
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case []any:
		items := make([]any, len(x))
		for i, it := range x {
			items[i] = FromGo(it)
		}
		return &List{Items: items}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := &Dict{keys: make([]any, len(keys)), vals: make([]any, len(keys)), hkeys: make([]any, len(keys))}
		for i, k := range keys {
			kv := any(k)
			d.keys[i], d.hkeys[i], d.vals[i] = kv, kv, FromGo(x[k])
		}
		d.reindex()
		return d
	case map[any]any:
		type kv struct {
			s string
			k any
		}
		keys := make([]kv, 0, len(x))
		for k := range x {
			keys = append(keys, kv{fmt.Sprint(k), k})
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].s < keys[j].s })
		d := &Dict{}
		for _, k := range keys {
			_ = d.Set(FromGo(k.k), FromGo(x[k.k]))
		}
		return d
	case []string:
		items := make([]any, len(x))
		for i, it := range x {
			items[i] = it
		}
		return &List{Items: items}
	}
	return fromGoReflect(v)
}

func fromGoReflect(v any) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = FromGo(rv.Index(i).Interface())
		}
		return &List{Items: items}
	case reflect.Map:
		m := make(map[any]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[it.Key().Interface()] = it.Value().Interface()
		}
		return FromGo(m)
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return FromGo(rv.Elem().Interface())
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

// ToGo converts a template value back into plain Go values: dicts become
// map[string]any, lists and tuples []any, undefined nil.
func ToGo(v any) any { return toGoDepth(v, 0) }

func toGoDepth(v any, depth int) any {
	if depth > maxNestingDepth {
		return nil
	}
	switch x := v.(type) {
	case *List:
		out := make([]any, len(x.Items))
		for i, it := range x.Items {
			out[i] = toGoDepth(it, depth+1)
		}
		return out
	case *Tuple:
		out := make([]any, len(x.Items))
		for i, it := range x.Items {
			out[i] = toGoDepth(it, depth+1)
		}
		return out
	case *Dict:
		out := make(map[string]any, x.Len())
		for i, k := range x.keys {
			ks, ok := k.(string)
			if !ok {
				ks = pyStr(k)
			}
			out[ks] = toGoDepth(x.vals[i], depth+1)
		}
		return out
	case *Namespace:
		return toGoDepth(x.attrs, depth+1)
	case *Generator:
		return toGoDepth(&List{Items: x.items}, depth+1)
	case Markup:
		return string(x)
	case *Undefined:
		return nil
	case *Range:
		return toGoDepth(&List{Items: rangeItems(x)}, depth+1)
	}
	return v
}

func rangeItems(r *Range) []any {
	n := r.length()
	out := make([]any, 0, n)
	for i := int64(0); i < n; i++ {
		out = append(out, r.Start+i*r.Step)
	}
	return out
}
