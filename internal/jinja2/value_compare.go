package jinja2

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"
)

// truthy is Python's bool().
func truthy(v any) (bool, error) {
	v = demote(v)
	switch x := v.(type) {
	case bool:
		return x, nil
	case nil:
		return false, nil
	case string:
		return x != "", nil
	case int64:
		return x != 0, nil
	case float64:
		return x != 0, nil
	case *big.Int:
		return x.Sign() != 0, nil
	case *List:
		return len(x.Items) > 0, nil
	case *Tuple:
		return len(x.Items) > 0, nil
	case *Dict:
		return x.Len() > 0, nil
	case *Range:
		return x.length() > 0, nil
	case *Generator:
		return true, nil
	case *Undefined:
		if x.kind == undefStrict {
			return false, x.err()
		}
		return false, nil
	}
	return true, nil
}

// equal is Python's ==.
func equal(a, b any) bool { return equalDepth(a, b, 0) }

// maxCompareDepth stops comparisons of self-referencing containers.
const maxCompareDepth = 200

func equalDepth(a, b any, depth int) bool {
	if depth > maxCompareDepth {
		return false
	}
	a, b = demote(a), demote(b)
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case nil:
		return b == nil
	case int64:
		if y, ok := b.(int64); ok {
			return x == y
		}
	}
	if isNumber(a) && isNumber(b) {
		if isIntLike(a) && isIntLike(b) {
			return toBig(a).Cmp(toBig(b)) == 0
		}
		x, _ := toFloat(a)
		y, _ := toFloat(b)
		return x == y
	}
	switch x := a.(type) {
	case *List:
		y, ok := b.(*List)
		return ok && equalSlices(x.Items, y.Items, depth+1)
	case *Tuple:
		y, ok := b.(*Tuple)
		return ok && equalSlices(x.Items, y.Items, depth+1)
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.keys {
			v, ok := y.Get(k)
			if !ok || (x.vals[i] != v || isNaN(v)) && !equalDepth(x.vals[i], v, depth+1) {
				return false
			}
		}
		return true
	case *Undefined:
		_, ok := b.(*Undefined)
		return ok
	case *Range:
		y, ok := b.(*Range)
		return ok && equalSlices(rangeItems(x), rangeItems(y), depth+1)
	}
	return a == b
}

func isNaN(v any) bool {
	f, ok := v.(float64)
	return ok && f != f
}

func equalSlices(a, b []any, depth int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == b[i] && !isNaN(a[i]) {
			continue // Python compares elements by identity first
		}
		if !equalDepth(a[i], b[i], depth) {
			return false
		}
	}
	return true
}

// compareValues returns -1, 0 or 1 for the Python ordering of a and b.
func compareValues(op string, a, b any) (int, error) { return compareDepth(op, a, b, 0) }

func compareDepth(op string, a, b any, depth int) (int, error) {
	if depth > maxCompareDepth {
		return 0, newRuntimeError(KindRecursion, "maximum recursion depth exceeded in comparison")
	}
	a, b = demote(a), demote(b)
	if u, ok := a.(*Undefined); ok && u.kind != undefLenient {
		return 0, u.err()
	}
	if u, ok := b.(*Undefined); ok && u.kind != undefLenient {
		return 0, u.err()
	}
	if isNumber(a) && isNumber(b) {
		if x, ok := a.(int64); ok {
			if y, ok := b.(int64); ok {
				return cmpOrdered(x, y), nil
			}
		}
		if isIntLike(a) && isIntLike(b) {
			return toBig(a).Cmp(toBig(b)), nil
		}
		x, _ := toFloat(a)
		y, _ := toFloat(b)
		if math.IsNaN(x) || math.IsNaN(y) {
			return 2, nil
		}
		return cmpOrdered(x, y), nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case *List:
		if y, ok := b.(*List); ok {
			return compareSlices(op, x.Items, y.Items, depth+1)
		}
	case *Tuple:
		if y, ok := b.(*Tuple); ok {
			return compareSlices(op, x.Items, y.Items, depth+1)
		}
	}
	return 0, typeError("'%s' not supported between instances of '%s' and '%s'", op, typeName(a), typeName(b))
}

func cmpOrdered[T int64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func compareSlices(op string, a, b []any, depth int) (int, error) {
	for i := 0; i < len(a) && i < len(b); i++ {
		if equalDepth(a[i], b[i], depth) {
			continue
		}
		return compareDepth(op, a[i], b[i], depth)
	}
	return cmpOrdered(int64(len(a)), int64(len(b))), nil
}

// compareOp evaluates a comparison operator.
func compareOp(op string, a, b any) (bool, error) {
	if u, ok := a.(*Undefined); ok && u.kind == undefStrict && op != "in" && op != "notin" {
		return false, u.err()
	}
	if u, ok := b.(*Undefined); ok && u.kind == undefStrict {
		return false, u.err()
	}
	switch op {
	case "==":
		return equal(a, b), nil
	case "!=":
		return !equal(a, b), nil
	case "in":
		return contains(b, a)
	case "notin":
		ok, err := contains(b, a)
		return !ok, err
	}
	for _, x := range [2]any{a, b} {
		if u, ok := x.(*Undefined); ok {
			if u.kind == undefLenient {
				return false, nil
			}
			return false, u.err()
		}
	}
	c, err := compareValues(op, a, b)
	if err != nil {
		return false, err
	}
	if c == 2 {
		return false, nil
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("unknown operator %s", op)
}

// contains is Python's `item in container`.
func contains(container, item any) (bool, error) {
	container, item = demote(container), demote(item)
	if u, ok := item.(*Undefined); ok && u.kind == undefStrict {
		switch c := container.(type) {
		case *List:
			if len(c.Items) == 0 {
				return false, nil
			}
		case *Tuple:
			if len(c.Items) == 0 {
				return false, nil
			}
		case string:
			return false, typeError("'in <string>' requires string as left operand, not StrictUndefined")
		}
		return false, u.err()
	}
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, typeError("'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case *List:
		for _, it := range c.Items {
			if equal(it, item) {
				return true, nil
			}
		}
		return false, nil
	case *Tuple:
		for _, it := range c.Items {
			if equal(it, item) {
				return true, nil
			}
		}
		return false, nil
	case *Dict:
		if _, err := hashKey(item); err != nil {
			return false, err
		}
		_, ok := c.Get(item)
		return ok, nil
	case *Range:
		n, ok := intOf(item)
		if !ok {
			return false, nil
		}
		for _, it := range rangeItems(c) {
			if it.(int64) == n {
				return true, nil
			}
		}
		return false, nil
	case *Generator:
		items, err := iterate(c)
		if err != nil {
			return false, err
		}
		for _, it := range items {
			if equal(it, item) {
				return true, nil
			}
		}
		return false, nil
	case *Undefined:
		if c.kind == undefStrict {
			return false, c.err()
		}
		return false, nil
	}
	return false, typeError("argument of type '%s' is not iterable", typeName(container))
}

// length is Python's len().
func length(v any) (int, error) {
	v = demote(v)
	switch x := v.(type) {
	case string:
		return utf8.RuneCountInString(x), nil
	case *List:
		return len(x.Items), nil
	case *Tuple:
		return len(x.Items), nil
	case *Dict:
		return x.Len(), nil
	case *Range:
		return int(x.length()), nil
	case *Undefined:
		if x.kind == undefStrict {
			return 0, x.err()
		}
		return 0, nil
	}
	return 0, typeError("object of type '%s' has no len()", typeName(v))
}

// iterate returns the items Python's iter() would produce. Lists are
// returned without copying.
func iterate(v any) ([]any, error) {
	v = demote(v)
	switch x := v.(type) {
	case *List:
		return x.Items, nil
	case *Generator:
		if x.used {
			return nil, nil
		}
		x.used = true
		if x.thunk != nil {
			items, err := x.thunk()
			x.thunk = nil
			return items, err
		}
		return x.items, nil
	case *Tuple:
		return x.Items, nil
	case *Dict:
		return x.Keys(), nil
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	case *Range:
		if x.length() > maxSeqLen/8 {
			return nil, newRuntimeError("MemoryError", "range too large")
		}
		return rangeItems(x), nil
	case *Undefined:
		if x.kind == undefStrict {
			return nil, x.err()
		}
		return nil, nil
	}
	return nil, typeError("'%s' object is not iterable", typeName(v))
}

// strValue converts v to str for output, rejecting strict undefined.
func strValue(v any) (string, error) {
	v = demote(v)
	switch x := v.(type) {
	case string:
		return x, nil
	case *Undefined:
		if x.kind == undefStrict {
			return "", x.err()
		}
		return "", nil
	}
	return pyStr(v), nil
}
