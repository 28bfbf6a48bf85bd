package deploy_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestZZDebugDryRunEqual(t *testing.T) {
	e := newEnv(t)
	objs := e.objects("x", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: NS}\ndata: {a: b}")
	ri, _, _ := e.c.Resource(objs[0].GroupVersionKind(), e.ns)
	b, _ := objs[0].MarshalJSON()
	f := false
	if _, err := ri.Patch(context.Background(), "a", types.ApplyPatchType, b, metav1.PatchOptions{FieldManager: "kluctl", Force: &f}); err != nil {
		t.Fatal(err)
	}
	l, _ := ri.List(context.Background(), metav1.ListOptions{})
	d, _ := ri.Patch(context.Background(), "a", types.ApplyPatchType, b, metav1.PatchOptions{FieldManager: "kluctl", Force: &f, DryRun: []string{"All"}})
	t.Log(cmp.Diff(l.Items[0].Object, d.Object))
}
