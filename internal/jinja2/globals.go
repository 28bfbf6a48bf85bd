package jinja2

// builtinFunc is a Go function callable from templates.
type builtinFunc struct {
	name string
	repr string // Python's repr when it is not "<built-in function name>"
	fn   func(r *renderer, f *frame, a *args) (any, error)
}

func fn(name string, f func(r *renderer, fr *frame, a *args) (any, error)) *builtinFunc {
	return &builtinFunc{name: name, fn: f}
}

func globalRange(r *renderer, f *frame, a *args) (any, error) {
	var nums []int64
	for _, v := range a.pos {
		n, ok := intOf(v)
		if !ok {
			return nil, typeError("'%s' object cannot be interpreted as an integer", typeName(v))
		}
		nums = append(nums, n)
	}
	switch len(nums) {
	case 1:
		return &Range{0, nums[0], 1}, nil
	case 2:
		return &Range{nums[0], nums[1], 1}, nil
	case 3:
		if nums[2] == 0 {
			return nil, valueError("range() arg 3 must not be zero")
		}
		return &Range{nums[0], nums[1], nums[2]}, nil
	}
	return nil, typeError("range expected at most 3 arguments, got %d", len(nums))
}

func dictFromArgs(a *args) (*Dict, error) {
	d := &Dict{}
	if len(a.pos) > 0 {
		if _, err := dictMethod(d, "update", &args{pos: a.pos[:1]}); err != nil {
			return nil, err
		}
	}
	for _, k := range a.kw {
		d.SetStr(k.name, k.val)
	}
	return d, nil
}

func builtinGlobals() map[string]any {
	m := map[string]any{
		"range": fn("range", globalRange),
		"dict": fn("dict", func(r *renderer, f *frame, a *args) (any, error) {
			return dictFromArgs(a)
		}),
		"namespace": fn("namespace", func(r *renderer, f *frame, a *args) (any, error) {
			d, err := dictFromArgs(a)
			return &Namespace{attrs: d}, err
		}),
		"cycler": fn("cycler", func(r *renderer, f *frame, a *args) (any, error) {
			return &cycler{items: append([]any(nil), a.pos...)}, nil
		}),
		"joiner": fn("joiner", func(r *renderer, f *frame, a *args) (any, error) {
			sep := ", "
			if v, ok := a.get(0, "sep"); ok {
				sep = pyStr(v)
			}
			return &joiner{sep: sep}, nil
		}),
		"lipsum": fn("lipsum", func(r *renderer, f *frame, a *args) (any, error) {
			n, err := argInt(a, 0, "n", 5)
			return lipsum(n), err
		}),
	}
	for name, repr := range map[string]string{
		"range": "<class 'range'>", "dict": "<class 'dict'>", "namespace": "<class 'jinja2.utils.Namespace'>",
		"cycler": "<class 'jinja2.utils.Cycler'>", "joiner": "<class 'jinja2.utils.Joiner'>",
		"lipsum": "<function generate_lorem_ipsum at 0x7f0000000000>",
	} {
		m[name].(*builtinFunc).repr = repr
	}
	for k, v := range kluctlGlobals() {
		m[k] = v
	}
	return m
}
