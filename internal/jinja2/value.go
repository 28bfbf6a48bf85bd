package jinja2

import (
	"fmt"
	"math"
	"math/big"
)

// The value model mirrors the Python objects Jinja2 works with:
//
//	None     nil
//	bool     bool
//	int      int64, or *big.Int when it does not fit
//	float    float64
//	str      string
//	list     *List (mutable, shared by reference)
//	tuple    *Tuple
//	dict     *Dict (insertion ordered, shared by reference)
//
// plus a few template objects (*Undefined, *Namespace, *Macro, loops, ...).

// List is a mutable Python list; values of this type are shared by reference.
type List struct {
	Items []any
	view  string // "dict_keys", "dict_values" or "dict_items" for dict views
}

// Generator is a one-shot iterator such as the result of the map or select
// filters: always true, without a length, empty once iterated.
type Generator struct {
	items []any
	thunk func() ([]any, error) // computes items on first iteration
	name  string
	used  bool
}

func newGenerator(name string, items []any) *Generator { return &Generator{items: items, name: name} }

// lazyFilter runs fn only when its result is first iterated, like the
// generator functions behind Jinja2's map, select, unique, ... filters.
func lazyFilter(name string, fn filterFunc) filterFunc {
	return func(r *renderer, f *frame, v any, a *args) (any, error) {
		return &Generator{name: name, thunk: func() ([]any, error) {
			res, err := fn(r, f, v, a)
			if err != nil {
				return nil, err
			}
			return iterate(res)
		}}, nil
	}
}

// Tuple is an immutable Python tuple.
type Tuple struct {
	Items  []any
	fields []string // attribute names of a named tuple (groupby)
}

// Dict is an insertion-ordered Python dict; values of this type are shared by
// reference.
type Dict struct {
	keys  []any
	vals  []any
	hkeys []any       // normalized hash keys, parallel to keys
	index map[any]int // built once the dict grows beyond smallDict
}

const smallDict = 8

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{} }

type noneKey struct{}
type tupleKey string
type bigKey string

// identityKey hashes objects that Python hashes by identity.
type identityKey struct{ p any }

// hashKey normalizes a value into a comparable Go value such that two Python
// values that compare equal (1, 1.0 and True) share a key.
func hashKey(k any) (any, error) {
	k = demote(k)
	switch v := k.(type) {
	case string:
		return v, nil
	case int64:
		return v, nil
	case bool:
		if v {
			return int64(1), nil
		}
		return int64(0), nil
	case nil:
		return noneKey{}, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
			return int64(v), nil
		}
		return v, nil
	case *big.Int:
		return bigKey(v.String()), nil
	case *Tuple:
		s := ""
		for _, it := range v.Items {
			hk, err := hashKey(it)
			if err != nil {
				return nil, err
			}
			s += fmt.Sprintf("%T:%v\x00", hk, hk)
		}
		return tupleKey(s), nil
	}
	switch x := k.(type) {
	case *Undefined:
		if x.kind == undefStrict {
			return nil, x.err()
		}
		return identityKey{undefKind(x.kind)}, nil
	case *List, *Dict:
		return nil, newRuntimeError("TypeError", fmt.Sprintf("unhashable type: '%s'", typeName(k)))
	}
	return identityKey{k}, nil
}

func (d *Dict) find(hk any) int {
	if d.index != nil {
		if i, ok := d.index[hk]; ok {
			return i
		}
		return -1
	}
	for i, k := range d.hkeys {
		if k == hk {
			return i
		}
	}
	return -1
}

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.keys) }

// Get returns the value stored under key k.
func (d *Dict) Get(k any) (any, bool) {
	if s, ok := k.(string); ok {
		return d.GetStr(s)
	}
	hk, err := hashKey(k)
	if err != nil {
		return nil, false
	}
	i := d.find(hk)
	if i < 0 {
		return nil, false
	}
	return d.vals[i], true
}

// GetStr returns the value stored under the string key k.
func (d *Dict) GetStr(k string) (any, bool) {
	if d.index == nil {
		for i, hk := range d.hkeys {
			if s, ok := hk.(string); ok && s == k {
				return d.vals[i], true
			}
		}
		return nil, false
	}
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// Set stores v under key k, keeping the position of an existing key.
func (d *Dict) Set(k, v any) error {
	hk, err := hashKey(k)
	if err != nil {
		return err
	}
	if i := d.find(hk); i >= 0 {
		d.vals[i] = v
		return nil
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	d.hkeys = append(d.hkeys, hk)
	if d.index != nil {
		d.index[hk] = len(d.keys) - 1
	} else if len(d.keys) > smallDict {
		d.reindex()
	}
	return nil
}

// SetStr stores v under the string key k.
func (d *Dict) SetStr(k string, v any) { _ = d.Set(k, v) }

func (d *Dict) reindex() {
	if len(d.keys) <= smallDict {
		d.index = nil
		return
	}
	d.index = make(map[any]int, len(d.keys))
	for i, hk := range d.hkeys {
		d.index[hk] = i
	}
}

// Delete removes key k and returns its value.
func (d *Dict) Delete(k any) (any, bool) {
	hk, err := hashKey(k)
	if err != nil {
		return nil, false
	}
	i := d.find(hk)
	if i < 0 {
		return nil, false
	}
	v := d.vals[i]
	d.keys = append(d.keys[:i:i], d.keys[i+1:]...)
	d.vals = append(d.vals[:i:i], d.vals[i+1:]...)
	d.hkeys = append(d.hkeys[:i:i], d.hkeys[i+1:]...)
	d.reindex()
	return v, true
}

// Keys returns the keys in insertion order (a fresh slice).
func (d *Dict) Keys() []any { return append([]any(nil), d.keys...) }

// Values returns the values in insertion order (a fresh slice).
func (d *Dict) Values() []any { return append([]any(nil), d.vals...) }

// Copy returns a shallow copy.
func (d *Dict) Copy() *Dict {
	n := &Dict{
		keys:  append([]any(nil), d.keys...),
		vals:  append([]any(nil), d.vals...),
		hkeys: append([]any(nil), d.hkeys...),
	}
	n.reindex()
	return n
}

func (d *Dict) clear() { d.keys, d.vals, d.hkeys, d.index = nil, nil, nil, nil }

// Range is Python's range object.
type Range struct{ Start, Stop, Step int64 }

func (r *Range) length() int64 {
	if r.Step > 0 && r.Start < r.Stop {
		return (r.Stop - r.Start + r.Step - 1) / r.Step
	}
	if r.Step < 0 && r.Start > r.Stop {
		return (r.Start - r.Stop - r.Step - 1) / (-r.Step)
	}
	return 0
}

// Namespace is the object returned by namespace(); its attributes can be
// assigned with {% set ns.attr = ... %}.
type Namespace struct{ attrs *Dict }

// Module is an imported template: its exported macros and top-level
// variables.
type Module struct {
	name    string
	exports *Dict
}

// typeName returns the Python type name of v.
func typeName(v any) string {
	switch tv := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case Markup:
		return "Markup"
	case *List:
		if tv.view != "" {
			return tv.view
		}
		return "list"
	case *Generator:
		return "generator"
	case *Tuple:
		return "tuple"
	case *Dict:
		return "dict"
	case *Undefined:
		return "Undefined"
	case *Range:
		return "range"
	case *Namespace:
		return "Namespace"
	case *Macro:
		return "Macro"
	case *loopObj:
		return "LoopContext"
	case *Module:
		return "TemplateModule"
	case *builtinFunc, *boundMethod:
		return "builtin_function_or_method"
	}
	return fmt.Sprintf("%T", v)
}

// objectTypeRepr mirrors jinja2.utils.object_type_repr.
func objectTypeRepr(v any) string {
	if v == nil {
		return "None"
	}
	switch v.(type) {
	case *Namespace:
		return "jinja2.utils.Namespace object"
	case *loopObj:
		return "jinja2.runtime.LoopContext object"
	case *Macro:
		return "jinja2.runtime.Macro object"
	case *Module:
		return "jinja2.environment.TemplateModule object"
	}
	return typeName(v) + " object"
}
