package deploy_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/render"
)

func TestConflictWithOtherFieldManager(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	cm := func(a, b string) *render.Result {
		return e.result(disc, e.objects(disc, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: NS}
data: {a: `+a+`, b: `+b+`}
`))
	}
	if _, err := deploy.Deploy(e.ctx(), e.c, cm("ours1", "ours1"), deploy.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	ri, _, err := e.c.Resource(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, e.ns)
	if err != nil {
		t.Fatal(err)
	}
	force := true
	// a controller takes data.a with a forced server-side apply
	_, err = ri.Patch(context.Background(), "cm", types.ApplyPatchType,
		[]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"a":"theirs"}}`),
		metav1.PatchOptions{FieldManager: "other-controller", Force: &force})
	if err != nil {
		t.Fatal(err)
	}
	// a human edits data.b with kubectl edit
	_, err = ri.Patch(context.Background(), "cm", types.MergePatchType, []byte(`{"data":{"b":"edited"}}`),
		metav1.PatchOptions{FieldManager: "kubectl-edit"})
	if err != nil {
		t.Fatal(err)
	}

	r, err := deploy.Deploy(e.ctx(), e.c, cm("ours2", "ours2"), deploy.DefaultOptions())
	if err != nil {
		t.Fatalf("deploy with conflicts must succeed with warnings: %v", err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0].Message, "lost field ownership") ||
		!strings.Contains(r.Warnings[0].Message, "other-controller") || !strings.Contains(r.Warnings[0].Message, ".data.a") {
		t.Errorf("want one lost-ownership warning about .data.a, got %+v", r.Warnings)
	}
	data := e.get("v1", "ConfigMap", e.ns, "cm").Object["data"].(map[string]any)
	if data["a"] != "theirs" || data["b"] != "ours2" {
		t.Errorf("want a kept by other-controller and b taken over from kubectl-edit, got %v", data)
	}

	opts := deploy.DefaultOptions()
	opts.ForceApply = true
	r, err = deploy.Deploy(e.ctx(), e.c, cm("ours3", "ours3"), opts)
	if err != nil || len(r.Warnings) != 0 {
		t.Fatalf("force-apply: err=%v warnings=%v", err, r.Warnings)
	}
	if data := e.get("v1", "ConfigMap", e.ns, "cm").Object["data"].(map[string]any); data["a"] != "ours3" {
		t.Errorf("force-apply must take data.a, got %v", data)
	}
}
