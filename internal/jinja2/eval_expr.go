package jinja2

import (
	"fmt"
	"strings"
)

type kwVal struct {
	name string
	val  any
}

// args are the evaluated arguments of a call.
type args struct {
	pos []any
	kw  []kwVal
}

// get returns positional argument i or, failing that, keyword name.
func (a *args) get(i int, name string) (any, bool) {
	if a == nil {
		return nil, false
	}
	if i >= 0 && i < len(a.pos) {
		return a.pos[i], true
	}
	for _, k := range a.kw {
		if k.name == name {
			return k.val, true
		}
	}
	return nil, false
}

func (a *args) kwarg(name string) (any, bool) { return a.get(-1, name) }

func (e *constExpr) eval(*renderer, *frame) (any, error) { return e.val, nil }

func (e *nameExpr) eval(r *renderer, f *frame) (any, error) {
	return r.lookup(f, e.name), nil
}

func (e *nsRefExpr) eval(r *renderer, f *frame) (any, error) {
	return nil, fmt.Errorf("namespace reference is not an expression")
}

func (e *getattrExpr) eval(r *renderer, f *frame) (any, error) {
	obj, err := e.obj.eval(r, f)
	if err != nil {
		return nil, err
	}
	return r.getattr(obj, e.attr)
}

func (e *getitemExpr) eval(r *renderer, f *frame) (any, error) {
	obj, err := e.obj.eval(r, f)
	if err != nil {
		return nil, err
	}
	if s, ok := e.key.(*sliceExpr); ok {
		return r.slice(obj, s, f)
	}
	key, err := e.key.eval(r, f)
	if err != nil {
		return nil, err
	}
	return r.getitem(obj, key)
}

func (e *sliceExpr) eval(r *renderer, f *frame) (any, error) {
	return nil, fmt.Errorf("slice outside subscript")
}

func (e *binExpr) eval(r *renderer, f *frame) (any, error) {
	a, err := e.l.eval(r, f)
	if err != nil {
		return nil, err
	}
	b, err := e.r.eval(r, f)
	if err != nil {
		return nil, err
	}
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			if v, ok, err := smallIntOp(e.op, x, y); ok {
				return v, err
			}
		}
	}
	return r.binOp(e.op, a, b)
}

func (e *unaryExpr) eval(r *renderer, f *frame) (any, error) {
	v, err := e.x.eval(r, f)
	if err != nil {
		return nil, err
	}
	if u, ok := v.(*Undefined); ok {
		if u.kind == undefLenient {
			return u, nil
		}
		return nil, u.err()
	}
	if e.op == "+" {
		if isNumber(v) {
			if b, ok := v.(bool); ok {
				n, _ := intOf(b)
				return n, nil
			}
			return v, nil
		}
		return nil, typeError("bad operand type for unary +: '%s'", typeName(v))
	}
	switch x := v.(type) {
	case int64, bool:
		return r.binOp("-", int64(0), x)
	case float64:
		return -x, nil
	}
	if isNumber(v) {
		return r.binOp("-", int64(0), v)
	}
	return nil, typeError("bad operand type for unary -: '%s'", typeName(v))
}

func (e *notExpr) eval(r *renderer, f *frame) (any, error) {
	v, err := e.x.eval(r, f)
	if err != nil {
		return nil, err
	}
	b, err := truthy(v)
	return !b, err
}

func (e *andExpr) eval(r *renderer, f *frame) (any, error) {
	a, err := e.l.eval(r, f)
	if err != nil {
		return nil, err
	}
	t, err := truthy(a)
	if err != nil || !t {
		return a, err
	}
	return e.r.eval(r, f)
}

func (e *orExpr) eval(r *renderer, f *frame) (any, error) {
	a, err := e.l.eval(r, f)
	if err != nil {
		return nil, err
	}
	t, err := truthy(a)
	if err != nil || t {
		return a, err
	}
	return e.r.eval(r, f)
}

func (e *compareExpr) eval(r *renderer, f *frame) (any, error) {
	a, err := e.first.eval(r, f)
	if err != nil {
		return nil, err
	}
	for _, op := range e.ops {
		b, err := op.e.eval(r, f)
		if err != nil {
			return nil, err
		}
		ok, err := compareOp(op.op, a, b)
		if err != nil || !ok {
			return false, err
		}
		a = b
	}
	return true, nil
}

func (e *concatExpr) eval(r *renderer, f *frame) (any, error) {
	var b strings.Builder
	for _, p := range e.parts {
		v, err := p.eval(r, f)
		if err != nil {
			return nil, err
		}
		s, err := strValue(v)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func (e *condExpr) eval(r *renderer, f *frame) (any, error) {
	t, err := e.test.eval(r, f)
	if err != nil {
		return nil, err
	}
	ok, err := truthy(t)
	if err != nil {
		return nil, err
	}
	if ok {
		return e.a.eval(r, f)
	}
	if e.b == nil {
		return &Undefined{kind: undefPlain, hint: fmt.Sprintf("the inline if-expression on line %d evaluated to false and no else section was defined.", e.line)}, nil
	}
	return e.b.eval(r, f)
}

func evalList(r *renderer, f *frame, items []expr) ([]any, error) {
	out := make([]any, len(items))
	for i, it := range items {
		v, err := it.eval(r, f)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (e *listExpr) eval(r *renderer, f *frame) (any, error) {
	items, err := evalList(r, f, e.items)
	return &List{Items: items}, err
}

func (e *tupleExpr) eval(r *renderer, f *frame) (any, error) {
	items, err := evalList(r, f, e.items)
	return &Tuple{Items: items}, err
}

func (e *dictExpr) eval(r *renderer, f *frame) (any, error) {
	d := &Dict{}
	for i, k := range e.keys {
		kv, err := k.eval(r, f)
		if err != nil {
			return nil, err
		}
		vv, err := e.vals[i].eval(r, f)
		if err != nil {
			return nil, err
		}
		if err := d.Set(kv, vv); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (ca *callArgs) evalArgs(r *renderer, f *frame) (*args, error) {
	a := &args{}
	if len(ca.args) > 0 {
		pos, err := evalList(r, f, ca.args)
		if err != nil {
			return nil, err
		}
		a.pos = pos
	}
	for _, k := range ca.kwargs {
		v, err := k.val.eval(r, f)
		if err != nil {
			return nil, err
		}
		a.kw = append(a.kw, kwVal{k.name, v})
	}
	if ca.dynArgs != nil {
		v, err := ca.dynArgs.eval(r, f)
		if err != nil {
			return nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		a.pos = append(a.pos, items...)
	}
	if ca.dynKwargs != nil {
		v, err := ca.dynKwargs.eval(r, f)
		if err != nil {
			return nil, err
		}
		d, ok := v.(*Dict)
		if !ok {
			return nil, typeError("argument after ** must be a mapping, not %s", typeName(v))
		}
		for i, k := range d.keys {
			ks, ok := k.(string)
			if !ok {
				return nil, typeError("keywords must be strings")
			}
			a.kw = append(a.kw, kwVal{ks, d.vals[i]})
		}
	}
	return a, nil
}

func (e *callExpr) eval(r *renderer, f *frame) (any, error) {
	if ga, ok := e.fn.(*getattrExpr); ok {
		obj, err := ga.obj.eval(r, f)
		if err != nil {
			return nil, err
		}
		if hasMethod(obj, ga.attr) {
			a, err := e.evalArgs(r, f)
			if err != nil {
				return nil, err
			}
			if err := r.step(); err != nil {
				return nil, err
			}
			return r.callMethod(f, obj, ga.attr, a)
		}
		fn, err := r.getattr(obj, ga.attr)
		if err != nil {
			return nil, err
		}
		return r.callWith(f, fn, e)
	}
	fn, err := e.fn.eval(r, f)
	if err != nil {
		return nil, err
	}
	return r.callWith(f, fn, e)
}

func (r *renderer) callWith(f *frame, fn any, e *callExpr) (any, error) {
	if u, ok := fn.(*Undefined); ok {
		if u.kind == undefLenient {
			return u, nil
		}
		return nil, u.err()
	}
	a, err := e.evalArgs(r, f)
	if err != nil {
		return nil, err
	}
	return r.call(f, fn, a)
}

// call invokes a callable value.
func (r *renderer) call(f *frame, fn any, a *args) (any, error) {
	if err := r.step(); err != nil {
		return nil, err
	}
	switch x := fn.(type) {
	case *builtinFunc:
		return x.fn(r, f, a)
	case *Macro:
		return r.callMacro(x, a)
	case *boundMethod:
		return r.callMethod(f, x.recv, x.name, a)
	case *loopObj:
		if x.recurse == nil {
			return nil, typeError("The loop must be marked as recursive to be called")
		}
		if len(a.pos) != 1 {
			return nil, typeError("loop() takes exactly one argument")
		}
		return x.recurse(a.pos[0])
	case *joiner:
		return x.call(), nil
	case *Undefined:
		if x.kind == undefLenient {
			return x, nil
		}
		return nil, x.err()
	}
	return nil, typeError("'%s' object is not callable", typeName(fn))
}

func (e *filterExpr) eval(r *renderer, f *frame) (any, error) {
	v, err := e.x.eval(r, f)
	if err != nil {
		return nil, err
	}
	return e.apply(r, f, v)
}

func (e *filterExpr) apply(r *renderer, f *frame, v any) (any, error) {
	if e.fn == nil {
		return nil, newRuntimeError(KindRuntime, fmt.Sprintf("No filter named '%s' found.", e.name))
	}
	a, err := e.evalArgs(r, f)
	if err != nil {
		return nil, err
	}
	if err := r.step(); err != nil {
		return nil, err
	}
	if m, ok := v.(Markup); ok {
		switch e.name {
		case "escape", "e", "safe", "forceescape", "tojson", "default", "d", "list", "length", "count", "first", "last", "attr", "pprint", "truncate":
			return e.fn(r, f, v, a)
		}
		res, err := e.fn(r, f, string(m), a)
		if s, isStr := res.(string); isStr && markupPreservingFilters[e.name] {
			return Markup(s), err
		}
		return res, err
	}
	return e.fn(r, f, v, a)
}

func (e *testExpr) eval(r *renderer, f *frame) (any, error) {
	v, err := e.x.eval(r, f)
	if err != nil {
		return nil, err
	}
	if e.fn == nil {
		return nil, newRuntimeError(KindRuntime, fmt.Sprintf("No test named '%s' found.", e.name))
	}
	a, err := e.evalArgs(r, f)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(Markup); ok && e.name == "escaped" {
		return true, nil
	}
	return e.fn(r, demote(v), a)
}
