package jinja2

import (
	"fmt"
)

func (s *dataStmt) exec(r *renderer, f *frame, w *output) error {
	w.WriteString(s.text)
	return nil
}

func (s *printStmt) exec(r *renderer, f *frame, w *output) error {
	v, err := s.x.eval(r, f)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	switch x := v.(type) {
	case string:
		w.WriteString(x)
		return nil
	case *Undefined:
		if x.kind == undefStrict {
			return locate(x.err(), r.tmpl, s.line)
		}
		return nil
	}
	w.WriteString(pyStr(v))
	return nil
}

func (s *ifStmt) exec(r *renderer, f *frame, w *output) error {
	for i, c := range s.conds {
		v, err := c.eval(r, f)
		if err != nil {
			return locate(err, r.tmpl, s.lines[i])
		}
		ok, err := truthy(v)
		if err != nil {
			return locate(err, r.tmpl, s.lines[i])
		}
		if ok {
			return r.execBody(s.bodies[i], f, w)
		}
	}
	return r.execBody(s.els, f, w)
}

// assign binds a value to an assignment target in frame f.
func (r *renderer) assign(f *frame, target expr, v any) error {
	switch t := target.(type) {
	case *nameExpr:
		f.set(t.name, v)
		return nil
	case *tupleExpr:
		items, err := iterate(v)
		if err != nil {
			if _, ok := err.(*TemplateError); ok && isNumber(v) {
				return typeError("cannot unpack non-iterable %s object", typeName(v))
			}
			return err
		}
		if len(items) < len(t.items) {
			return valueError("not enough values to unpack (expected %d, got %d)", len(t.items), len(items))
		}
		if len(items) > len(t.items) {
			return valueError("too many values to unpack (expected %d)", len(t.items))
		}
		for i, it := range t.items {
			if err := r.assign(f, it, items[i]); err != nil {
				return err
			}
		}
		return nil
	case *nsRefExpr:
		ns, ok := r.lookup(f, t.name).(*Namespace)
		if !ok {
			return newRuntimeError(KindRuntime, "cannot assign attribute on non-namespace object")
		}
		ns.attrs.SetStr(t.attr, v)
		return nil
	}
	return fmt.Errorf("cannot assign to %T", target)
}

func (s *setStmt) exec(r *renderer, f *frame, w *output) error {
	v, err := s.value.eval(r, f)
	if err == nil {
		err = r.assign(f, s.target, v)
	}
	return locate(err, r.tmpl, s.line)
}

func (r *renderer) applyFilters(f *frame, filters []*filterExpr, v any) (any, error) {
	for _, fe := range filters {
		var err error
		if v, err = fe.apply(r, f, v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *setBlockStmt) exec(r *renderer, f *frame, w *output) error {
	var b output
	if err := r.execBody(s.body, &frame{parent: f}, &b); err != nil {
		return err
	}
	v, err := r.applyFilters(f, s.filters, b.String())
	if err == nil {
		err = r.assign(f, s.target, v)
	}
	return locate(err, r.tmpl, s.line)
}

func (s *filterBlockStmt) exec(r *renderer, f *frame, w *output) error {
	var b output
	if err := r.execBody(s.body, &frame{parent: f}, &b); err != nil {
		return err
	}
	v, err := r.applyFilters(f, s.filters, b.String())
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	str, err := strValue(v)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	w.WriteString(str)
	return nil
}

func (s *withStmt) exec(r *renderer, f *frame, w *output) error {
	inner := &frame{parent: f}
	for i, t := range s.targets {
		v, err := s.values[i].eval(r, f)
		if err == nil {
			err = r.assign(inner, t, v)
		}
		if err != nil {
			return locate(err, r.tmpl, s.valueLine)
		}
	}
	return r.execBody(s.body, inner, w)
}

func (s *loopControlStmt) exec(r *renderer, f *frame, w *output) error { return s.sig }

func (s *doStmt) exec(r *renderer, f *frame, w *output) error {
	_, err := s.x.eval(r, f)
	return locate(err, r.tmpl, s.line)
}

func (s *macroStmt) exec(r *renderer, f *frame, w *output) error {
	f.set(s.def.name, &Macro{def: s.def, name: s.def.name, closure: f, tmpl: r.tmpl})
	return nil
}

func (s *callBlockStmt) exec(r *renderer, f *frame, w *output) error {
	caller := &Macro{def: s.def, name: "caller", closure: f, tmpl: r.tmpl}
	fn, err := s.call.fn.eval(r, f)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	a, err := s.call.evalArgs(r, f)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	a.kw = append(a.kw, kwVal{"caller", caller})
	v, err := r.call(f, fn, a)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	str, err := strValue(v)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	w.WriteString(str)
	return nil
}

func (s *forStmt) exec(r *renderer, f *frame, w *output) error {
	it, err := s.iter.eval(r, f)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	return locate(r.runFor(s, f, it, 0, w), r.tmpl, s.line)
}

func (r *renderer) runFor(s *forStmt, f *frame, it any, depth int, w *output) error {
	var items []any
	var live *List
	switch x := it.(type) {
	case *List:
		if s.filter == nil {
			live = x
		} else {
			items = x.Items
		}
	case *Undefined:
		if x.kind == undefStrict {
			return x.err()
		}
	default:
		var err error
		if items, err = iterate(it); err != nil {
			return err
		}
	}
	if s.filter != nil {
		var kept []any
		for _, item := range items {
			tmp := &frame{parent: f}
			if err := r.assign(tmp, s.target, item); err != nil {
				return err
			}
			v, err := s.filter.eval(r, tmp)
			if err != nil {
				return err
			}
			ok, err := truthy(v)
			if err != nil {
				return err
			}
			if ok {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	loop := &loopObj{items: items, live: live, depth0: depth}
	if s.recursive {
		loop.recurse = func(v any) (any, error) {
			if err := r.enter(); err != nil {
				return nil, err
			}
			defer r.leave()
			var b output
			if err := r.runFor(s, f, v, depth+1, &b); err != nil {
				return nil, err
			}
			return b.String(), nil
		}
	}
	n := 0
	for i := 0; i < loop.len(); i++ {
		if err := r.step(); err != nil {
			return err
		}
		item := loop.at(i)
		loop.index0 = i
		inner := &frame{parent: f, names: make([]string, 0, 4), vals: make([]any, 0, 4)}
		inner.names = append(inner.names, "loop")
		inner.vals = append(inner.vals, loop)
		if err := r.assign(inner, s.target, item); err != nil {
			return err
		}
		n++
		err := r.execBody(s.body, inner, w)
		if err == sigBreak {
			break
		}
		if err != nil && err != sigContinue {
			return err
		}
	}
	if n == 0 {
		return r.execBody(s.els, &frame{parent: f}, w)
	}
	return nil
}

func (s *blockStmt) exec(r *renderer, f *frame, w *output) error {
	if r.run.parent != nil {
		return nil // the extended template renders the blocks
	}
	chain := r.run.blocks[s.name]
	if len(chain) == 0 {
		chain = []blockRef{{s, r.tmpl}}
	}
	return r.renderBlock(chain, 0, f, w)
}

func (r *renderer) renderBlock(chain []blockRef, i int, f *frame, w *output) error {
	ref := chain[i]
	parent := r.run.top
	if ref.b.scoped {
		parent = f
	}
	inner := &frame{parent: parent}
	inner.set("super", &builtinFunc{name: "super", fn: func(r *renderer, _ *frame, _ *args) (any, error) {
		if i+1 >= len(chain) {
			return nil, newRuntimeError(KindRuntime, fmt.Sprintf("there is no parent block called '%s'.", ref.b.name))
		}
		var b output
		if err := r.renderBlock(chain, i+1, f, &b); err != nil {
			return nil, err
		}
		return b.String(), nil
	}})
	prev := r.tmpl
	r.tmpl = ref.t
	defer func() { r.tmpl = prev }()
	return r.execBody(ref.b.body, inner, w)
}

// selfRef is the `self` variable: a module whose attributes render the
// blocks of the current template hierarchy.
func (r *renderer) selfRef() *Module {
	m := &Module{name: "self", exports: &Dict{}}
	run := r.run
	for name, chain := range run.blocks {
		m.exports.SetStr(name, &builtinFunc{name: name, fn: func(r *renderer, f *frame, _ *args) (any, error) {
			var b output
			saved := r.run
			r.run = run
			err := r.renderBlock(chain, 0, f, &b)
			r.run = saved
			return b.String(), err
		}})
	}
	return m
}

func (s *extendsStmt) exec(r *renderer, f *frame, w *output) error {
	if r.run.parent != nil {
		return locate(newRuntimeError(KindRuntime, "extended multiple times"), r.tmpl, s.line)
	}
	v, err := s.tmpl.eval(r, f)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	t, err := r.loadTemplate(v)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	r.run.parent = t
	return nil
}

// loadTemplate resolves a template value (a name, a list of names or a
// Template) relative to the current template.
func (r *renderer) loadTemplate(v any) (*Template, error) {
	from := ""
	if r.tmpl != nil {
		from = r.tmpl.base
	}
	switch x := v.(type) {
	case string:
		return r.env.getTemplate(x, from)
	case *Template:
		return x, nil
	case *List, *Tuple:
		items, _ := iterate(x)
		var names []string
		for _, it := range items {
			s, err := strValue(it)
			if err != nil {
				return nil, err
			}
			t, err := r.env.getTemplate(s, from)
			if err == nil {
				return t, nil
			}
			if te, ok := err.(*TemplateError); !ok || te.Kind != KindNotFound {
				return nil, err
			}
			names = append(names, pyRepr(s))
		}
		return nil, &TemplateError{Kind: "TemplatesNotFound", Message: fmt.Sprintf("none of the templates given were found: %s", joinStr(names, ", "))}
	case *Undefined:
		return nil, x.err()
	}
	return nil, typeError("template name must be a string, not %s", typeName(v))
}

func joinStr(items []string, sep string) string {
	out := ""
	for i, s := range items {
		if i > 0 {
			out += sep
		}
		out += s
	}
	return out
}

func isNotFound(err error) bool {
	te, ok := err.(*TemplateError)
	return ok && (te.Kind == KindNotFound || te.Kind == "TemplatesNotFound")
}

func (s *includeStmt) exec(r *renderer, f *frame, w *output) error {
	v, err := s.tmpl.eval(r, f)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	t, err := r.loadTemplate(v)
	if err != nil {
		if s.ignoreMissing && isNotFound(err) {
			return nil
		}
		return locate(err, r.tmpl, s.line)
	}
	if err := r.enter(); err != nil {
		return locate(err, r.tmpl, s.line)
	}
	defer r.leave()
	parent := r.root
	if s.withContext {
		parent = f
	}
	return locate(r.execTemplate(t, &frame{parent: parent}, w), r.tmpl, s.line)
}

// importModule renders t as a module and collects its exports.
func (r *renderer) importModule(t *Template, parent *frame) (*Module, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	top := &frame{parent: parent}
	var discard output
	if err := r.execTemplate(t, top, &discard); err != nil {
		return nil, err
	}
	m := &Module{name: t.name, exports: &Dict{}}
	for i, n := range top.names {
		if len(n) > 0 && n[0] != '_' {
			m.exports.SetStr(n, top.vals[i])
		}
	}
	return m, nil
}

func (s *importStmt) exec(r *renderer, f *frame, w *output) error {
	v, err := s.tmpl.eval(r, f)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	t, err := r.loadTemplate(v)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	parent := r.root
	if s.withContext {
		parent = f
	}
	m, err := r.importModule(t, parent)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	f.set(s.target, m)
	return nil
}

func (s *fromImportStmt) exec(r *renderer, f *frame, w *output) error {
	v, err := s.tmpl.eval(r, f)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	t, err := r.loadTemplate(v)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	parent := r.root
	if s.withContext {
		parent = f
	}
	m, err := r.importModule(t, parent)
	if err != nil {
		return locate(err, r.tmpl, s.line)
	}
	for _, n := range s.names {
		val, ok := m.exports.GetStr(n[0])
		if !ok {
			val = &Undefined{kind: r.undef, name: n[0], hint: fmt.Sprintf("the template %s (imported on line %d) does not export the requested name %s", pyRepr(t.name), s.line, pyRepr(n[0]))}
		}
		f.set(n[1], val)
	}
	return nil
}
