package install

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

// renderOffline loads the install project without a cluster.
func renderOffline(t *testing.T, args map[string]any, opts Options) *engine.Target {
	t.Helper()
	scratch := t.TempDir()
	tgt, err := Load(context.Background(), engine.Options{Offline: true, Args: args, ScratchDir: scratch}, opts)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(scratch)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("the project folder was left in the scratch folder: %v", entries)
	}
	return tgt
}

func objectsByRef(tgt *engine.Target) map[string]*unstructured.Unstructured {
	out := map[string]*unstructured.Unstructured{}
	for _, it := range tgt.Rendered.Items {
		for _, o := range it.Objects {
			out[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
		}
	}
	return out
}

func controllerDeployment(t *testing.T, tgt *engine.Target) *appsv1.Deployment {
	t.Helper()
	u := objectsByRef(tgt)["Deployment/"+Namespace+"/"+DeploymentName]
	if u == nil {
		t.Fatal("no controller Deployment rendered")
	}
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestDefaults(t *testing.T) {
	tgt := renderOffline(t, nil, Options{})
	if got := tgt.Discriminator(); got != Discriminator {
		t.Errorf("discriminator = %q, want %q", got, Discriminator)
	}
	objs := objectsByRef(tgt)
	var refs []string
	for r, o := range objs {
		refs = append(refs, r)
		if got := o.GetLabels()[k8s.LabelDiscriminator]; got != Discriminator {
			t.Errorf("%s: discriminator label = %q", r, got)
		}
	}
	for _, want := range []string{
		"Namespace//kluctl-system",
		"CustomResourceDefinition//kluctldeployments.gitops.kluctl.io",
		"CustomResourceDefinition//kluctldeployments.flux.kluctl.io",
		"CustomResourceDefinition//kluctlmultideployments.flux.kluctl.io",
		"ServiceAccount/kluctl-system/kluctl-controller",
		"Role/kluctl-system/kluctl-controller-leader-election-role",
		"RoleBinding/kluctl-system/kluctl-controller-leader-election-rolebinding",
		"ClusterRole//kluctl-controller-role",
		"ClusterRoleBinding//kluctl-controller-rolebinding",
		"ClusterRoleBinding//kluctl-controller-cluster-admin",
		"Deployment/kluctl-system/kluctl-controller",
	} {
		if objs[want] == nil {
			t.Errorf("%s not rendered; rendered: %v", want, refs)
		}
	}
	if len(objs) != 11 {
		t.Errorf("rendered %d objects, want 11: %v", len(objs), refs)
	}

	d := controllerDeployment(t, tgt)
	c := d.Spec.Template.Spec.Containers[0]
	want := corev1.Container{
		Name:            "controller",
		Image:           "ghcr.io/kluctl/kluctl:v2.27.0",
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         []string{"kluctl", "controller", "run"},
		Args:            []string{"--leader-elect"},
		Env:             []corev1.EnvVar{},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2000m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
	}
	got := corev1.Container{Name: c.Name, Image: c.Image, ImagePullPolicy: c.ImagePullPolicy, Command: c.Command, Args: c.Args, Env: c.Env, Resources: c.Resources}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })); diff != "" {
		t.Errorf("container (-want +got):\n%s", diff)
	}
	if d.Spec.Template.Spec.ServiceAccountName != DeploymentName {
		t.Errorf("serviceAccountName = %q", d.Spec.Template.Spec.ServiceAccountName)
	}
	if d.Spec.Template.Spec.NodeSelector != nil || d.Spec.Template.Spec.Tolerations != nil || d.Spec.Template.Spec.PriorityClassName != "" {
		t.Errorf("scheduling fields set without args: %+v", d.Spec.Template.Spec)
	}
}

func TestArgs(t *testing.T) {
	args := map[string]any{
		"kluctl_image":    "registry.example.com/kluctl",
		"controller_args": []any{"--concurrency=8", int64(3)},
		"controller_envs": []any{map[string]any{"name": "GOMAXPROCS", "value": "2"}},
		"controller_resources": map[string]any{
			"requests": map[string]any{"cpu": "100m"},
		},
		"controller_node_selectors":              map[string]any{"pool": "system"},
		"controller_tolerations":                 []any{map[string]any{"key": "dedicated", "operator": "Exists"}},
		"controller_priority_class_name":         "system-cluster-critical",
		"controller_service_account_annotations": map[string]any{"iam.example.com/role": "kluctl"},
	}
	tgt := renderOffline(t, args, Options{KluctlVersion: "v2.28.0-devel"})
	d := controllerDeployment(t, tgt)
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	type view struct {
		Image      string
		PullPolicy corev1.PullPolicy
		Args       []string
		Env        []corev1.EnvVar
		CPURequest string
		Limits     int
		Nodes      map[string]string
		Toleration []corev1.Toleration
		Priority   string
	}
	got := view{c.Image, c.ImagePullPolicy, c.Args, c.Env, c.Resources.Requests.Cpu().String(), len(c.Resources.Limits), spec.NodeSelector, spec.Tolerations, spec.PriorityClassName}
	want := view{
		Image:      "registry.example.com/kluctl:v2.28.0-devel",
		PullPolicy: corev1.PullAlways,
		Args:       []string{"--leader-elect", "--concurrency=8", "3"},
		Env:        []corev1.EnvVar{{Name: "GOMAXPROCS", Value: "2"}},
		CPURequest: "100m",
		Nodes:      map[string]string{"pool": "system"},
		Toleration: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}},
		Priority:   "system-cluster-critical",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Deployment (-want +got):\n%s", diff)
	}
	sa := objectsByRef(tgt)["ServiceAccount/kluctl-system/kluctl-controller"]
	if got := sa.GetAnnotations()["iam.example.com/role"]; got != "kluctl" {
		t.Errorf("service account annotation = %q", got)
	}
	if args["kluctl_version"] != nil {
		t.Error("Load modified the caller's args")
	}
}

func TestArgsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{name: "args is a mapping", args: map[string]any{"controller_args": map[string]any{"a": "b"}}, want: "invalid arg controller_args: must be a list of strings"},
		{name: "env is a string", args: map[string]any{"controller_envs": "FOO=bar"}, want: "invalid arg controller_envs: must be a list of mappings"},
		{name: "resources is a list", args: map[string]any{"controller_resources": []any{"100m"}}, want: "invalid arg controller_resources: must be a mapping"},
		{name: "empty version", args: map[string]any{"kluctl_version": nil}, want: "invalid arg kluctl_version: must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(context.Background(), engine.Options{Offline: true, Args: tc.args, ScratchDir: t.TempDir()}, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSingleControllerArg(t *testing.T) {
	tgt := renderOffline(t, map[string]any{"controller_args": "--dry-run"}, Options{})
	if diff := cmp.Diff([]string{"--leader-elect", "--dry-run"}, controllerDeployment(t, tgt).Spec.Template.Spec.Containers[0].Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}

// TestWebUI: with webui_enabled the web UI is installed in in-cluster
// mode with its RBAC, the viewer role only reads.
func TestWebUI(t *testing.T) {
	tgt := renderOffline(t, map[string]any{"webui_enabled": true, "webui_args": []any{"--auth-oidc-issuer-url=https://idp.example.com"}}, Options{})
	objs := objectsByRef(tgt)
	for _, want := range []string{
		"ServiceAccount/kluctl-system/kluctl-webui", "ClusterRole//kluctl-webui", "ClusterRoleBinding//kluctl-webui",
		"Role/kluctl-system/kluctl-webui", "RoleBinding/kluctl-system/kluctl-webui",
		"ClusterRole//kluctl-webui-admin-role", "ClusterRoleBinding//kluctl-webui-admin-rolebinding",
		"ClusterRole//kluctl-webui-viewer-role", "ClusterRoleBinding//kluctl-webui-viewer-rolebinding",
		"Deployment/kluctl-system/kluctl-webui", "Service/kluctl-system/kluctl-webui",
		"Namespace//kluctl-results", "Role/kluctl-results/kluctl-webui-results", "RoleBinding/kluctl-results/kluctl-webui-results",
	} {
		if objs[want] == nil {
			t.Errorf("%s not rendered", want)
		}
	}
	if len(objs) != 25 {
		t.Errorf("rendered %d objects, want the controller's 11 and the web UI's 14", len(objs))
	}
	for _, r := range rulesOf(objs["ClusterRole//kluctl-webui"]) {
		if res, _, _ := unstructured.NestedStringSlice(r, "resources"); slices.Contains(res, "secrets") {
			t.Error("the web UI may read the Secrets of every namespace")
		}
	}
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs["Deployment/kluctl-system/kluctl-webui"].Object, &d); err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if diff := cmp.Diff([]string{"--in-cluster", "--auth-oidc-issuer-url=https://idp.example.com"}, c.Args); diff != "" {
		t.Errorf("webui args (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"kluctl", "webui", "run"}, c.Command); diff != "" {
		t.Errorf("webui command (-want +got):\n%s", diff)
	}
	for _, r := range rulesOf(objs["ClusterRole//kluctl-webui-viewer-role"]) {
		verbs, _, _ := unstructured.NestedStringSlice(r, "verbs")
		for _, v := range verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("the viewer role may %s", v)
			}
		}
	}
}

func rulesOf(u *unstructured.Unstructured) []map[string]any {
	var out []map[string]any
	l, _, _ := unstructured.NestedSlice(u.Object, "rules")
	for _, r := range l {
		out = append(out, r.(map[string]any))
	}
	return out
}
