package flux

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/fluxsim"
	"github.com/kluctl-go/kluctl/internal/gitserver"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

const gitUser, gitPassword = "flux", "flux-s3cret"

// env is the simulated cluster with source-controller, a git server with
// the demo and the controller, all for one test namespace.
type env struct {
	t   *testing.T
	c   *simcluster.Cluster
	cs  kubernetes.Interface
	cl  client.Client
	git *gitserver.Server
	ns  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := simcluster.Current(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sc, err := fluxsim.Start(ctx, c, fluxsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sc.Stop() })
	cc := kluctltest.NewControllerClients(t, c.RESTConfig())
	cl := cc.CL
	srv := kluctltest.DemoGitServer(t, gitUser, gitPassword, "microservices-demo")
	e := &env{t: t, c: c, cs: cc.CS, cl: cl, git: srv, ns: c.NewNamespace(t)}
	kluctltest.CreateCredentialsSecret(t, cc.CS, e.ns, "git-credentials", gitUser, gitPassword)
	repo := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": "microservices-demo", "namespace": e.ns},
		"spec": map[string]any{"url": srv.URL("microservices-demo"), "interval": "2s",
			"ref": map[string]any{"branch": "main"}, "secretRef": map[string]any{"name": "git-credentials"}},
	}}
	if err := cl.Create(ctx, repo); err != nil {
		t.Fatal(err)
	}
	e.startController(ctx)
	return e
}

func (e *env) startController(ctx context.Context) {
	t := e.t
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	logger := funcr.NewJSON(func(obj string) { t.Log(obj) }, funcr.Options{})
	go func() {
		done <- controller.Run(ctx, e.c.RESTConfig(), controller.RunOptions{
			Options:        controller.Options{Name: "kluctl-controller", Namespace: "kluctl-system", Concurrency: 4, WriteResults: true, RequeueDependency: 2 * time.Second},
			WatchNamespace: e.ns, MetricsAddr: "0", ProbeAddr: "0", Logger: logger,
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("controller: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the controller did not stop")
		}
	})
}

// apply creates a KluctlDeployment from YAML, in the test namespace.
func (e *env) apply(manifest string) {
	e.t.Helper()
	var kd v1alpha1.KluctlDeployment
	if err := yaml.UnmarshalStrict([]byte(manifest), &kd); err != nil {
		e.t.Fatal(err)
	}
	kd.Namespace = e.ns
	if err := e.cl.Create(context.Background(), &kd); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) waitFor(name, what string, timeout time.Duration, cond func(*v1alpha1.KluctlDeployment) bool) *v1alpha1.KluctlDeployment {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var kd v1alpha1.KluctlDeployment
		if err := e.cl.Get(context.Background(), types.NamespacedName{Namespace: e.ns, Name: name}, &kd); err != nil {
			e.t.Fatal(err)
		}
		if cond(&kd) {
			return &kd
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(kd.Status, "", "  ")
			e.t.Fatalf("%s: %s did not happen within %s; status:\n%s", name, what, timeout, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func ready(kd *v1alpha1.KluctlDeployment) (metav1.ConditionStatus, string, string) {
	c := meta.FindStatusCondition(kd.Status.Conditions, v1alpha1.ReadyCondition)
	if c == nil {
		return "", "", ""
	}
	return c.Status, c.Reason, c.Message
}

// healthy is Ready with a passing validation (the Healthy condition).
func healthy(kd *v1alpha1.KluctlDeployment) bool {
	c := meta.FindStatusCondition(kd.Status.Conditions, v1alpha1.HealthyCondition)
	return isReady(kd) && c != nil && c.Status == metav1.ConditionTrue
}

func isReady(kd *v1alpha1.KluctlDeployment) bool {
	s, _, _ := ready(kd)
	return s == metav1.ConditionTrue
}

// waitAvailable waits until want Deployments in ns are Available.
func (e *env) waitAvailable(ns string, want int) {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		l, err := e.cs.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		n := 0
		for _, d := range l.Items {
			for _, c := range d.Status.Conditions {
				if c.Type == "Available" && c.Status == corev1.ConditionTrue {
					n++
				}
			}
		}
		if n >= want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d Deployments in %s Available", n, want, ns)
		}
		time.Sleep(time.Second)
	}
}

// The manifest, as written.
const testManifest = `apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlDeployment
metadata:
  name: microservices-demo-test
spec:
  interval: 5m
  path: "./microservices-demo/3-templating-and-multi-env/"
  sourceRef:
    kind: GitRepository
    name: microservices-demo
  timeout: 2m
  target: test
  prune: true
  renameContexts:
    - oldContext: default
      newContext: kind-kind
`

// TestFluxKluctlDeployment: the Flux-era manifest deploys the demo from a
// Flux GitRepository; prod deploys beside it; a deployment that depends on
// prod waits for it; a pushed commit is deployed once source-controller
// has it; deleting a KluctlDeployment with prune removes its objects.
func TestFluxKluctlDeployment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	// Waits for prod, which does not exist yet.
	e.apply(strings.NewReplacer("microservices-demo-test", "local-after-prod", "target: test", "target: local").Replace(testManifest) +
		"  dryRun: true\n  dependsOn:\n    - name: microservices-demo-prod\n")
	e.waitFor("local-after-prod", "DependencyNotReady", time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		_, reason, msg := ready(kd)
		return reason == v1alpha1.DependencyNotReadyReason && strings.Contains(msg, "microservices-demo-prod")
	})

	e.apply(testManifest)
	kd := e.waitFor("microservices-demo-test", "Ready and Healthy", 4*time.Minute, healthy)
	e.waitAvailable("ms-demo-test", 9)
	if kd.Status.LastDeployResult == nil || !strings.HasPrefix(kd.Status.LastDeployResult.Revision, "main@sha1:") || kd.Status.LastDeployResult.TargetName != "test" ||
		kd.Status.LastPruneResult == nil || kd.Status.LastValidateResult == nil || kd.Status.LastValidateResult.Error != "" {
		b, _ := json.MarshalIndent(kd.Status, "", "  ")
		t.Fatalf("status after the first deploy:\n%s", b)
	}

	e.apply(strings.ReplaceAll(strings.ReplaceAll(testManifest, "microservices-demo-test", "microservices-demo-prod"), "target: test", "target: prod"))
	e.waitFor("microservices-demo-prod", "Ready and Healthy", 4*time.Minute, healthy)
	e.waitAvailable("ms-demo-prod", 9)
	e.waitFor("local-after-prod", "Ready once prod is", 2*time.Minute, isReady)
	if _, err := e.cs.CoreV1().Namespaces().Get(ctx, "ms-demo-local", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the dry-run deployment created its namespace: %v", err)
	}

	// A pushed commit reaches the cluster through source-controller.
	nsFile := "microservices-demo/3-templating-and-multi-env/namespaces/namespace.yml"
	b, err := os.ReadFile(filepath.Join(kluctltest.SharedDir(t), "examples", nsFile))
	if err != nil {
		t.Fatal(err)
	}
	pushed := strings.Replace(string(b), "metadata:\n", "metadata:\n  labels:\n    pushed: \"1\"\n", 1)
	commit, err := e.git.Commit("microservices-demo", "main", map[string][]byte{nsFile: []byte(pushed)}, "label the namespace")
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("microservices-demo-test", "the pushed commit deployed", 2*time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		return isReady(kd) && kd.Status.LastDeployResult != nil && kd.Status.LastDeployResult.Revision == "main@sha1:"+commit
	})
	if ns, err := e.cs.CoreV1().Namespaces().Get(ctx, "ms-demo-test", metav1.GetOptions{}); err != nil || ns.Labels["pushed"] != "1" {
		t.Fatalf("the pushed label is not on the namespace: %v", err)
	}

	// Deleting with prune: true removes the target's objects; prod stays.
	if err := e.cl.Delete(ctx, &v1alpha1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{Name: "microservices-demo-test", Namespace: e.ns}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := e.cs.AppsV1().Deployments("ms-demo-test").Get(ctx, "frontend", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test environment's frontend is still there after the deletion: %v", err)
		}
		time.Sleep(time.Second)
	}
	if _, err := e.cs.AppsV1().Deployments("ms-demo-prod").Get(ctx, "frontend", metav1.GetOptions{}); err != nil {
		t.Errorf("prod's frontend went with test's deletion: %v", err)
	}
}
