package project

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ClusterObjectReader reads arbitrary objects for clusterObject vars
// sources; the ClusterReader of a cluster connection implements it.
type ClusterObjectReader interface {
	// GetObjects returns the objects q selects, sorted by namespace and
	// name; none (and no error) when there are none.
	GetObjects(ctx context.Context, q ObjectQuery) ([]map[string]any, error)
}

// ObjectQuery selects objects of one kind: by name or by labels.
type ObjectQuery struct {
	// APIVersion may be empty: the preferred version of the only group
	// serving Kind.
	APIVersion, Kind string
	// Namespace is ignored for cluster-scoped kinds.
	Namespace, Name string
	Labels          map[string]string
}

// loadClusterObject loads a clusterObject source as the original does:
// the value at path of the one object (or, with list, of each object),
// optionally rendered and parsed as YAML. Its values are sensitive by
// default, whatever the kind, as in the original.
func (l *varsLoader) loadClusterObject(ctx context.Context, vars *Vars, src *VarsSource, searchDirs []string) (any, bool, bool, error) {
	o := src.ClusterObject
	desc := "clusterObject " + o.Kind + " " + objectName(o.Namespace, o.Name)
	if o.Name == "" {
		desc = fmt.Sprintf("clusterObject %s in %q with labels %v", o.Kind, o.Namespace, o.Labels)
	}
	fail := func(err error) (any, bool, bool, error) {
		return nil, true, false, fmt.Errorf("%s: %w", desc, err)
	}
	switch {
	case o.Kind == "":
		return fail(errors.New("kind is required"))
	case o.Name == "" && len(o.Labels) == 0:
		return fail(errors.New("either name or labels must be set"))
	case o.Name != "" && len(o.Labels) != 0:
		return fail(errors.New("only one of name or labels can be set"))
	case o.Path == "":
		return fail(errors.New("path is required"))
	}
	path, err := parseJSONPath(o.Path)
	if err != nil {
		return fail(err)
	}
	if l.cluster == nil {
		return fail(errors.New("reading objects needs a cluster connection, which is not available (offline mode)"))
	}
	reader, ok := l.cluster.(ClusterObjectReader)
	if !ok {
		return fail(errors.New("this cluster connection can not read arbitrary objects"))
	}
	objs, err := reader.GetObjects(ctx, ObjectQuery{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Labels: o.Labels})
	if err != nil {
		return fail(err)
	}
	// Missing objects or fields with ignoreMissing load an empty mapping,
	// as in the original.
	switch {
	case len(objs) == 0 && src.IgnoreMissing:
		return map[string]any{}, true, true, nil
	case len(objs) == 0:
		return fail(errors.New("no object found"))
	case len(objs) > 1 && !o.List:
		return fail(fmt.Errorf("found %d objects; set list: true to load them all", len(objs)))
	}
	values := make([]any, 0, len(objs))
	for _, obj := range objs {
		// Objects found by labels are named in errors.
		name := ""
		if o.Name == "" {
			name = "object " + objectName(nestedString(obj, "metadata", "namespace"), nestedString(obj, "metadata", "name")) + ": "
		}
		if o.Kind == "Secret" && (src.Sensitive == nil || *src.Sensitive) {
			markSecretData(vars, obj)
		}
		matches := path.get(obj)
		if len(matches) == 0 && src.IgnoreMissing {
			return map[string]any{}, true, true, nil
		}
		if len(matches) != 1 {
			what := "not found"
			if len(matches) > 1 {
				what = "resulted in multiple matches"
			}
			return fail(fmt.Errorf("%sjson path %s %s", name, o.Path, what))
		}
		v := deepCopy(matches[0])
		if o.Render {
			if v, err = l.renderValue(ctx, v, desc, searchDirs, vars); err != nil {
				return fail(fmt.Errorf("%srender %s: %w", name, o.Path, err))
			}
		}
		if o.ParseYaml {
			s, ok := v.(string)
			if !ok {
				return fail(fmt.Errorf("%s%s is %s, but parseYaml needs a string", name, o.Path, valueKind(v)))
			}
			if v, err = decodeYAMLValue([]byte(s)); err != nil {
				return fail(fmt.Errorf("%sparse %s as YAML: %w", name, o.Path, err))
			}
		}
		values = append(values, v)
	}
	if o.List {
		return values, true, true, nil
	}
	return values[0], true, true, nil
}

// renderValue renders a string, or the strings inside a mapping (as the
// original's RenderStruct); other values are returned as they are.
func (l *varsLoader) renderValue(ctx context.Context, v any, name string, searchDirs []string, vars *Vars) (any, error) {
	var walk func(v any) (any, error)
	walk = func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			return l.tpl.RenderString(ctx, name, x, searchDirs, vars)
		case map[string]any:
			for k, e := range x {
				r, err := walk(e)
				if err != nil {
					return nil, err
				}
				x[k] = r
			}
		case []any:
			for i, e := range x {
				r, err := walk(e)
				if err != nil {
					return nil, err
				}
				x[i] = r
			}
		}
		return v, nil
	}
	switch v.(type) {
	case string, map[string]any:
		return walk(v)
	}
	return v, nil
}

// markSecretData records the decoded values of a Secret's data as
// sensitive: the vars hold them base64 encoded, templates decode them.
func markSecretData(vars *Vars, obj map[string]any) {
	data, _ := obj["data"].(map[string]any)
	var decoded []any
	for _, v := range data {
		if s, ok := v.(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				decoded = append(decoded, string(b))
			}
		}
	}
	vars.MarkSensitive(decoded)
}

// valueKind names the type of a decoded value for messages.
func valueKind(v any) string {
	if _, ok := v.(map[string]any); ok {
		return "a mapping"
	}
	return typeName(v)
}

func nestedString(m map[string]any, keys ...string) string {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	s, _ := cur.(string)
	return s
}

// jsonPath is a parsed JSON path of the subset the original's vars
// sources use: "$" (the whole value), dotted keys ("status.a.b", with or
// without a leading "$."), ['quoted keys'], [index] (negative counts from
// the end) and the wildcards [*] and .*.
type jsonPath []pathStep

type pathStep struct {
	key      string
	index    int
	isIndex  bool
	wildcard bool
}

func parseJSONPath(p string) (jsonPath, error) {
	s := strings.TrimSpace(p)
	if s == "" {
		return nil, errors.New("json path is empty")
	}
	s = strings.TrimPrefix(s, "$")
	var out jsonPath
	for i := 0; i < len(s); {
		switch s[i] {
		case '.':
			if strings.HasPrefix(s[i:], "..") {
				return nil, fmt.Errorf("json path %q: recursive descent (..) is not supported", p)
			}
			i++
			if i == len(s) {
				return nil, fmt.Errorf("json path %q ends with '.'", p)
			}
		case '[':
			inner, n, err := bracket(s[i:])
			if err != nil {
				return nil, fmt.Errorf("json path %q: %w", p, err)
			}
			out = append(out, inner)
			i += n
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if k := s[i:j]; k == "*" {
				out = append(out, pathStep{wildcard: true})
			} else {
				out = append(out, pathStep{key: k})
			}
			i = j
		}
	}
	return out, nil
}

// bracket parses the [..] at the start of s and returns its length.
func bracket(s string) (pathStep, int, error) {
	if len(s) > 2 && (s[1] == '\'' || s[1] == '"') {
		end := strings.IndexByte(s[2:], s[1])
		if end < 0 || 2+end+1 >= len(s) || s[2+end+1] != ']' {
			return pathStep{}, 0, errors.New("unterminated quoted key")
		}
		return pathStep{key: s[2 : 2+end]}, 2 + end + 2, nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return pathStep{}, 0, errors.New("missing ]")
	}
	inner := strings.TrimSpace(s[1:end])
	if inner == "*" {
		return pathStep{wildcard: true}, end + 1, nil
	}
	n, err := strconv.Atoi(inner)
	if err != nil {
		return pathStep{}, 0, fmt.Errorf("unsupported selector [%s]", inner)
	}
	return pathStep{index: n, isIndex: true}, end + 1, nil
}

// get returns every value p selects in v.
func (p jsonPath) get(v any) []any {
	cur := []any{v}
	for _, st := range p {
		var next []any
		for _, c := range cur {
			switch x := c.(type) {
			case map[string]any:
				switch {
				case st.wildcard:
					keys := make([]string, 0, len(x))
					for k := range x {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					for _, k := range keys {
						next = append(next, x[k])
					}
				case !st.isIndex:
					if e, ok := x[st.key]; ok {
						next = append(next, e)
					}
				}
			case []any:
				switch {
				case st.wildcard:
					next = append(next, x...)
				case st.isIndex:
					i := st.index
					if i < 0 {
						i += len(x)
					}
					if i >= 0 && i < len(x) {
						next = append(next, x[i])
					}
				}
			}
		}
		cur = next
	}
	return cur
}
