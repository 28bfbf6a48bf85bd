package apply

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/render"
)

// overwriteAllowedManagers are the field managers whose fields Kluctl takes
// over without asking: itself and interactive tools (unanchored, as in the
// original, so "kubectl-client-side-apply" and "kluctl-controller" match).
var overwriteAllowedManagers = regexp.MustCompile(`kluctl|kubectl|rancher|k9s`)

// conflictAction is what to do with one conflicting field.
type conflictAction int

const (
	actionDrop   conflictAction = iota // lost ownership: drop and warn
	actionIgnore                       // drop silently
	actionForce                        // take ownership
)

// fieldOwners lists the managers of one field path string.
type fieldOwners struct {
	paths    []fieldpath.Path
	managers []string
}

func ownersByField(live *unstructured.Unstructured) (map[string]*fieldOwners, error) {
	out := map[string]*fieldOwners{}
	for _, mf := range live.GetManagedFields() {
		if mf.FieldsV1 == nil {
			continue
		}
		set := fieldpath.NewSet()
		if err := set.FromJSON(bytes.NewReader(mf.FieldsV1.GetRawBytes())); err != nil {
			return nil, fmt.Errorf("parse managedFields of %q: %w", mf.Manager, err)
		}
		set.Iterate(func(p fieldpath.Path) {
			s := p.String()
			fo := out[s]
			if fo == nil {
				fo = &fieldOwners{}
				out[s] = fo
			}
			known := false
			for _, q := range fo.paths {
				if q.Equals(p) {
					known = true
				}
			}
			if !known {
				fo.paths = append(fo.paths, p.Copy())
			}
			fo.managers = append(fo.managers, mf.Manager)
		})
	}
	return out, nil
}

// resolveConflicts decides for each conflicting field of a failed apply
// whether to force it or to drop it from the applied object, following
// Kluctl: fields of kluctl/kubectl-like managers are forced, others dropped
// with a "lost field ownership" warning, unless annotations or the project's
// conflictResolution rules say otherwise. It returns the object to apply
// with force and the warnings.
func resolveConflicts(local, live *unstructured.Unstructured, st metav1.Status, rules []render.ConflictResolutionRule) (*unstructured.Unstructured, []string, error) {
	if st.Details == nil || len(st.Details.Causes) == 0 {
		return nil, nil, fmt.Errorf("conflict without details: %s", st.Message)
	}
	owners, err := ownersByField(live)
	if err != nil {
		return nil, nil, err
	}
	out := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(local.Object)}
	var warnings []string
	var drops [][]any
	for _, cause := range st.Details.Causes {
		if cause.Type != metav1.CauseTypeFieldManagerConflict {
			return nil, nil, fmt.Errorf("unexpected conflict cause %s: %s", cause.Type, cause.Message)
		}
		fo := owners[cause.Field]
		if fo == nil {
			return nil, nil, fmt.Errorf("%s: field %q not found in managedFields", cause.Message, cause.Field)
		}
		if len(fo.paths) != 1 {
			return nil, nil, fmt.Errorf("%s: field path %q is ambiguous", cause.Message, cause.Field)
		}
		localPath, lv, ok := concretePath(local.Object, fo.paths[0])
		if !ok {
			return nil, nil, fmt.Errorf("%s: field %q not found in the applied object", cause.Message, cause.Field)
		}
		_, rv, inLive := concretePath(live.Object, fo.paths[0])
		act, err := decide(local, localPath, fo.managers, rules)
		if err != nil {
			return nil, nil, err
		}
		switch act {
		case actionForce:
			continue
		case actionDrop:
			if !inLive || !reflect.DeepEqual(lv, rv) {
				warnings = append(warnings, fmt.Sprintf("%s. Not updating field '%s' as we lost field ownership", cause.Message, cause.Field))
			}
		}
		drops = append(drops, localPath)
	}
	for _, d := range drops {
		removePath(out.Object, d)
	}
	compactLists(out.Object)
	return out, warnings, nil
}

// decide returns the action for one conflicting field of local.
func decide(local *unstructured.Unstructured, path []any, managers []string, rules []render.ConflictResolutionRule) (conflictAction, error) {
	ann := local.GetAnnotations()
	if boolAnnotation(ann, k8s.AnnotationForceApply) {
		return actionForce, nil
	}
	if ok, err := annotationPathMatches(ann, k8s.AnnotationForceApplyField, path); err != nil || ok {
		return actionForce, err
	}
	if boolAnnotation(ann, k8s.AnnotationIgnoreConflicts) {
		return actionIgnore, nil
	}
	if ok, err := annotationPathMatches(ann, k8s.AnnotationIgnoreConflictsField, path); err != nil || ok {
		return actionIgnore, err
	}
	for _, r := range rules {
		m, err := ruleMatches(r, local, path, managers)
		if err != nil {
			return actionDrop, err
		}
		if !m {
			continue
		}
		switch r.Action {
		case "force-apply", "force":
			return actionForce, nil
		case "ignore":
			return actionIgnore, nil
		default:
			return actionDrop, fmt.Errorf("conflictResolution: unknown action %q (want force-apply or ignore)", r.Action)
		}
	}
	for _, m := range managers {
		if !overwriteAllowedManagers.MatchString(m) {
			return actionDrop, nil
		}
	}
	return actionForce, nil
}

func ruleMatches(r render.ConflictResolutionRule, obj *unstructured.Unstructured, path []any, managers []string) (bool, error) {
	gvk := obj.GroupVersionKind()
	eq := func(v string, m *string) bool { return m == nil || *m == v }
	if !eq(gvk.Group, r.Group) || !eq(gvk.Kind, r.Kind) || !eq(obj.GetNamespace(), r.Namespace) || !eq(obj.GetName(), r.Name) {
		return false, nil
	}
	if len(r.FieldPath)+len(r.FieldPathRegex) != 0 {
		hit := false
		for _, fp := range r.FieldPath {
			ok, err := diff.MatchPath(fp, path)
			if err != nil {
				return false, fmt.Errorf("conflictResolution fieldPath: %w", err)
			}
			hit = hit || ok
		}
		js := diff.FormatPath(path)
		for _, fr := range r.FieldPathRegex {
			re, err := regexp.Compile("^(?:" + fr + ")$")
			if err != nil {
				return false, fmt.Errorf("conflictResolution fieldPathRegex: %w", err)
			}
			hit = hit || re.MatchString(js)
		}
		if !hit {
			return false, nil
		}
	}
	if len(r.Manager) != 0 {
		hit := false
		for _, m := range managers {
			for _, want := range r.Manager {
				re, err := regexp.Compile("^(?:" + want + ")$")
				if err != nil {
					return false, fmt.Errorf("conflictResolution manager: %w", err)
				}
				hit = hit || re.MatchString(m)
			}
		}
		if !hit {
			return false, nil
		}
	}
	return true, nil
}

func boolAnnotation(ann map[string]string, key string) bool {
	b, err := strconv.ParseBool(ann[key])
	return err == nil && b
}

// annotationPathMatches checks key and its numbered variants key-1, key-2...
func annotationPathMatches(ann map[string]string, key string, path []any) (bool, error) {
	re := regexp.MustCompile("^" + regexp.QuoteMeta(key) + `(-\d+)?$`)
	for k, v := range ann {
		if !re.MatchString(k) {
			continue
		}
		ok, err := diff.MatchPath(v, path)
		if err != nil {
			return false, fmt.Errorf("annotation %s: %w", k, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// concretePath resolves a structured-merge-diff path against obj into map
// keys and list indexes, returning the value found there.
func concretePath(obj map[string]any, p fieldpath.Path) ([]any, any, bool) {
	var out []any
	var cur any = obj
	for _, e := range p {
		if e.FieldName != nil {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, nil, false
			}
			v, ok := m[*e.FieldName]
			if !ok {
				return nil, nil, false
			}
			out, cur = append(out, *e.FieldName), v
			continue
		}
		l, ok := cur.([]any)
		if !ok {
			return nil, nil, false
		}
		idx := -1
		for i, item := range l {
			if listItemMatches(item, e, i) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, nil, false
		}
		out, cur = append(out, idx), l[idx]
	}
	return out, cur, true
}

func listItemMatches(item any, e fieldpath.PathElement, i int) bool {
	switch {
	case e.Key != nil:
		m, ok := item.(map[string]any)
		if !ok {
			return false
		}
		for _, f := range *e.Key {
			v, ok := m[f.Name]
			if !ok || value.Compare(value.NewValueInterface(v), f.Value) != 0 {
				return false
			}
		}
		return true
	case e.Value != nil:
		return value.Compare(value.NewValueInterface(item), *e.Value) == 0
	case e.Index != nil:
		return *e.Index == i
	}
	return false
}

// removePath deletes the field at path (map keys and list indexes) from obj.
func removePath(obj any, path []any) {
	if len(path) == 0 {
		return
	}
	last := len(path) == 1
	switch x := obj.(type) {
	case map[string]any:
		k, _ := path[0].(string)
		if last {
			delete(x, k)
			return
		}
		removePath(x[k], path[1:])
	case []any:
		i, ok := path[0].(int)
		if !ok || i >= len(x) {
			return
		}
		if last {
			x[i] = dropped{} // compacted by compactLists, keeping indexes valid meanwhile
			return
		}
		removePath(x[i], path[1:])
	}
}

// dropped marks a list item removed by removePath.
type dropped struct{}

// compactLists removes the list items marked as dropped.
func compactLists(obj any) any {
	switch x := obj.(type) {
	case map[string]any:
		for k, v := range x {
			x[k] = compactLists(v)
		}
	case []any:
		out := x[:0]
		for _, v := range x {
			if _, ok := v.(dropped); !ok {
				out = append(out, compactLists(v))
			}
		}
		return out
	}
	return obj
}
