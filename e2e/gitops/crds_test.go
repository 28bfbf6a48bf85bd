package gitops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

var (
	fluxKluctlDeployments      = v1alpha1.GroupVersion.WithResource("kluctldeployments")
	fluxKluctlMultiDeployments = v1alpha1.GroupVersion.WithResource("kluctlmultideployments")
)

// legacyDemoTest is the flux.kluctl.io KluctlDeployment a user of the
// Flux-era controller reported: the demo's test target from a
// GitRepository.
const legacyDemoTest = `
apiVersion: flux.kluctl.io/v1alpha1
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

// legacyDemoMulti is the KluctlMultiDeployment of the Flux-era
// documentation.
const legacyDemoMulti = `
apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlMultiDeployment
metadata:
  name: microservices-demo-multi
spec:
  interval: 5m
  path: "./microservices-demo/3-templating-and-multi-env/"
  sourceRef:
    kind: GitRepository
    name: microservices-demo
  targetPattern: local|test|feature-.*
  template:
    spec:
      interval: 5m
      timeout: 2m
      prune: true
      renameContexts:
        - oldContext: default
          newContext: kind-kind
`

// legacyAPI is a namespace of the simulated cluster with all CRDs
// installed, written to as kubectl apply --server-side does.
type legacyAPI struct {
	t   *testing.T
	cfg *rest.Config
	dyn dynamic.Interface
	ns  string
}

func newLegacyAPI(t *testing.T) *legacyAPI {
	t.Helper()
	c := simcluster.Current(t)
	cfg := c.RESTConfig()
	clients, err := k8s.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := controller.ApplyCRDs(ctx, clients, "kluctl-test"); err != nil {
		t.Fatal(err)
	}
	return &legacyAPI{t: t, cfg: cfg, dyn: clients.Dynamic, ns: c.NewNamespace(t)}
}

// apply server-side applies a manifest, edited by mutate, with strict field
// validation (kubectl's default) and returns the stored object.
func (a *legacyAPI) apply(gvr schema.GroupVersionResource, manifest string, mutate func(map[string]any)) (*unstructured.Unstructured, error) {
	a.t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(manifest), &obj); err != nil {
		a.t.Fatal(err)
	}
	if mutate != nil {
		mutate(obj)
	}
	u := &unstructured.Unstructured{Object: obj}
	body, err := json.Marshal(obj)
	if err != nil {
		a.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return a.dyn.Resource(gvr).Namespace(a.ns).Patch(ctx, u.GetName(), types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: "kubectl", FieldValidation: "Strict"})
}

// columns returns the header of `kubectl get` for a resource: the server's
// Table rendering of it.
func (a *legacyAPI) columns(gvr schema.GroupVersionResource) []string {
	a.t.Helper()
	hc, err := rest.HTTPClientFor(a.cfg)
	if err != nil {
		a.t.Fatal(err)
	}
	url := fmt.Sprintf("%s/apis/%s/%s/namespaces/%s/%s", strings.TrimSuffix(a.cfg.Host, "/"), gvr.Group, gvr.Version, a.ns, gvr.Resource)
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		a.t.Fatalf("get table: %s %v: %s", resp.Status, err, b)
	}
	var table metav1.Table
	if err := json.Unmarshal(b, &table); err != nil {
		a.t.Fatal(err)
	}
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	return names
}

func setPath(value any, path ...string) func(map[string]any) {
	return func(obj map[string]any) {
		if err := unstructured.SetNestedField(obj, value, path...); err != nil {
			panic(err)
		}
	}
}

// A manifest written for the Flux-era controller is accepted as it is: the
// API server fills in the original defaults, and the stored object reads
// back into the Go type.
func TestLegacyKluctlDeploymentIsAcceptedWithDefaults(t *testing.T) {
	a := newLegacyAPI(t)

	stored, err := a.apply(fluxKluctlDeployments, legacyDemoTest, nil)
	if err != nil {
		t.Fatalf("apply the legacy KluctlDeployment: %v", err)
	}
	var kd v1alpha1.KluctlDeployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(stored.Object, &kd, true); err != nil {
		t.Fatalf("stored object does not fit the Go type: %v", err)
	}
	spec := kd.Spec
	if spec.SourceRef != (v1alpha1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "microservices-demo"}) ||
		spec.Target != "test" || spec.Path != "./microservices-demo/3-templating-and-multi-env/" ||
		spec.Interval.Duration != 5*time.Minute || spec.GetTimeout() != 2*time.Minute || !spec.Prune {
		t.Errorf("stored spec lost fields of the manifest: %+v", spec)
	}
	if diff := cmp.Diff([]v1alpha1.RenameContext{{OldContext: "default", NewContext: "kind-kind"}}, spec.RenameContexts); diff != "" {
		t.Errorf("renameContexts (-want +got):\n%s", diff)
	}
	// server-side defaults of the original CRD
	if spec.DeployMode != v1alpha1.KluctlDeployModeFull {
		t.Errorf("deployMode = %q, want the default %q", spec.DeployMode, v1alpha1.KluctlDeployModeFull)
	}
	if spec.ValidateInterval == nil || spec.ValidateInterval.Duration != 5*time.Minute {
		t.Errorf("validateInterval = %v, want the default 5m", spec.ValidateInterval)
	}
	for _, field := range []string{"dryRun", "noWait", "updateImages", "forceApply", "replaceOnError", "forceReplaceOnError", "abortOnError"} {
		v, found, err := unstructured.NestedBool(stored.Object, "spec", field)
		if err != nil || !found || v {
			t.Errorf("spec.%s = %v (found %v, %v), want the default false", field, v, found, err)
		}
	}

	want := []string{"Name", "Deployed", "Pruned", "Validated", "Ready", "Status", "Age"}
	if diff := cmp.Diff(want, a.columns(fluxKluctlDeployments)); diff != "" {
		t.Errorf("kubectl get columns (-want +got):\n%s", diff)
	}
}

// The documented KluctlMultiDeployment is accepted, and its template gets
// the same defaults as a KluctlDeployment.
func TestLegacyKluctlMultiDeploymentIsAcceptedWithDefaults(t *testing.T) {
	a := newLegacyAPI(t)

	stored, err := a.apply(fluxKluctlMultiDeployments, legacyDemoMulti, nil)
	if err != nil {
		t.Fatalf("apply the legacy KluctlMultiDeployment: %v", err)
	}
	var md v1alpha1.KluctlMultiDeployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(stored.Object, &md, true); err != nil {
		t.Fatalf("stored object does not fit the Go type: %v", err)
	}
	if md.Spec.TargetPattern != "local|test|feature-.*" || md.Spec.SourceRef.Name != "microservices-demo" {
		t.Errorf("stored spec lost fields of the manifest: %+v", md.Spec)
	}
	tmpl := md.Spec.Template.Spec
	if !tmpl.Prune || tmpl.GetTimeout() != 2*time.Minute || tmpl.DeployMode != v1alpha1.KluctlDeployModeFull ||
		tmpl.ValidateInterval == nil || tmpl.ValidateInterval.Duration != 5*time.Minute {
		t.Errorf("template spec = %+v, want the manifest's fields and the defaults", tmpl)
	}
}

// The API server validates legacy objects as the original CRD did.
func TestLegacyKluctlDeploymentValidation(t *testing.T) {
	a := newLegacyAPI(t)

	tests := []struct {
		name       string
		gvr        schema.GroupVersionResource
		base       string
		mutate     func(map[string]any)
		wantMsg    string
		undeclared bool
	}{
		{
			name: "unknown source kind", gvr: fluxKluctlDeployments, base: legacyDemoTest,
			mutate: setPath("Foo", "spec", "sourceRef", "kind"), wantMsg: "spec.sourceRef.kind",
		},
		{
			name: "empty target", gvr: fluxKluctlDeployments, base: legacyDemoTest,
			mutate: setPath("", "spec", "target"), wantMsg: "spec.target",
		},
		{
			name: "missing target", gvr: fluxKluctlDeployments, base: legacyDemoTest,
			mutate: func(obj map[string]any) { unstructured.RemoveNestedField(obj, "spec", "target") }, wantMsg: "spec.target",
		},
		{
			name: "unknown deploy mode", gvr: fluxKluctlDeployments, base: legacyDemoTest,
			mutate: setPath("rolling", "spec", "deployMode"), wantMsg: "spec.deployMode",
		},
		{
			name: "unknown field", gvr: fluxKluctlDeployments, base: legacyDemoTest,
			mutate: setPath(true, "spec", "pruneAll"), wantMsg: "pruneAll", undeclared: true,
		},
		{
			name: "unknown source kind in a multi deployment", gvr: fluxKluctlMultiDeployments, base: legacyDemoMulti,
			mutate: setPath("OCIRepository", "spec", "sourceRef", "kind"), wantMsg: "spec.sourceRef.kind",
		},
		{
			name: "missing target pattern", gvr: fluxKluctlMultiDeployments, base: legacyDemoMulti,
			mutate: func(obj map[string]any) { unstructured.RemoveNestedField(obj, "spec", "targetPattern") }, wantMsg: "spec.targetPattern",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.apply(tt.gvr, tt.base, tt.mutate)
			if err == nil {
				t.Fatal("the API server accepted the object")
			}
			var status apierrors.APIStatus
			if !errors.As(err, &status) {
				t.Fatalf("not an API error: %v", err)
			}
			want := int32(http.StatusUnprocessableEntity)
			if tt.undeclared {
				// server-side apply rejects a field the schema does not
				// declare while building the typed patch, with a 500
				want = http.StatusInternalServerError
			}
			if code := status.Status().Code; code != want {
				t.Errorf("status code %d, want %d: %v", code, want, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not name %s", err, tt.wantMsg)
			}
		})
	}
}
