package deploy_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/render"
	"github.com/kluctl-go/kluctl/internal/result"
)

func TestDeployNewThenUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	res := e.result(disc, e.objects(disc, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm1, namespace: NS}
data: {a: "1"}
---
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: NS}
spec:
  ports: [{port: 80}]
`))
	opts := deploy.DefaultOptions()
	r, err := deploy.Deploy(e.ctx(), e.c, res, opts)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if len(r.NewObjects) != 2 || len(r.ChangedObjects) != 0 {
		t.Fatalf("first deploy: want 2 new, 0 changed, got %+v", r)
	}
	r, err = deploy.Deploy(e.ctx(), e.c, res, opts)
	if err != nil {
		t.Fatalf("second deploy: %v", err)
	}
	if len(r.NewObjects) != 0 || len(r.ChangedObjects) != 0 {
		t.Fatalf("second deploy: want no changes, got %+v", r)
	}
}

func TestDiffShowsExactlyTheChangedField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	cm := func(v string) *render.Result {
		return e.result(disc, e.objects(disc, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: NS, labels: {app: x}}
data: {a: "`+v+`", b: keep}
`))
	}
	if _, err := deploy.Deploy(e.ctx(), e.c, cm("1"), deploy.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	r, err := deploy.Diff(e.ctx(), e.c, cm("2"), deploy.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := []result.ChangedObject{{
		Ref:     k8s.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: e.ns, Name: "cm"},
		Changes: []diff.Change{{Type: diff.ChangeUpdate, JSONPath: "data.a", UnifiedDiff: "-1\n+2", OldValue: "1", NewValue: "2"}},
	}}
	if d := cmp.Diff(want, r.ChangedObjects); d != "" {
		t.Errorf("changed objects (-want +got):\n%s", d)
	}
	if !r.DryRun || len(r.NewObjects) != 0 {
		t.Errorf("want a dry-run with no new objects, got %+v", r)
	}
	if got := e.get("v1", "ConfigMap", e.ns, "cm"); got.Object["data"].(map[string]any)["a"] != "1" {
		t.Error("diff must not change the cluster")
	}
}

func TestSecretValuesAppearInNoOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	sec := func(pw string) *render.Result {
		r := e.result(disc, e.objects(disc, `
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: NS}
stringData: {password: `+pw+`, user: admin-user-name}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: NS}
data: {dsn: "postgres://admin:`+pw+`@db"}
`))
		r.SensitiveValues = []string{pw}
		return r
	}
	r, err := deploy.Deploy(e.ctx(), e.c, sec("first-s3cret-pw"), deploy.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	r2, err := deploy.Diff(e.ctx(), e.c, sec("second-s3cret-pw"), deploy.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	out := outputs(t, r) + outputs(t, r2)
	for _, leak := range []string{"s3cret", base64.StdEncoding.EncodeToString([]byte("first-s3cret-pw")), base64.StdEncoding.EncodeToString([]byte("second-s3cret-pw")), "admin-user-name", base64.StdEncoding.EncodeToString([]byte("admin-user-name"))} {
		if strings.Contains(out, leak) {
			t.Errorf("output leaks %q:\n%s", leak, out)
		}
	}
	changed := map[string]bool{}
	for _, c := range r2.ChangedObjects {
		for _, ch := range c.Changes {
			changed[c.Ref.Kind+" "+ch.JSONPath] = true
		}
	}
	if !changed["Secret data.password"] || changed["Secret data.user"] || !changed["ConfigMap data.dsn"] {
		t.Errorf("want the password and dsn shown as changed (masked), the user not; got %v", changed)
	}
}

func TestCRDAndCustomResourceInOneItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	group := e.ns + ".example.com"
	res := e.result(disc, e.objects(disc, `
apiVersion: `+group+`/v1
kind: Widget
metadata: {name: w1, namespace: NS}
spec: {size: 3}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.`+group+`}
spec:
  group: `+group+`
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`))
	r, err := deploy.Diff(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err != nil {
		t.Fatalf("diff before the CRD exists: %v", err)
	}
	if len(r.NewObjects) != 2 {
		t.Errorf("diff: want CRD and CR as new, got %v", r.NewObjects)
	}
	r, err = deploy.Deploy(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if len(r.NewObjects) != 2 {
		t.Errorf("deploy: want 2 new objects, got %v", r.NewObjects)
	}
	if e.get(group+"/v1", "Widget", e.ns, "w1") == nil {
		t.Error("custom resource was not created")
	}
}

func TestImmutableFieldNeedsReplaceOnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	job := func(image string) *render.Result {
		return e.result(disc, e.objects(disc, `
apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: NS}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: `+image+`}]
`))
	}
	if _, err := deploy.Deploy(e.ctx(), e.c, job("busybox:1"), deploy.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	_, err := deploy.Deploy(e.ctx(), e.c, job("busybox:2"), deploy.DefaultOptions())
	if err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Fatalf("want an immutable field error naming the job, got %v", err)
	}
	// An update cannot change an immutable field, so replace-on-error
	// re-creates the object.
	opts := deploy.DefaultOptions()
	opts.ReplaceOnError = true
	r, err := deploy.Deploy(e.ctx(), e.c, job("busybox:2"), opts)
	if err != nil {
		t.Fatalf("replace-on-error: %v", err)
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0].Message, "re-created") {
		t.Errorf("want a warning about the re-creation, got %v", r.Warnings)
	}
	got := e.get("batch/v1", "Job", e.ns, "j")
	cs, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
	if cs[0].(map[string]any)["image"] != "busybox:2" {
		t.Errorf("job not replaced: %v", cs)
	}
	force := deploy.DefaultOptions()
	force.ForceReplaceOnError = true
	if _, err := deploy.Deploy(e.ctx(), e.c, job("busybox:3"), force); err != nil {
		t.Fatalf("force-replace-on-error: %v", err)
	}
	got = e.get("batch/v1", "Job", e.ns, "j")
	cs, _, _ = unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
	if cs[0].(map[string]any)["image"] != "busybox:3" {
		t.Errorf("job not force-replaced: %v", cs)
	}
}

func TestDryRunWithNewNamespace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	newNS := e.ns + "-new"
	res := e.result(disc, e.objects(disc, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: `+newNS+`}
---
apiVersion: v1
kind: Namespace
metadata: {name: `+newNS+`}
`))
	r, err := deploy.Diff(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	if len(r.NewObjects) != 2 {
		t.Errorf("want namespace and config map as new, got %v", r.NewObjects)
	}
	if e.get("v1", "Namespace", "", newNS) != nil {
		t.Error("a diff must not create the namespace")
	}
}

func TestWaitReadiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	res := e.result(disc, e.objects(disc, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx}]
`))
	res.Items[0].WaitReadiness = true
	if _, err := deploy.Deploy(e.ctx(), e.c, res, deploy.DefaultOptions()); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	got := e.get("apps/v1", "Deployment", e.ns, "web")
	if ready, _, _ := unstructured.NestedInt64(got.Object, "status", "readyReplicas"); ready != 2 {
		t.Errorf("deploy returned before the deployment was ready: readyReplicas=%d", ready)
	}

	never := e.result(disc, e.objects(disc, `
apiVersion: v1
kind: ConfigMap
metadata: {name: never, namespace: NS, annotations: {kluctl.io/wait-readiness: "true", kluctl.io/is-ready: "false"}}
`))
	opts := deploy.DefaultOptions()
	opts.ReadinessTimeout = 2 * time.Second
	r, err := deploy.Deploy(e.ctx(), e.c, never, opts)
	if err == nil || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "timed out") {
		t.Fatalf("want a readiness timeout error, got %v", err)
	}
	opts.NoWait = true
	if _, err := deploy.Deploy(e.ctx(), e.c, never, opts); err != nil {
		t.Fatalf("no-wait must not wait: %v", err)
	}
}

func TestDeleteObjectsOfItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	if _, err := deploy.Deploy(e.ctx(), e.c, e.result(disc, e.objects(disc, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old, namespace: NS}")), deploy.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	res := e.result(disc, e.objects(disc, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new, namespace: NS}"))
	res.Items[0].DeleteObjects = []k8s.ObjectRef{{Kind: "ConfigMap", Namespace: e.ns, Name: "old"}}
	r, err := deploy.Deploy(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.DeletedObjects) != 1 || r.DeletedObjects[0].Name != "old" || e.get("v1", "ConfigMap", e.ns, "old") != nil {
		t.Errorf("want old deleted, got %v", r.DeletedObjects)
	}
}

func TestDeployReportsAndPrunesOrphans(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	both := e.result(disc, e.objects(disc, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: NS}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: NS}"))
	if _, err := deploy.Deploy(e.ctx(), e.c, both, deploy.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	onlyA := e.result(disc, e.objects(disc, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: NS}"))
	r, err := deploy.Deploy(e.ctx(), e.c, onlyA, deploy.DefaultOptions())
	if err != nil || len(r.OrphanObjects) != 1 || r.OrphanObjects[0].Name != "b" || len(r.DeletedObjects) != 0 {
		t.Fatalf("want b reported as orphan and kept, got err=%v %+v", err, r)
	}
	opts := deploy.DefaultOptions()
	opts.Prune = true
	r, err = deploy.Deploy(e.ctx(), e.c, onlyA, opts)
	if err != nil || len(r.DeletedObjects) != 1 || r.DeletedObjects[0].Name != "b" {
		t.Fatalf("want b pruned, got err=%v %+v", err, r)
	}
	if e.get("v1", "ConfigMap", e.ns, "b") != nil {
		t.Error("b still exists after prune")
	}
}
