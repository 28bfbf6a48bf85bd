package flux

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
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
    spec:
      interval: 2s
      prune: true
`

// TestFluxPreview: a KluctlMultiDeployment keeps one KluctlDeployment per
// review-* branch of the project's repository. Pushing a branch deploys
// its preview environment; deleting the branch deletes the
// KluctlDeployment and, with prune, the environment's objects.
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
	e.waitFor(kdA, "Ready", 2*time.Minute, isReady)
	e.waitConfigMap("preview-review-a", true)

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
	kd := e.waitFor(kdB, "still Ready", time.Minute, isReady)
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
