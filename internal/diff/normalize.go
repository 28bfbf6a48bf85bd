package diff

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/render"
)

// Normalize returns a deep copy of obj prepared for diffing: managedFields,
// server-populated metadata, status and controller-uid labels are removed,
// integral floats become ints, and the fields selected by rules and by the
// kluctl.io/ignore-diff-field(-regex) annotations of local (the rendered
// object, whose annotations decide) are dropped. If local carries
// kluctl.io/ignore-diff: "true" the result is empty, so no change is ever
// reported for the object.
func Normalize(obj, local *unstructured.Unstructured, rules []render.IgnoreForDiffRule) (map[string]any, error) {
	if local == nil {
		local = obj
	}
	if isTrue(local.GetAnnotations()[k8s.AnnotationIgnoreDiff]) {
		return map[string]any{}, nil
	}
	o := runtime.DeepCopyJSON(obj.Object)
	normalizeMetadata(o)
	unstructured.RemoveNestedField(o, "status")
	for _, p := range [][]string{
		{"spec", "template", "metadata", "labels", "controller-uid"},
		{"spec", "selector", "matchLabels", "controller-uid"},
		{"spec", "template", "metadata", "labels", "batch.kubernetes.io/controller-uid"},
		{"spec", "selector", "matchLabels", "batch.kubernetes.io/controller-uid"},
	} {
		unstructured.RemoveNestedField(o, p...)
	}
	if k := obj.GetKind(); (k == "Secret" || k == "ConfigMap") && obj.GetAPIVersion() == "v1" {
		if d, ok := o["data"].(map[string]any); ok && len(d) == 0 {
			delete(o, "data")
		}
	}
	normalizeFloats(o)

	for _, r := range matchingRules(obj, local, rules) {
		for _, fp := range r.FieldPath {
			segs, err := parsePath(fp)
			if err != nil {
				return nil, fmt.Errorf("ignore-diff field path of %s: %w", k8s.RefOf(obj), err)
			}
			deletePath(o, segs)
		}
		for _, fr := range r.FieldPathRegex {
			re, err := regexp.Compile("^(?:" + fr + ")$")
			if err != nil {
				return nil, fmt.Errorf("ignore-diff field regex of %s: %w", k8s.RefOf(obj), err)
			}
			deleteByRegex(o, "", re)
		}
	}
	return o, nil
}

// controllerAnnotations are written by clients and controllers, not by the
// user; they would show up as changes whenever a controller races with a
// deploy (e.g. the revision of a Deployment created a moment ago).
var controllerAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
	"deprecated.daemonset.template.generation",
	"pv.kubernetes.io/bind-completed",
	"pv.kubernetes.io/bound-by-controller",
	"volume.beta.kubernetes.io/storage-provisioner",
	"volume.kubernetes.io/storage-provisioner",
	"endpoints.kubernetes.io/last-change-trigger-time",
}

func normalizeMetadata(o map[string]any) {
	for _, f := range []string{"managedFields", "creationTimestamp", "generation", "resourceVersion", "selfLink", "uid"} {
		unstructured.RemoveNestedField(o, "metadata", f)
	}
	for _, a := range controllerAnnotations {
		unstructured.RemoveNestedField(o, "metadata", "annotations", a)
	}
	md, ok := o["metadata"].(map[string]any)
	if !ok {
		return
	}
	for _, k := range []string{"labels", "annotations"} {
		if m, ok := md[k].(map[string]any); ok && len(m) == 0 {
			delete(md, k)
		}
	}
}

// normalizeFloats turns integral float64 values into int64 so that a value
// that went through JSON compares equal to the same integer.
func normalizeFloats(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeFloats(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeFloats(e)
		}
	case float64:
		if i := int64(x); float64(i) == x {
			return i
		}
	case int:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v
}

// matchingRules returns the project rules that match obj plus one rule per
// ignore-diff annotation of local.
func matchingRules(obj, local *unstructured.Unstructured, rules []render.IgnoreForDiffRule) []render.IgnoreForDiffRule {
	gvk := obj.GroupVersionKind()
	match := func(v string, m *string) bool { return m == nil || *m == v }
	var out []render.IgnoreForDiffRule
	for _, r := range rules {
		if match(gvk.Group, r.Group) && match(gvk.Kind, r.Kind) && match(obj.GetNamespace(), r.Namespace) && match(obj.GetName(), r.Name) {
			out = append(out, r)
		}
	}
	for k, v := range local.GetAnnotations() {
		switch {
		case annotationMatches(k, k8s.AnnotationIgnoreDiffFieldRegex):
			out = append(out, render.IgnoreForDiffRule{FieldPathRegex: []string{v}})
		case annotationMatches(k, k8s.AnnotationIgnoreDiffField):
			out = append(out, render.IgnoreForDiffRule{FieldPath: []string{v}})
		}
	}
	return out
}

// annotationMatches reports whether k is base or base-<n>, the way Kluctl
// allows an annotation to be repeated.
func annotationMatches(k, base string) bool {
	if k == base {
		return true
	}
	rest, ok := strings.CutPrefix(k, base+"-")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	_, err := strconv.Atoi(rest)
	return err == nil
}

func isTrue(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && b
}
