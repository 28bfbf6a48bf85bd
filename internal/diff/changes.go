package diff

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/yaml"
)

// Change types, as Kluctl names them.
const (
	ChangeInsert = "insert"
	ChangeDelete = "delete"
	ChangeUpdate = "update"
)

// Change is one changed field of an object.
type Change struct {
	// Type is insert, delete or update.
	Type string `json:"type"`
	// JSONPath names the field, e.g. spec.template.spec.containers[0].image
	// or metadata.labels["app.kubernetes.io/name"].
	JSONPath string `json:"jsonPath"`
	// UnifiedDiff shows the old and new value of the field: lines prefixed
	// with "-" and "+", hunks with "@@" headers for multi-line values.
	UnifiedDiff string `json:"unifiedDiff,omitempty"`
	// OldValue and NewValue are the field's values before and after (nil
	// for an insert or a delete), masked like the diff.
	OldValue any `json:"oldValue,omitempty"`
	NewValue any `json:"newValue,omitempty"`
}

// Objects compares two normalised objects and returns their changes sorted
// by JSON path. Maps are compared key by key, lists index by index (a longer
// list shows inserted items, a shorter one deleted items).
func Objects(oldObj, newObj map[string]any) []Change {
	var out []Change
	compare(oldObj, newObj, "", &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].JSONPath < out[j].JSONPath })
	return out
}

func compare(a, b any, path string, out *[]Change) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			keys := make(map[string]bool, len(av)+len(bv))
			for k := range av {
				keys[k] = true
			}
			for k := range bv {
				keys[k] = true
			}
			for k := range keys {
				x, inA := av[k]
				y, inB := bv[k]
				p := appendKey(path, k)
				switch {
				case !inA:
					*out = append(*out, change(ChangeInsert, p, nil, y))
				case !inB:
					*out = append(*out, change(ChangeDelete, p, x, nil))
				default:
					compare(x, y, p, out)
				}
			}
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			n := min(len(av), len(bv))
			for i := 0; i < n; i++ {
				compare(av[i], bv[i], appendIndex(path, i), out)
			}
			for i := n; i < len(bv); i++ {
				*out = append(*out, change(ChangeInsert, appendIndex(path, i), nil, bv[i]))
			}
			for i := n; i < len(av); i++ {
				*out = append(*out, change(ChangeDelete, appendIndex(path, i), av[i], nil))
			}
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, change(ChangeUpdate, path, a, b))
	}
}

func change(typ, path string, oldV, newV any) Change {
	return Change{Type: typ, JSONPath: path, UnifiedDiff: unified(typ, oldV, newV), OldValue: oldV, NewValue: newV}
}

// unified renders the unified diff text of one field change.
func unified(typ string, oldV, newV any) string {
	switch typ {
	case ChangeInsert:
		return prefixLines(valueString(newV), "+")
	case ChangeDelete:
		return prefixLines(valueString(oldV), "-")
	}
	a, b := valueString(oldV), valueString(newV)
	if reflect.TypeOf(oldV) != reflect.TypeOf(newV) {
		a += fmt.Sprintf(" (type: %s)", typeName(oldV))
		b += fmt.Sprintf(" (type: %s)", typeName(newV))
	}
	if !strings.Contains(a, "\n") && !strings.Contains(b, "\n") {
		return "-" + a + "\n+" + b
	}
	ud, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A:       difflib.SplitLines(ensureNL(a)),
		B:       difflib.SplitLines(ensureNL(b)),
		Context: 3,
	})
	if err != nil {
		return prefixLines(a, "-") + "\n" + prefixLines(b, "+")
	}
	return strings.TrimSuffix(ud, "\n")
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case map[string]any:
		return "map"
	case []any:
		return "list"
	default:
		return "number"
	}
}

// valueString renders a field value: strings verbatim, maps and lists as
// YAML, everything else with fmt.
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case map[string]any, []any:
		b, err := yaml.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return strings.TrimSuffix(string(b), "\n")
	default:
		return fmt.Sprint(x)
	}
}

func ensureNL(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

func prefixLines(s, p string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := range lines {
		lines[i] = p + lines[i]
	}
	return strings.Join(lines, "\n")
}
