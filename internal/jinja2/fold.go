package jinja2

import (
	"context"
	"fmt"
)

// Jinja2's optimizer folds constant expressions while compiling, in every
// branch, also those that never run. Most failures make it give up quietly,
// but str() or bool() of an undefined constant (in ~, and, or, inline if)
// escapes and fails the compilation. foldCheck reproduces those errors.

type folder struct {
	r   *renderer
	err error
}

func (e *Environment) foldCheck(body []stmt) error {
	fo := &folder{r: e.newRenderer(context.Background(), nil)}
	fo.stmts(body)
	return fo.err
}

var errImpossible = &TemplateError{Kind: "Impossible"}

// fold is Node.as_const: a value, errImpossible, or an escaping error.
func (fo *folder) fold(e expr) (any, error) {
	switch x := e.(type) {
	case *constExpr:
		return x.val, nil
	case *getattrExpr:
		v, err := fo.fold(x.obj)
		if err != nil {
			return nil, errImpossible
		}
		if v, err = fo.r.getattr(v, x.attr); err != nil {
			return nil, errImpossible
		}
		return v, nil
	case *getitemExpr:
		v, err := fo.fold(x.obj)
		if err != nil {
			return nil, errImpossible
		}
		if s, ok := x.key.(*sliceExpr); ok {
			var parts [3]any
			for i, p := range []expr{s.start, s.stop, s.step} {
				if p == nil {
					continue
				}
				if parts[i], err = fo.fold(p); err != nil {
					return nil, errImpossible
				}
			}
			if v, err = sliceValue(v, parts[0], parts[1], parts[2]); err != nil {
				return nil, errImpossible
			}
			return v, nil
		}
		k, err := fo.fold(x.key)
		if err != nil {
			return nil, errImpossible
		}
		if v, err = fo.r.getitem(v, k); err != nil {
			return nil, errImpossible
		}
		return v, nil
	case *unaryExpr, *binExpr, *compareExpr, *notExpr:
		if !fo.childrenConst(e) {
			return nil, errImpossible
		}
		v, err := e.eval(fo.r, fo.r.root)
		if err != nil {
			return nil, errImpossible
		}
		return v, nil
	case *concatExpr:
		var parts []any
		for _, p := range x.parts {
			v, err := fo.fold(p)
			if err != nil {
				return nil, err
			}
			parts = append(parts, v)
		}
		for _, v := range parts {
			if _, err := strValue(v); err != nil {
				return nil, err
			}
		}
		return e.eval(fo.r, fo.r.root)
	case *andExpr, *orExpr:
		l, r := x.(interface{ sides() (expr, expr) }).sides()
		lv, err := fo.fold(l)
		if err != nil {
			return nil, err
		}
		t, err := truthy(lv)
		if err != nil {
			return nil, err
		}
		if _, isAnd := x.(*andExpr); isAnd != t {
			return lv, nil
		}
		return fo.fold(r)
	case *condExpr:
		tv, err := fo.fold(x.test)
		if err != nil {
			return nil, err
		}
		t, err := truthy(tv)
		if err != nil {
			return nil, err
		}
		if t {
			return fo.fold(x.a)
		}
		if x.b == nil {
			return nil, errImpossible
		}
		return fo.fold(x.b)
	case *listExpr, *tupleExpr, *dictExpr:
		if !fo.childrenConst(e) {
			return nil, errImpossible
		}
		return e.eval(fo.r, fo.r.root)
	case *filterExpr:
		switch x.name {
		case "map", "select", "reject", "selectattr", "rejectattr", "render":
			return nil, errImpossible
		}
		if x.fn == nil || x.x == nil || x.dynArgs != nil || x.dynKwargs != nil || !fo.argsConst(x.callArgs) {
			return nil, errImpossible
		}
		v, err := fo.fold(x.x)
		if err != nil {
			return nil, err
		}
		res, err := x.apply(fo.r, fo.r.root, v)
		if err != nil {
			return nil, errImpossible
		}
		return res, nil
	case *testExpr:
		if x.fn == nil || x.dynArgs != nil || x.dynKwargs != nil || !fo.argsConst(x.callArgs) {
			return nil, errImpossible
		}
		if _, err := fo.fold(x.x); err != nil {
			return nil, err
		}
		v, err := e.eval(fo.r, fo.r.root)
		if err != nil {
			return nil, errImpossible
		}
		return v, nil
	}
	return nil, errImpossible
}

func (x *andExpr) sides() (expr, expr) { return x.l, x.r }
func (x *orExpr) sides() (expr, expr)  { return x.l, x.r }

func (fo *folder) argsConst(ca callArgs) bool {
	for _, a := range ca.args {
		if _, err := fo.fold(a); err != nil {
			return false
		}
	}
	for _, k := range ca.kwargs {
		if _, err := fo.fold(k.val); err != nil {
			return false
		}
	}
	return true
}

func (fo *folder) childrenConst(e expr) bool {
	ok := true
	forEachChild(e, func(c expr) {
		if _, err := fo.fold(c); err != nil {
			ok = false
		}
	})
	return ok
}

// forEachChild calls f for the direct sub-expressions of e.
func forEachChild(e expr, f func(expr)) {
	switch x := e.(type) {
	case *getattrExpr:
		f(x.obj)
	case *getitemExpr:
		f(x.obj)
		if s, ok := x.key.(*sliceExpr); ok {
			for _, p := range []expr{s.start, s.stop, s.step} {
				if p != nil {
					f(p)
				}
			}
		} else {
			f(x.key)
		}
	case *binExpr:
		f(x.l)
		f(x.r)
	case *unaryExpr:
		f(x.x)
	case *notExpr:
		f(x.x)
	case *andExpr:
		f(x.l)
		f(x.r)
	case *orExpr:
		f(x.l)
		f(x.r)
	case *compareExpr:
		f(x.first)
		for _, o := range x.ops {
			f(o.e)
		}
	case *concatExpr:
		for _, p := range x.parts {
			f(p)
		}
	case *condExpr:
		f(x.test)
		f(x.a)
		if x.b != nil {
			f(x.b)
		}
	case *listExpr:
		for _, it := range x.items {
			f(it)
		}
	case *tupleExpr:
		for _, it := range x.items {
			f(it)
		}
	case *dictExpr:
		for i := range x.keys {
			f(x.keys[i])
			f(x.vals[i])
		}
	case *callExpr:
		f(x.fn)
		eachArg(x.callArgs, f)
	case *filterExpr:
		if x.x != nil {
			f(x.x)
		}
		eachArg(x.callArgs, f)
	case *testExpr:
		f(x.x)
		eachArg(x.callArgs, f)
	}
}

func eachArg(ca callArgs, f func(expr)) {
	for _, a := range ca.args {
		f(a)
	}
	for _, k := range ca.kwargs {
		f(k.val)
	}
	if ca.dynArgs != nil {
		f(ca.dynArgs)
	}
	if ca.dynKwargs != nil {
		f(ca.dynKwargs)
	}
}

// markSoft marks the filters and tests in e as soft: e is part of an inline
// if, which Jinja2 compiles in a soft frame.
func markSoft(e expr) {
	switch x := e.(type) {
	case *filterExpr:
		x.soft = true
	case *testExpr:
		x.soft = true
	}
	forEachChild(e, markSoft)
}

// hasSafeRepr mirrors jinja2.compiler.has_safe_repr: only such values
// replace the folded expression.
func hasSafeRepr(v any) bool {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, Markup, *Range:
		return true
	case *List:
		for _, it := range x.Items {
			if !hasSafeRepr(it) {
				return false
			}
		}
		return x.view == ""
	case *Tuple:
		for _, it := range x.Items {
			if !hasSafeRepr(it) {
				return false
			}
		}
		return true
	case *Dict:
		for i, k := range x.keys {
			if !hasSafeRepr(k) || !hasSafeRepr(x.vals[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// unknownNames reports a filter or test that does not exist, top-down like
// Jinja2's code generator, skipping subtrees the optimizer folds away.
func (fo *folder) unknownNames(e expr) {
	if e == nil || fo.err != nil || !hasUnknownName(e) {
		return
	}
	if v, err := fo.fold(e); err == nil && hasSafeRepr(v) {
		return
	}
	switch x := e.(type) {
	case *filterExpr:
		if x.fn == nil && !x.soft {
			fo.err = &TemplateError{Kind: KindAssertion, Message: fmt.Sprintf("No filter named '%s'.", x.name), Line: x.line, Syntax: true}
			return
		}
	case *testExpr:
		if x.fn == nil && !x.soft {
			fo.err = &TemplateError{Kind: KindAssertion, Message: fmt.Sprintf("No test named '%s'.", x.name), Line: x.line, Syntax: true}
			return
		}
	}
	forEachChild(e, fo.unknownNames)
}

// hasUnknownName reports whether e uses a filter or test that does not
// exist outside a soft frame.
func hasUnknownName(e expr) bool {
	switch x := e.(type) {
	case *filterExpr:
		if x.fn == nil && !x.soft {
			return true
		}
	case *testExpr:
		if x.fn == nil && !x.soft {
			return true
		}
	}
	found := false
	forEachChild(e, func(c expr) {
		if !found && hasUnknownName(c) {
			found = true
		}
	})
	return found
}

// expr checks one expression of a statement as Jinja2 compiles it.
func (fo *folder) expr(e expr, line int) {
	fo.escapes(e, line)
	fo.unknownNames(e)
}

// escapes visits e bottom-up and records the first escaping fold error.
func (fo *folder) escapes(e expr, line int) {
	if e == nil || fo.err != nil {
		return
	}
	forEachChild(e, func(c expr) { fo.escapes(c, line) })
	if fo.err != nil {
		return
	}
	switch e.(type) {
	case *concatExpr, *andExpr, *orExpr, *condExpr:
		if _, err := fo.fold(e); err != nil && err != errImpossible {
			if te, ok := err.(*TemplateError); ok {
				te.Line, te.Syntax = line, true
			}
			fo.err = err
		}
	}
}

func (fo *folder) stmts(body []stmt) {
	for _, s := range body {
		if fo.err != nil {
			return
		}
		fo.stmt(s)
	}
}

func (fo *folder) stmt(s stmt) {
	switch x := s.(type) {
	case *printStmt:
		fo.expr(x.x, x.line)
	case *ifStmt:
		for i, c := range x.conds {
			fo.expr(c, x.lines[i])
			fo.stmts(x.bodies[i])
		}
		fo.stmts(x.els)
	case *forStmt:
		fo.expr(x.iter, x.line)
		fo.expr(x.filter, x.line)
		fo.stmts(x.body)
		fo.stmts(x.els)
	case *setStmt:
		fo.expr(x.value, x.line)
	case *setBlockStmt:
		fo.stmts(x.body)
		for _, f := range x.filters {
			fo.expr(f, x.line)
		}
	case *macroStmt:
		for _, d := range x.def.defaults {
			fo.expr(d, x.def.line)
		}
		fo.stmts(x.def.body)
	case *callBlockStmt:
		for _, d := range x.def.defaults {
			fo.expr(d, x.line)
		}
		fo.stmts(x.def.body)
		fo.expr(x.call, x.line)
	case *filterBlockStmt:
		fo.stmts(x.body)
		for _, f := range x.filters {
			fo.expr(f, x.line)
		}
	case *withStmt:
		for _, v := range x.values {
			fo.expr(v, x.valueLine)
		}
		fo.stmts(x.body)
	case *includeStmt:
		fo.expr(x.tmpl, x.line)
	case *importStmt:
		fo.expr(x.tmpl, x.line)
	case *fromImportStmt:
		fo.expr(x.tmpl, x.line)
	case *extendsStmt:
		fo.expr(x.tmpl, x.line)
	case *blockStmt:
		fo.stmts(x.body)
	case *doStmt:
		fo.expr(x.x, x.line)
	}
}
