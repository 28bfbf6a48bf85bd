package flux

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
)

// configMapProject is a project whose target test deploys the ConfigMap
// name (holding the data key target) into namespace ns.
func configMapProject(ns, name string) map[string][]byte {
	return map[string][]byte{
		".kluctl.yaml": []byte(`discriminator: "` + name + `-{{ target.name }}"
targets:
  - name: test
    context: default
`),
		"deployment.yaml":           []byte("deployments:\n  - path: config\n"),
		"config/kustomization.yaml": []byte("resources:\n  - configmap.yaml\n"),
		"config/configmap.yaml": []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: ` + name + `
  namespace: ` + ns + `
data:
  target: "{{ target.name }}"
`),
	}
}

// conditionsDeployment deploys configMapProject's target from the
// GitRepository "conditions", reconciling once an hour: whatever happens
// sooner is the work of a watch or an annotation.
const conditionsDeployment = `apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlDeployment
metadata:
  name: conditions
spec:
  interval: 1h
  sourceRef:
    kind: GitRepository
    name: conditions
  target: test
`

// TestFluxArtifactFailed: a KluctlDeployment whose GitRepository has no
// artifact, because its url names no repository, is not Ready with reason
// ArtifactFailed and a message naming the source and saying why; once the
// url is fixed it deploys, woken by the new artifact long before its
// interval.
func TestFluxArtifactFailed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.git.Commit("conditions", "main", configMapProject(e.ns, "conditions"), "a ConfigMap"); err != nil {
		t.Fatal(err)
	}
	e.createGitRepository("conditions", e.git.URL("no-such-repo"))
	e.waitGitRepositoryReady("conditions", metav1.ConditionFalse)

	e.apply(conditionsDeployment)
	kd := e.waitFor("conditions", "ArtifactFailed", time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		status, reason, _ := ready(kd)
		return status == metav1.ConditionFalse && reason == v1alpha1.ArtifactFailedReason
	})
	_, _, msg := ready(kd)
	for _, want := range []string{"source 'GitRepository/" + e.ns + "/conditions' is not ready", "artifact not found", "Ready=False", "no-such-repo"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not say %q", msg, want)
		}
	}
	if kd.Status.LastDeployResult != nil {
		t.Errorf("deployed without an artifact: %+v", kd.Status.LastDeployResult)
	}

	repo := &unstructured.Unstructured{}
	repo.SetAPIVersion("source.toolkit.fluxcd.io/v1")
	repo.SetKind("GitRepository")
	repo.SetNamespace(e.ns)
	repo.SetName("conditions")
	patch := fmt.Sprintf(`{"spec":{"url":%q}}`, e.git.URL("conditions"))
	if err := e.cl.Patch(ctx, repo, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	kd = e.waitFor("conditions", "Ready once the source is fixed", 2*time.Minute, isReady)
	if r := kd.Status.LastDeployResult; r == nil || !strings.HasPrefix(r.Revision, "main@sha1:") || r.Error != "" {
		t.Errorf("last deploy result: %+v", r)
	}
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "conditions", metav1.GetOptions{}); err != nil {
		t.Errorf("the ConfigMap was not deployed: %v", err)
	}
}

// TestFluxReconcileRequest: reconcile.fluxcd.io/requestedAt makes the
// controller reconcile at once, long before the interval, and record the
// request in status.lastHandledReconcileAt. As in the original, a
// reconcile that finds the project unchanged does not deploy: a ConfigMap
// deleted by hand stays deleted. deploy.flux.kluctl.io/requestedAt forces
// the deploy that brings it back.
func TestFluxReconcileRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.git.Commit("conditions", "main", configMapProject(e.ns, "conditions"), "a ConfigMap"); err != nil {
		t.Fatal(err)
	}
	e.createGitRepository("conditions", e.git.URL("conditions"))
	e.apply(conditionsDeployment)
	kd := e.waitFor("conditions", "Ready", 2*time.Minute, isReady)
	if kd.Status.LastDeployResult == nil {
		t.Fatal("Ready without a deploy result")
	}
	deployedAt := kd.Status.LastDeployResult.AttemptedAt

	if err := e.cs.CoreV1().ConfigMaps(e.ns).Delete(ctx, "conditions", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Past the second that AttemptedAt is written with.
	time.Sleep(1100 * time.Millisecond)
	requested := time.Now().Format(time.RFC3339Nano)
	e.annotate("conditions", v1alpha1.ReconcileRequestAnnotation, requested)
	e.waitFor("conditions", "the reconcile request handled", time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		return kd.Status.LastHandledReconcileAt == requested
	})
	// A deploy, had the reconcile started one, would be back within this.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "conditions", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("the ConfigMap is back after a mere reconcile request (%v)", err)
		}
	}
	kd = e.waitFor("conditions", "Ready", time.Minute, isReady)
	if at := kd.Status.LastDeployResult.AttemptedAt; !at.Equal(&deployedAt) {
		t.Errorf("a reconcile request deployed at %s (the last deploy was at %s)", at, deployedAt)
	}

	deployRequested := time.Now().Format(time.RFC3339Nano)
	e.annotate("conditions", v1alpha1.KluctlDeployRequestAnnotation, deployRequested)
	kd = e.waitFor("conditions", "the deploy request handled", time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		return isReady(kd) && kd.Status.LastHandledDeployAt == deployRequested &&
			kd.Status.LastDeployResult != nil && kd.Status.LastDeployResult.AttemptedAt.After(deployedAt.Time)
	})
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "conditions", metav1.GetOptions{}); err != nil {
		t.Errorf("the deploy request did not bring the ConfigMap back: %v", err)
	}
	if kd.Status.LastHandledReconcileAt != requested {
		t.Errorf("lastHandledReconcileAt = %q, want %q", kd.Status.LastHandledReconcileAt, requested)
	}
}

// createGitRepository creates a GitRepository of branch main at url,
// fetched every 2s with the git server's credentials.
func (e *env) createGitRepository(name, url string) {
	e.t.Helper()
	repo := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": name, "namespace": e.ns},
		"spec": map[string]any{"url": url, "interval": "2s",
			"ref": map[string]any{"branch": "main"}, "secretRef": map[string]any{"name": "git-credentials"}},
	}}
	if err := e.cl.Create(context.Background(), repo); err != nil {
		e.t.Fatal(err)
	}
}

// waitGitRepositoryReady waits until source-controller has set the Ready
// condition of the GitRepository to want.
func (e *env) waitGitRepositoryReady(name string, want metav1.ConditionStatus) {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("source.toolkit.fluxcd.io/v1")
		u.SetKind("GitRepository")
		if err := e.cl.Get(context.Background(), types.NamespacedName{Namespace: e.ns, Name: name}, u); err != nil {
			e.t.Fatal(err)
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if m, _ := c.(map[string]any); m["type"] == "Ready" && m["status"] == string(want) {
				return
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("GitRepository %s: Ready is not %s; conditions: %v", name, want, conds)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// annotate sets an annotation of the KluctlDeployment name.
func (e *env) annotate(name, key, value string) {
	e.t.Helper()
	kd := &v1alpha1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: name}}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, key, value)
	if err := e.cl.Patch(context.Background(), kd, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		e.t.Fatal(err)
	}
}
