package gitops

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// installArgs install the controller with a custom image, an extra
// controller argument, an environment variable and resources.
var installArgs = []string{
	"--kluctl-version", "v2.26.0",
	"-a", "kluctl_image=registry.example.com/kluctl",
	"-a", `controller_args=["--concurrency=8"]`,
	"-a", `controller_envs=[{name: KLUCTL_TEST_ENV, value: hello}]`,
	"-a", `controller_resources={requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}`,
}

// TestControllerInstall: a user installs the controller with custom
// settings, runs the install again (nothing changes), previews an upgrade
// with --dry-run and declines one at the prompt (nothing changes either).
func TestControllerInstall(t *testing.T) {
	c := simcluster.Current(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"KUBECONFIG=" + c.KubeconfigPath()}
	kluctl := func(args ...string) kluctltest.Result {
		t.Helper()
		return kluctltest.Run(t, env, append(args, "--context", c.Context())...)
	}
	mustResult := func(args ...string) *result.Result {
		t.Helper()
		res := kluctl(append(args, "-o", "yaml")...)
		if res.Code != 0 {
			t.Fatalf("kluctl %s: exit %d\nstderr: %s\nstdout: %s", strings.Join(args, " "), res.Code, res.Stderr, res.Stdout)
		}
		return kluctltest.DecodeResult(t, res.Stdout)
	}
	ctx := context.Background()

	// A bad arg is refused before anything is deployed.
	if res := kluctl("controller", "install", "--yes", "-a", "controller_envs=FOO=bar"); res.Code == 0 || !strings.Contains(res.Stderr, "invalid arg controller_envs") {
		t.Fatalf("bad arg: exit %d, stderr: %s", res.Code, res.Stderr)
	}

	mustResult(append([]string{"controller", "install", "--yes"}, installArgs...)...)

	// The Deployment's pod spec carries exactly the chosen values, and the
	// install waited until it was available.
	d, err := cs.AppsV1().Deployments("kluctl-system").Get(ctx, "kluctl-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !deploymentAvailable(d) {
		t.Errorf("the controller Deployment is not available after the install: %+v", d.Status)
	}
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(spec.Containers))
	}
	ctr := spec.Containers[0]
	type podView struct {
		ServiceAccount string
		Image          string
		Command, Args  []string
		Env            []corev1.EnvVar
		Resources      corev1.ResourceRequirements
	}
	want := podView{
		ServiceAccount: "kluctl-controller",
		Image:          "registry.example.com/kluctl:v2.26.0",
		Command:        []string{"kluctl", "controller", "run"},
		Args:           []string{"--leader-elect", "--concurrency=8"},
		Env:            []corev1.EnvVar{{Name: "KLUCTL_TEST_ENV", Value: "hello"}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
		},
	}
	got := podView{spec.ServiceAccountName, ctr.Image, ctr.Command, ctr.Args, ctr.Env, ctr.Resources}
	quantities := cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })
	if diff := cmp.Diff(want, got, quantities); diff != "" {
		t.Errorf("controller pod spec (-want +got):\n%s", diff)
	}

	// Namespace, service account, RBAC and the CRDs (gitops.kluctl.io and
	// the Flux-era flux.kluctl.io) exist, marked with the install
	// project's discriminator.
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		gvr       schema.GroupVersionResource
		namespace string
		name      string
	}{
		{schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "", "kluctl-system"},
		{schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, "kluctl-system", "kluctl-controller"},
		{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, "kluctl-system", "kluctl-controller-leader-election-role"},
		{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, "kluctl-system", "kluctl-controller-leader-election-rolebinding"},
		{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, "", "kluctl-controller-role"},
		{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, "", "kluctl-controller-rolebinding"},
		{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, "", "kluctl-controller-cluster-admin"},
		{schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, "", "kluctldeployments.gitops.kluctl.io"},
		{schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, "", "kluctldeployments.flux.kluctl.io"},
		{schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, "", "kluctlmultideployments.flux.kluctl.io"},
		{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "kluctl-system", "kluctl-controller"},
	} {
		u, err := dyn.Resource(o.gvr).Namespace(o.namespace).Get(ctx, o.name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s %s: %v", o.gvr.Resource, o.name, err)
			continue
		}
		if got := u.GetLabels()["kluctl.io/discriminator"]; got != "kluctl.io-controller" {
			t.Errorf("%s %s: discriminator label %q", o.gvr.Resource, o.name, got)
		}
		switch o.name {
		case "kluctl-controller-cluster-admin":
			if ref, _, _ := unstructured.NestedString(u.Object, "roleRef", "name"); ref != "cluster-admin" {
				t.Errorf("the controller is bound to %q, want cluster-admin", ref)
			}
		case "kluctldeployments.gitops.kluctl.io", "kluctldeployments.flux.kluctl.io", "kluctlmultideployments.flux.kluctl.io":
			if !crdEstablished(u) {
				t.Errorf("the CRD %s is not established: %v", o.name, u.Object["status"])
			}
		}
	}

	// Installing again with the same settings changes nothing.
	again := mustResult(append([]string{"controller", "install", "--yes"}, installArgs...)...)
	if len(again.NewObjects) != 0 || len(again.ChangedObjects) != 0 || len(again.DeletedObjects) != 0 || len(again.Errors) != 0 {
		t.Errorf("a second install changed something: new %v, changed %v, deleted %v, errors %v", again.NewObjects, again.ChangedObjects, again.DeletedObjects, again.Errors)
	}

	// A dry-run of an upgrade reports the change and changes nothing.
	upgrade := append([]string{"controller", "install"}, installArgs...)
	upgrade = append(upgrade, "--kluctl-version", "v2.27.0")
	dry := mustResult(append(upgrade, "--dry-run")...)
	if !dry.DryRun || len(dry.ChangedObjects) != 1 || dry.ChangedObjects[0].Ref.Name != "kluctl-controller" {
		t.Errorf("dry-run of an upgrade: dryRun %v, changed %v", dry.DryRun, dry.ChangedObjects)
	}
	assertUnchanged := func(when string) {
		t.Helper()
		now, err := cs.AppsV1().Deployments("kluctl-system").Get(ctx, "kluctl-controller", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if now.Generation != d.Generation || now.Spec.Template.Spec.Containers[0].Image != want.Image {
			t.Errorf("%s changed the Deployment: generation %d -> %d, image %s", when, d.Generation, now.Generation, now.Spec.Template.Spec.Containers[0].Image)
		}
	}
	assertUnchanged("--dry-run")

	// Without --yes the diff is shown and the user is asked; "no" aborts.
	tty := kluctltest.RunTTY(t, env, "n\n", append(upgrade, "--context", c.Context())...)
	if tty.Code == 0 || !strings.Contains(tty.Stderr, "registry.example.com/kluctl:v2.27.0") || !strings.Contains(tty.Stderr, "Do you really want to deploy") {
		t.Errorf("declined install: exit %d, stderr:\n%s", tty.Code, tty.Stderr)
	}
	assertUnchanged("a declined install")

	// Without a terminal and without --yes, nobody can confirm: refused.
	if res := kluctl(upgrade...); res.Code == 0 || !strings.Contains(res.Stderr, "--yes") {
		t.Errorf("install without --yes and terminal: exit %d, stderr:\n%s", res.Code, res.Stderr)
	}
	assertUnchanged("an unconfirmed install")
}

func deploymentAvailable(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func crdEstablished(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
