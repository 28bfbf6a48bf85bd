package jinja2

import "context"

// Func is a Go function callable from templates, for globals supplied in
// Options.Globals. It receives the positional and keyword arguments as
// plain Go values (see ToGo) and returns a Go value (see FromGo).
type Func func(ctx context.Context, args []any, kwargs map[string]any) (any, error)

// NewFunc wraps f so that templates can call it as name(...).
func NewFunc(name string, f Func) any {
	return &builtinFunc{name: name, fn: func(r *renderer, _ *frame, a *args) (any, error) {
		pos := make([]any, len(a.pos))
		for i, v := range a.pos {
			if u, ok := v.(*Undefined); ok {
				if err := u.errIfStrict(); err != nil {
					return nil, err
				}
			}
			pos[i] = ToGo(v)
		}
		kw := make(map[string]any, len(a.kw))
		for _, k := range a.kw {
			kw[k.name] = ToGo(k.val)
		}
		out, err := f(r.ctx, pos, kw)
		if err != nil {
			return nil, err
		}
		return FromGo(out), nil
	}}
}
