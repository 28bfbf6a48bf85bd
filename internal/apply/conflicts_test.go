package apply

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kluctl-go/kluctl/internal/render"
)

func conflictObjects(ann map[string]string) (local, live *unstructured.Unstructured) {
	local = &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "d", "namespace": "ns"},
		"spec": map[string]any{
			"replicas": int64(3),
			"template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "c", "image": "new"},
				map[string]any{"name": "sidecar", "image": "s"},
			}}},
		},
	}}
	local.SetAnnotations(ann)
	live = local.DeepCopy()
	unstructured.SetNestedField(live.Object, int64(5), "spec", "replicas")
	live.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "hpa-controller", Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1",
			FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:replicas":{}}}`)},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1",
			FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{"f:image":{}}}}}}}`)},
	})
	unstructured.SetNestedSlice(live.Object, []any{
		map[string]any{"name": "c", "image": "edited"},
		map[string]any{"name": "sidecar", "image": "s"},
	}, "spec", "template", "spec", "containers")
	return local, live
}

func conflictStatus() metav1.Status {
	return metav1.Status{Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{
		{Type: metav1.CauseTypeFieldManagerConflict, Field: ".spec.replicas", Message: `conflict with "hpa-controller": .spec.replicas`},
		{Type: metav1.CauseTypeFieldManagerConflict, Field: `.spec.template.spec.containers[name="c"].image`, Message: `conflict with "kubectl-edit"`},
	}}}
}

func TestResolveConflicts(t *testing.T) {
	deployment := "Deployment"
	tests := []struct {
		name         string
		ann          map[string]string
		rules        []render.ConflictResolutionRule
		wantReplicas bool // still in the object => forced
		wantImage    bool
		wantWarnings int
	}{
		{name: "default: drop foreign manager, force kubectl", wantImage: true, wantWarnings: 1},
		{name: "force-apply annotation", ann: map[string]string{"kluctl.io/force-apply": "true"}, wantReplicas: true, wantImage: true},
		{name: "force-apply-field", ann: map[string]string{"kluctl.io/force-apply-field": "spec.replicas"}, wantReplicas: true, wantImage: true},
		{name: "ignore-conflicts", ann: map[string]string{"kluctl.io/ignore-conflicts": "true"}},
		{name: "ignore-conflicts-field", ann: map[string]string{"kluctl.io/ignore-conflicts-field": "spec.replicas"}, wantImage: true},
		{
			name:         "rule force-apply by manager",
			rules:        []render.ConflictResolutionRule{{Manager: []string{"hpa-.*"}, Kind: &deployment, Action: "force-apply"}},
			wantReplicas: true, wantImage: true,
		},
		{
			name:      "rule ignore by field",
			rules:     []render.ConflictResolutionRule{{FieldPath: []string{"spec.replicas"}, Action: "ignore"}},
			wantImage: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, live := conflictObjects(tt.ann)
			got, warnings, err := resolveConflicts(local, live, conflictStatus(), tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			_, hasReplicas, _ := unstructured.NestedFieldNoCopy(got.Object, "spec", "replicas")
			containers, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
			_, hasImage := containers[0].(map[string]any)["image"]
			if hasReplicas != tt.wantReplicas || hasImage != tt.wantImage {
				t.Errorf("replicas kept=%v image kept=%v, want %v %v", hasReplicas, hasImage, tt.wantReplicas, tt.wantImage)
			}
			if len(warnings) != tt.wantWarnings {
				t.Errorf("warnings = %q, want %d", warnings, tt.wantWarnings)
			}
			for _, w := range warnings {
				if !strings.Contains(w, "lost field ownership") || !strings.Contains(w, ".spec.replicas") {
					t.Errorf("warning %q does not explain the lost ownership", w)
				}
			}
			if len(containers) != 2 {
				t.Errorf("containers list must keep its items, got %v", containers)
			}
		})
	}
}

func TestStagesOrder(t *testing.T) {
	mk := func(apiVersion, kind, name string) *unstructured.Unstructured {
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
		o.SetName(name)
		return o
	}
	objs := []*unstructured.Unstructured{
		mk("apps/v1", "Deployment", "dep"),
		mk("example.com/v1", "Widget", "cr"),
		mk("v1", "ConfigMap", "cm"),
		mk("apiextensions.k8s.io/v1", "CustomResourceDefinition", "crd"),
		mk("rbac.authorization.k8s.io/v1", "RoleBinding", "rb"),
		mk("v1", "ServiceAccount", "sa"),
		mk("v1", "Namespace", "ns"),
		mk("v1", "Secret", "sec"),
	}
	var got [][]string
	for _, st := range Stages(objs) {
		var names []string
		for _, o := range st {
			names = append(names, o.GetName())
		}
		got = append(got, names)
	}
	want := [][]string{{"ns"}, {"crd"}, {"sa"}, {"rb"}, {"cm", "sec"}, {"cr"}, {"dep"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Stages (-want +got):\n%s", d)
	}
	if Rank(schema.GroupKind{Kind: "Namespace"}) >= Rank(schema.GroupKind{Group: "apps", Kind: "Deployment"}) {
		t.Error("namespaces must rank before workloads")
	}
}
