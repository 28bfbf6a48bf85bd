package jinja2

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var getVarPathRe = regexp.MustCompile(`[^.\[\]]+|\[\d+\]`)

// getVarPath navigates the context by a dotted path such as a.b[0].c.
func (r *renderer) getVarPath(f *frame, path string) (any, bool) {
	parts := getVarPathRe.FindAllString(path, -1)
	if len(parts) == 0 {
		return nil, false
	}
	var cur any
	if v, ok := f.lookup(parts[0]); ok {
		cur = v
	} else if v, ok := r.global(parts[0]); ok {
		cur = v
	} else {
		return nil, false
	}
	for _, p := range parts[1:] {
		switch x := cur.(type) {
		case *Dict:
			key := p
			if strings.HasPrefix(p, "[") {
				n, _ := strconv.ParseInt(p[1:len(p)-1], 10, 64)
				v, ok := x.Get(n)
				if !ok {
					return nil, false
				}
				cur = v
				continue
			}
			v, ok := x.GetStr(key)
			if !ok {
				return nil, false
			}
			cur = v
		case *List:
			s := strings.Trim(p, "[]")
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n >= len(x.Items) {
				return nil, false
			}
			cur = x.Items[n]
		case *Namespace:
			v, ok := x.attrs.GetStr(p)
			if !ok {
				return nil, false
			}
			cur = v
		default:
			return nil, false
		}
	}
	if _, undef := cur.(*Undefined); undef {
		return nil, false
	}
	return cur, true
}

func globalGetVar(r *renderer, f *frame, a *args) (any, error) {
	pv, _ := a.get(0, "field_path")
	def, _ := a.get(1, "default")
	var paths []any
	switch x := pv.(type) {
	case string:
		paths = []any{x}
	case *List, *Tuple:
		paths, _ = iterate(x)
	default:
		return nil, typeError("get_var: field_path must be a string or a list")
	}
	for _, p := range paths {
		s, ok := p.(string)
		if !ok {
			continue
		}
		if v, ok := r.getVarPath(f, s); ok && v != nil {
			return v, nil
		}
	}
	return def, nil
}

func deepCopy(v any) any { return deepCopyDepth(v, 0) }

func deepCopyDepth(v any, depth int) any {
	if depth > maxNestingDepth {
		return v
	}
	switch x := v.(type) {
	case *Dict:
		d := &Dict{}
		for i, k := range x.keys {
			_ = d.Set(k, deepCopyDepth(x.vals[i], depth+1))
		}
		return d
	case *List:
		items := make([]any, len(x.Items))
		for i, it := range x.Items {
			items[i] = deepCopyDepth(it, depth+1)
		}
		return &List{Items: items}
	}
	return v
}

func mergeInto(dst, src *Dict) { mergeDepth(dst, src, 0) }

func mergeDepth(dst, src *Dict, depth int) {
	if depth > maxNestingDepth || dst == src {
		return
	}
	for i, k := range src.keys {
		sv := src.vals[i]
		if dv, ok := dst.Get(k); ok {
			dd, ok1 := dv.(*Dict)
			sd, ok2 := sv.(*Dict)
			if ok1 && ok2 {
				mergeDepth(dd, sd, depth+1)
				continue
			}
		}
		_ = dst.Set(k, deepCopy(sv))
	}
}

func dictArgs(a *args, name string) (*Dict, *Dict, error) {
	v1, _ := a.get(0, "d1")
	v2, _ := a.get(1, "d2")
	d1, ok1 := v1.(*Dict)
	d2, ok2 := v2.(*Dict)
	if !ok1 || !ok2 {
		if v2 == nil && ok1 {
			return d1, &Dict{}, nil
		}
		return nil, nil, typeError("%s expects two dicts, got %s and %s", name, typeName(v1), typeName(v2))
	}
	return d1, d2, nil
}

// loadFile resolves a template file relative to the current template.
func (r *renderer) loadFile(v any) (*Template, error) {
	name, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return r.loadTemplate(name)
}

func (r *renderer) renderFile(f *frame, t *Template, extra []kwVal) (string, error) {
	if err := r.enter(); err != nil {
		return "", err
	}
	defer r.leave()
	top := &frame{parent: f}
	for _, k := range extra {
		top.set(k.name, k.val)
	}
	var b output
	if err := r.execTemplate(t, top, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

func globalLoadTemplate(r *renderer, f *frame, a *args) (any, error) {
	v, _ := a.get(0, "file")
	t, err := r.loadFile(v)
	if err != nil {
		return nil, err
	}
	var extra []kwVal
	for _, k := range a.kw {
		if k.name != "file" {
			extra = append(extra, k)
		}
	}
	return r.renderFile(f, t, extra)
}

func globalLoadSha256(r *renderer, f *frame, a *args) (any, error) {
	v, _ := a.get(0, "file")
	t, err := r.loadFile(v)
	if err != nil {
		return nil, err
	}
	var out string
	if r.loading[t.filename] || (r.tmpl != nil && t.filename != "" && t.filename == r.tmpl.filename) {
		out = "__self_sha256__"
	} else {
		if r.loading == nil {
			r.loading = map[string]bool{}
		}
		r.loading[t.filename] = true
		out, err = r.renderFile(f, t, nil)
		delete(r.loading, t.filename)
		if err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256([]byte(out))
	h := hex.EncodeToString(sum[:])
	if n, ok := a.get(1, "digest_len"); ok && n != nil {
		if l, ok := intOf(n); ok && l >= 0 && int(l) < len(h) {
			h = h[:l]
		}
	}
	return h, nil
}

func globalLoadBase64(r *renderer, f *frame, a *args) (any, error) {
	v, _ := a.get(0, "file")
	t, err := r.loadFile(v)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(t.filename)
	if err != nil {
		return nil, notFound(t.name)
	}
	s := base64.StdEncoding.EncodeToString(raw)
	if w, ok := a.get(1, "width"); ok && w != nil {
		if n, ok := intOf(w); ok && n > 0 {
			var lines []string
			for len(s) > int(n) {
				lines = append(lines, s[:n])
				s = s[n:]
			}
			lines = append(lines, s)
			s = strings.Join(lines, "\n")
		}
	}
	return s, nil
}

func kluctlGlobals() map[string]any {
	return map[string]any{
		"get_var": fn("get_var", globalGetVar),
		"merge_dict": fn("merge_dict", func(r *renderer, f *frame, a *args) (any, error) {
			d1, d2, err := dictArgs(a, "merge_dict")
			if err != nil {
				return nil, err
			}
			out := deepCopy(d1).(*Dict)
			mergeInto(out, d2)
			return out, nil
		}),
		"update_dict": fn("update_dict", func(r *renderer, f *frame, a *args) (any, error) {
			d1, d2, err := dictArgs(a, "update_dict")
			if err != nil {
				return nil, err
			}
			mergeInto(d1, d2)
			return d1, nil
		}),
		"load_template": fn("load_template", globalLoadTemplate),
		"load_sha256":   fn("load_sha256", globalLoadSha256),
		"load_base64":   fn("load_base64", globalLoadBase64),
		"raise": fn("raise", func(r *renderer, f *frame, a *args) (any, error) {
			msg, _ := a.get(0, "msg")
			return nil, newRuntimeError(KindRaise, pyStr(msg))
		}),
		"debug_print": fn("debug_print", func(r *renderer, f *frame, a *args) (any, error) {
			if w := r.env.opts.DebugOutput; w != nil {
				parts := make([]string, len(a.pos))
				for i, p := range a.pos {
					parts[i] = pyStr(p)
				}
				fmt.Fprintln(w, strings.Join(parts, " "))
			}
			return "", nil
		}),
		"render": fn("render", func(r *renderer, f *frame, a *args) (any, error) {
			v, _ := a.get(0, "template")
			s, err := strValue(v)
			if err != nil {
				return nil, err
			}
			return r.renderInContext(f, s, nil)
		}),
		"time": timeModule(),
	}
}
