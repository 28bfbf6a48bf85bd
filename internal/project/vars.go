package project

import (
	"fmt"
	"sort"
	"strings"
)

// Vars is a templating context: nested maps of variables plus the values
// that must never be printed.
type Vars struct {
	Values    map[string]any
	Sensitive map[string]struct{}
}

// NewVars returns an empty context.
func NewVars() *Vars {
	return &Vars{Values: map[string]any{}, Sensitive: map[string]struct{}{}}
}

// Copy returns a deep copy so that children cannot change their parents.
func (v *Vars) Copy() *Vars {
	c := &Vars{Values: deepCopyMap(v.Values), Sensitive: make(map[string]struct{}, len(v.Sensitive))}
	for k := range v.Sensitive {
		c.Sensitive[k] = struct{}{}
	}
	return c
}

// Set replaces a top-level variable.
func (v *Vars) Set(key string, value any) { v.Values[key] = deepCopy(value) }

// Merge deep-merges src into the context. Maps merge recursively; other
// values replace what was there, unless noOverride keeps existing values.
func (v *Vars) Merge(src map[string]any, noOverride bool) {
	mergeInto(v.Values, deepCopyMap(src), noOverride)
}

// MarkSensitive records the leaves of value as secrets: strings of at
// least 3 characters and numbers of at least 6 digits. Booleans and short
// numbers are not recorded: masking "true" or "80" would garble every diff
// without hiding anything.
func (v *Vars) MarkSensitive(value any) {
	walkScalars(value, func(x any) {
		switch s := x.(type) {
		case string:
			if len(s) >= 3 {
				v.Sensitive[s] = struct{}{}
			}
		case bool, nil:
		default:
			if str := fmt.Sprint(s); len(str) >= 6 {
				v.Sensitive[str] = struct{}{}
			}
		}
	})
}

func walkScalars(value any, f func(any)) {
	switch x := value.(type) {
	case map[string]any:
		for _, e := range x {
			walkScalars(e, f)
		}
	case []any:
		for _, e := range x {
			walkScalars(e, f)
		}
	default:
		f(x)
	}
}

// SensitiveValues returns the recorded secrets, longest first, so that
// masking replaces longer secrets before their substrings.
func (v *Vars) SensitiveValues() []string {
	out := make([]string, 0, len(v.Sensitive))
	for s := range v.Sensitive {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

func mergeInto(dst, src map[string]any, noOverride bool) {
	for k, sv := range src {
		dv, exists := dst[k]
		dm, dIsMap := dv.(map[string]any)
		sm, sIsMap := sv.(map[string]any)
		switch {
		case exists && dIsMap && sIsMap:
			mergeInto(dm, sm, noOverride)
		case exists && noOverride:
		default:
			dst[k] = sv
		}
	}
}

func deepCopyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// wrapTargetPath nests value under a dotted path such as "a.b.c". Only
// simple paths (no wildcards or lists) are allowed, as in the original.
func wrapTargetPath(targetPath string, value any) (map[string]any, error) {
	p := strings.TrimPrefix(strings.TrimPrefix(targetPath, "$"), ".")
	if p == "" || strings.ContainsAny(p, "*[]") {
		return nil, fmt.Errorf("invalid targetPath %q: only simple dotted paths are supported", targetPath)
	}
	parts := strings.Split(p, ".")
	cur := value
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] == "" {
			return nil, fmt.Errorf("invalid targetPath %q", targetPath)
		}
		cur = map[string]any{parts[i]: cur}
	}
	return cur.(map[string]any), nil
}

// setNested sets value at a dotted path inside m, creating maps on the way.
func setNested(m map[string]any, path []string, value any) error {
	cur := m
	for i, p := range path {
		if i == len(path)-1 {
			cur[p] = value
			return nil
		}
		next, ok := cur[p]
		if !ok || next == nil {
			nm := map[string]any{}
			cur[p] = nm
			cur = nm
			continue
		}
		nm, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is not a map", strings.Join(path[:i+1], "."))
		}
		cur = nm
	}
	return nil
}
