package prune_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/render"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Progress: os.Stderr}))
}

type env struct {
	t  *testing.T
	c  *k8s.Clients
	ns string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cl := simcluster.Current(t)
	c, err := k8s.NewClients(cl.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, c: c, ns: cl.NewNamespace(t)}
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	e.t.Cleanup(cancel)
	return ctx
}

// cm returns a ConfigMap in the test namespace with the discriminator disc
// (none when empty) and the given annotations.
func (e *env) cm(name, disc string, ann map[string]string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"k": "v"}}}
	o.SetName(name)
	o.SetNamespace(e.ns)
	if disc != "" {
		o.SetLabels(map[string]string{k8s.LabelDiscriminator: disc})
	}
	o.SetAnnotations(ann)
	return o
}

// applyAs server-side applies obj with the given field manager.
func (e *env) applyAs(manager string, obj *unstructured.Unstructured) {
	e.t.Helper()
	ri, _, err := e.c.Resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := obj.MarshalJSON()
	if err != nil {
		e.t.Fatal(err)
	}
	force := true
	if _, err := ri.Patch(context.Background(), obj.GetName(), types.ApplyPatchType, b, metav1.PatchOptions{FieldManager: manager, Force: &force}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) exists(name string) bool {
	e.t.Helper()
	ri, _, err := e.c.Resource(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, e.ns)
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = ri.Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return true
}

func renderResult(disc string, items ...*render.Item) *render.Result {
	return &render.Result{Target: "t", Discriminator: disc, Items: items}
}

func names(refs []k8s.ObjectRef) string {
	var s []string
	for _, r := range refs {
		s = append(s, r.Name)
	}
	return strings.Join(s, ",")
}
