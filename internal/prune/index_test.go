package prune_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kluctl-go/kluctl/internal/prune"
)

func ownedNames(owned []prune.Owned) string {
	var out []string
	for _, o := range owned {
		out = append(out, o.Ref.Kind+"/"+o.Ref.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// eventually polls the index until it answers want for discriminator d.
func eventually(t *testing.T, ctx context.Context, x *prune.Index, d, want string) {
	t.Helper()
	var got string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		owned, _, err := x.ListOwned(ctx, d, prune.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got = ownedNames(owned); got == want {
			return
		}
	}
	t.Fatalf("index for %q answers %q, want %q", d, got, want)
}

// The index answers what a direct search answers, follows creations and
// deletions, and watches resource types that appear after it started.
func TestIndexFollowsTheCluster(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx()
	d := "idx-" + e.ns
	e.applyAs("kluctl", e.cm("a", d, nil))
	e.applyAs("kluctl", e.cm("b", d, nil))
	e.applyAs("kluctl", e.cm("other", d+"-other", nil))
	e.applyAs("kluctl", e.cm("unlabelled", "", nil))

	x := prune.NewIndex(e.c, prune.IndexOptions{Rediscover: 200 * time.Millisecond})
	// Not running yet: it lists directly.
	owned, _, err := x.ListOwned(ctx, d, prune.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ownedNames(owned); got != "ConfigMap/a,ConfigMap/b" {
		t.Fatalf("before Run: %q", got)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = x.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })

	eventually(t, ctx, x, d, "ConfigMap/a,ConfigMap/b")
	direct, _, err := prune.ListOwned(ctx, e.c, d, prune.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned, _, err = x.ListOwned(ctx, d, prune.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ownedNames(direct) != ownedNames(owned) {
		t.Fatalf("index %q differs from a direct search %q", ownedNames(owned), ownedNames(direct))
	}
	for _, o := range owned {
		if !prune.ManagedByKluctl(o.Meta) {
			t.Errorf("%s: the index lost the field manager", o.Ref)
		}
		for _, mf := range o.Meta.ManagedFields {
			if mf.FieldsV1 != nil {
				t.Errorf("%s: the index keeps managed fields' content", o.Ref)
			}
		}
	}

	e.applyAs("kluctl", e.cm("c", d, nil))
	cmRes, _, err := e.c.Resource(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, e.ns)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmRes.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, x, d, "ConfigMap/b,ConfigMap/c")

	// A resource type created after the index started is watched too.
	group := strings.ReplaceAll(e.ns, "-", "") + ".example.com"
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets." + group},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	crdRes := e.c.Dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	if _, err := crdRes.Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = crdRes.Delete(context.Background(), "widgets."+group, metav1.DeleteOptions{}) })
	w := &unstructured.Unstructured{Object: map[string]any{"apiVersion": group + "/v1", "kind": "Widget"}}
	w.SetName("w")
	w.SetNamespace(e.ns)
	w.SetLabels(map[string]string{"kluctl.io/discriminator": d})
	wRes := e.c.Dynamic.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}).Namespace(e.ns)
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, err := wRes.Apply(ctx, "w", w, metav1.ApplyOptions{FieldManager: "kluctl", Force: true})
		if err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("create a widget: %v", err)
		}
	}
	eventually(t, ctx, x, d, "ConfigMap/b,ConfigMap/c,Widget/w")
}
