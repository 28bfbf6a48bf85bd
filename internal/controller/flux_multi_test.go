package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
)

func TestMultiDeploymentChildName(t *testing.T) {
	for _, tt := range []struct {
		name          string
		multi, target string
		want          string
	}{
		{name: "valid names are kept, as the original named them", multi: "preview", target: "review-a", want: "preview-review-a-2882c82e"},
		{name: "invalid characters become dashes", multi: "preview", target: "Feature/X_1", want: "preview-feature-x-1-e0f12449"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, multiDeploymentChildName(tt.multi, tt.target)); diff != "" {
				t.Errorf("name (-want +got):\n%s", diff)
			}
		})
	}
	long := multiDeploymentChildName("m", strings.Repeat("x", 300))
	if errs := validation.IsDNS1123Subdomain(long); len(errs) != 0 {
		t.Errorf("name of a long target %q: %v", long, errs)
	}
	if a, b := multiDeploymentChildName("m", "a/b"), multiDeploymentChildName("m", "a_b"); a == b {
		t.Errorf("targets that sanitize alike share the name %s", a)
	}
}

func TestChildDeployment(t *testing.T) {
	minute := &metav1.Duration{Duration: time.Minute}
	multi := func(name string, tmpl v1alpha1.KluctlMultiDeploymentTemplate) *v1alpha1.KluctlMultiDeployment {
		return &v1alpha1.KluctlMultiDeployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: "uid-1"},
			Spec: v1alpha1.KluctlMultiDeploymentSpec{
				KluctlProjectSpec: v1alpha1.KluctlProjectSpec{
					Path:      "deploy",
					SourceRef: v1alpha1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "repo"},
					DependsOn: []v1alpha1.NamespacedObjectReference{{Name: "infra"}},
				},
				KluctlTimingSpec: v1alpha1.KluctlTimingSpec{Interval: metav1.Duration{Duration: 5 * time.Minute}, RetryInterval: minute},
				TargetPattern:    ".*",
				Template:         tmpl,
			},
		}
	}
	owner := func(name string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{
			APIVersion: "flux.kluctl.io/v1alpha1", Kind: "KluctlMultiDeployment", Name: name, UID: "uid-1",
			Controller: new(true), BlockOwnerDeletion: new(true),
		}}
	}
	longName := strings.Repeat("m", 70)
	for _, tt := range []struct {
		name     string
		multi    *v1alpha1.KluctlMultiDeployment
		wantMeta metav1.ObjectMeta
		wantSpec v1alpha1.KluctlDeploymentSpec
	}{
		{
			name: "template labels and annotations are copied, the multi deployment's label wins",
			multi: multi("preview", v1alpha1.KluctlMultiDeploymentTemplate{
				Labels:      map[string]string{"team": "a", MultiDeploymentLabel: "other"},
				Annotations: map[string]string{"example.com/owner": "ops"},
				Spec:        v1alpha1.KluctlDeploymentTemplateSpec{KluctlTimingSpec: v1alpha1.KluctlTimingSpec{Interval: metav1.Duration{Duration: time.Hour}}, Prune: true},
			}),
			wantMeta: metav1.ObjectMeta{
				Name: "child", Namespace: "ns", OwnerReferences: owner("preview"),
				Labels:      map[string]string{"team": "a", MultiDeploymentLabel: "preview"},
				Annotations: map[string]string{"example.com/owner": "ops"},
			},
			wantSpec: v1alpha1.KluctlDeploymentSpec{
				KluctlProjectSpec: v1alpha1.KluctlProjectSpec{
					Path:      "deploy",
					SourceRef: v1alpha1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "repo"},
					DependsOn: []v1alpha1.NamespacedObjectReference{{Name: "infra"}},
				},
				KluctlDeploymentTemplateSpec: v1alpha1.KluctlDeploymentTemplateSpec{
					KluctlTimingSpec: v1alpha1.KluctlTimingSpec{Interval: metav1.Duration{Duration: time.Hour}, RetryInterval: minute},
					Prune:            true,
				},
				Target: "review-a",
			},
		},
		{
			name:  "no template metadata: only the multi deployment's label, timing from the multi deployment",
			multi: multi("preview", v1alpha1.KluctlMultiDeploymentTemplate{}),
			wantMeta: metav1.ObjectMeta{
				Name: "child", Namespace: "ns", OwnerReferences: owner("preview"),
				Labels: map[string]string{MultiDeploymentLabel: "preview"},
			},
			wantSpec: v1alpha1.KluctlDeploymentSpec{
				KluctlProjectSpec: v1alpha1.KluctlProjectSpec{
					Path:      "deploy",
					SourceRef: v1alpha1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "repo"},
					DependsOn: []v1alpha1.NamespacedObjectReference{{Name: "infra"}},
				},
				KluctlDeploymentTemplateSpec: v1alpha1.KluctlDeploymentTemplateSpec{
					KluctlTimingSpec: v1alpha1.KluctlTimingSpec{Interval: metav1.Duration{Duration: 5 * time.Minute}, RetryInterval: minute},
				},
				Target: "review-a",
			},
		},
		{
			name:  "a multi deployment name that is no label value labels nothing",
			multi: multi(longName, v1alpha1.KluctlMultiDeploymentTemplate{Labels: map[string]string{"team": "a"}}),
			wantMeta: metav1.ObjectMeta{
				Name: "child", Namespace: "ns", OwnerReferences: owner(longName),
				Labels: map[string]string{"team": "a"},
			},
			wantSpec: v1alpha1.KluctlDeploymentSpec{
				KluctlProjectSpec: v1alpha1.KluctlProjectSpec{
					Path:      "deploy",
					SourceRef: v1alpha1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "repo"},
					DependsOn: []v1alpha1.NamespacedObjectReference{{Name: "infra"}},
				},
				KluctlDeploymentTemplateSpec: v1alpha1.KluctlDeploymentTemplateSpec{
					KluctlTimingSpec: v1alpha1.KluctlTimingSpec{Interval: metav1.Duration{Duration: 5 * time.Minute}, RetryInterval: minute},
				},
				Target: "review-a",
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.multi.DeepCopy()
			got := childDeployment(tt.multi, "child", "review-a")
			if diff := cmp.Diff(tt.wantMeta, got.ObjectMeta); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSpec, got.Spec); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tt.multi); diff != "" {
				t.Errorf("the multi deployment changed (-before +after):\n%s", diff)
			}
		})
	}
}
