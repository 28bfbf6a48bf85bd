package flux

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/internal/controller"
)

// previewProject is a project with one dynamic target per review-*
// branch; each deploys a namespace of its own with a ConfigMap in it.
var previewProject = map[string][]byte{
	".kluctl.yaml": []byte(`discriminator: "preview-{{ target.name }}"
targets:
  - name: "{{ target.targetConfig.ref }}"
    context: default
    targetConfig:
      refPattern: "review-.*"
`),
	"deployment.yaml": []byte(`deployments:
  - path: namespace
  - barrier: true
  - path: config
`),
	"namespace/kustomization.yaml": []byte("resources:\n  - namespace.yaml\n"),
	"namespace/namespace.yaml": []byte(`apiVersion: v1
kind: Namespace
metadata:
  name: preview-{{ target.name }}
`),
	"config/kustomization.yaml": []byte("resources:\n  - configmap.yaml\n"),
	"config/configmap.yaml": []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: preview
  namespace: preview-{{ target.name }}
data:
  branch: "{{ target.targetConfig.ref }}"
`),
}

const previewMultiDeployment = `apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlMultiDeployment
metadata:
  name: preview
spec:
  interval: 2s
  sourceRef:
    kind: GitRepository
    name: preview
  targetPattern: "review-.*"
  template:
    labels:
      team: reviews
    annotations:
      example.com/owner: ops
    spec:
      interval: 2s
      prune: true
`

// TestFluxPreview: a KluctlMultiDeployment keeps one KluctlDeployment per
// review-* branch of the project's repository, labelled and annotated as
// its template says. Pushing a branch deploys its preview environment;
// deleting the branch deletes the KluctlDeployment and, with prune, the
// environment's objects. Suspending the multi deployment stops it alone.
func TestFluxPreview(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.git.Commit("preview", "main", previewProject, "the preview project"); err != nil {
		t.Fatal(err)
	}
	repo := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": "preview", "namespace": e.ns},
		"spec": map[string]any{"url": e.git.URL("preview"), "interval": "2s",
			"ref": map[string]any{"branch": "main"}, "secretRef": map[string]any{"name": "git-credentials"}},
	}}
	if err := e.cl.Create(ctx, repo); err != nil {
		t.Fatal(err)
	}
	pushReview := func(branch string) {
		t.Helper()
		if _, err := e.git.Commit("preview", branch, map[string][]byte{"target-config.yml": []byte("args: {}\n")}, "open "+branch); err != nil {
			t.Fatal(err)
		}
	}
	pushReview("review-a")

	var md v1alpha1.KluctlMultiDeployment
	if err := yaml.UnmarshalStrict([]byte(previewMultiDeployment), &md); err != nil {
		t.Fatal(err)
	}
	md.Namespace = e.ns
	if err := e.cl.Create(ctx, &md); err != nil {
		t.Fatal(err)
	}

	kdA := e.waitPreview("review-a")
	if !strings.HasPrefix(kdA, "preview-review-a-") {
		t.Errorf("the KluctlDeployment of review-a is named %s", kdA)
	}
	kd := e.waitFor(kdA, "Ready", 2*time.Minute, isReady)
	e.waitConfigMap("preview-review-a", true)
	wantLabels := map[string]string{"team": "reviews", controller.MultiDeploymentLabel: "preview"}
	if diff := cmp.Diff(wantLabels, kd.Labels); diff != "" {
		t.Errorf("labels of %s (-want +got):\n%s", kdA, diff)
	}
	if got := kd.Annotations["example.com/owner"]; got != "ops" {
		t.Errorf("annotation example.com/owner of %s = %q, want the template's ops", kdA, got)
	}

	pushReview("review-b")
	kdB := e.waitPreview("review-b")
	e.waitFor(kdB, "Ready", 2*time.Minute, isReady)
	e.waitConfigMap("preview-review-b", true)

	if err := e.git.DeleteBranch("preview", "review-a"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := e.cl.Get(ctx, types.NamespacedName{Namespace: e.ns, Name: kdA}, &v1alpha1.KluctlDeployment{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the KluctlDeployment of the deleted branch is still there: %v", err)
		}
		time.Sleep(time.Second)
	}
	e.waitConfigMap("preview-review-a", false)
	e.waitConfigMap("preview-review-b", true)
	kd = e.waitFor(kdB, "still Ready", time.Minute, isReady)
	if kd.Spec.Target != "review-b" || !kd.Spec.Prune || kd.Spec.Interval.Duration != 2*time.Second {
		t.Errorf("spec of the remaining KluctlDeployment: %+v", kd.Spec)
	}
	if err := e.cl.Get(ctx, types.NamespacedName{Namespace: e.ns, Name: "preview"}, &md); err != nil {
		t.Fatal(err)
	}
	if md.Status.TargetCount != 1 || len(md.Status.Targets) != 1 || md.Status.Targets[0].KluctlDeploymentName != kdB {
		b, _ := json.MarshalIndent(md.Status, "", "  ")
		t.Errorf("status of the multi deployment:\n%s", b)
	}

	e.suspendPreview(kdB, pushReview)
}

// suspendPreview: a suspended KluctlMultiDeployment, as in the original,
// stops reconciling itself and nothing else. A pushed branch gets no
// KluctlDeployment and a reconcile request is not handled, while the
// existing KluctlDeployment stays unsuspended and keeps deploying. Once
// resumed, the branch gets its KluctlDeployment, and a changed template
// label and a removed template annotation reach every KluctlDeployment.
func (e *env) suspendPreview(kdB string, pushReview func(string)) {
	t := e.t
	ctx := context.Background()
	e.patchPreview(func(md *v1alpha1.KluctlMultiDeployment) { md.Spec.Suspend = true })
	// Let a reconcile that started before the suspension end before the
	// branch is there to be seen.
	time.Sleep(3 * time.Second)
	pushReview("review-c")
	requested := time.Now().Format(time.RFC3339Nano)
	e.patchPreview(func(md *v1alpha1.KluctlMultiDeployment) {
		md.Annotations = map[string]string{v1alpha1.ReconcileRequestAnnotation: requested}
	})
	if err := e.cs.CoreV1().ConfigMaps("preview-review-b").Delete(ctx, "preview", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitConfigMap("preview-review-b", true) // the KluctlDeployment deploys on
	// Several multi deployment intervals (2s) after the push and the
	// request, which an unsuspended one acts on within seconds.
	time.Sleep(10 * time.Second)
	var md v1alpha1.KluctlMultiDeployment
	if err := e.cl.Get(ctx, types.NamespacedName{Namespace: e.ns, Name: "preview"}, &md); err != nil {
		t.Fatal(err)
	}
	if md.Status.LastHandledReconcileAt == requested || len(md.Status.Targets) != 1 {
		b, _ := json.MarshalIndent(md.Status, "", "  ")
		t.Errorf("the suspended multi deployment was reconciled; status:\n%s", b)
	}
	var l v1alpha1.KluctlDeploymentList
	if err := e.cl.List(ctx, &l, client.InNamespace(e.ns)); err != nil {
		t.Fatal(err)
	}
	for _, kd := range l.Items {
		if kd.Spec.Target == "review-c" {
			t.Errorf("the suspended multi deployment created %s for review-c", kd.Name)
		}
		if kd.Spec.Suspend {
			t.Errorf("%s is suspended with its multi deployment", kd.Name)
		}
	}

	e.patchPreview(func(md *v1alpha1.KluctlMultiDeployment) {
		md.Spec.Suspend = false
		md.Spec.Template.Labels = map[string]string{"team": "previews"}
		md.Spec.Template.Annotations = nil
	})
	kdC := e.waitPreview("review-c")
	e.waitFor(kdC, "Ready", 2*time.Minute, isReady)
	e.waitConfigMap("preview-review-c", true)
	for _, name := range []string{kdB, kdC} {
		e.waitFor(name, "the changed template label and no annotation", time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
			_, annotated := kd.Annotations["example.com/owner"]
			return kd.Labels["team"] == "previews" && !annotated
		})
	}
	if err := e.cl.Get(ctx, types.NamespacedName{Namespace: e.ns, Name: "preview"}, &md); err != nil {
		t.Fatal(err)
	}
	if md.Status.LastHandledReconcileAt != requested {
		t.Errorf("lastHandledReconcileAt after the resume = %q, want %q", md.Status.LastHandledReconcileAt, requested)
	}
}

// patchPreview changes the preview KluctlMultiDeployment by a merge patch.
func (e *env) patchPreview(change func(*v1alpha1.KluctlMultiDeployment)) {
	e.t.Helper()
	var md v1alpha1.KluctlMultiDeployment
	if err := e.cl.Get(context.Background(), types.NamespacedName{Namespace: e.ns, Name: "preview"}, &md); err != nil {
		e.t.Fatal(err)
	}
	base := md.DeepCopy()
	change(&md)
	if err := e.cl.Patch(context.Background(), &md, client.MergeFrom(base)); err != nil {
		e.t.Fatal(err)
	}
}

// waitPreview waits until the multi deployment lists target and its
// KluctlDeployment exists, and returns that deployment's name.
func (e *env) waitPreview(target string) string {
	e.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var md v1alpha1.KluctlMultiDeployment
		if err := e.cl.Get(ctx, types.NamespacedName{Namespace: e.ns, Name: "preview"}, &md); err != nil {
			e.t.Fatal(err)
		}
		for _, s := range md.Status.Targets {
			if s.Name != target {
				continue
			}
			var kd v1alpha1.KluctlDeployment
			err := e.cl.Get(ctx, types.NamespacedName{Namespace: e.ns, Name: s.KluctlDeploymentName}, &kd)
			if err == nil && kd.Spec.Target == target {
				return kd.Name
			}
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(md.Status, "", "  ")
			e.t.Fatalf("no KluctlDeployment for %s; status of the multi deployment:\n%s", target, b)
		}
		time.Sleep(time.Second)
	}
}

// waitConfigMap waits until the ConfigMap of a preview environment exists
// (or is gone).
func (e *env) waitConfigMap(ns string, exists bool) {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := e.cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "preview", metav1.GetOptions{})
		if (err == nil) == exists && (err == nil || apierrors.IsNotFound(err)) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("ConfigMap %s/preview: want exists=%v, got %v", ns, exists, err)
		}
		time.Sleep(time.Second)
	}
}
