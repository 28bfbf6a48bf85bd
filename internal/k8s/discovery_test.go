package k8s_test

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// A long-lived client set learns of an API installed after its discovery
// data was read, once that data is older than DiscoveryMaxAge.
func TestFreshDiscoverySeesNewAPIs(t *testing.T) {
	ctx := context.Background()
	c, err := k8s.NewClients(simcluster.Current(t).RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	c.DiscoveryMaxAge = 100 * time.Millisecond
	const group = "freshdiscovery.example.com"
	want := group + "/v1/Gadget"
	has := func() bool {
		l, err := c.APIVersions()
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(l, want)
	}
	c.FreshDiscovery()
	if has() {
		t.Fatalf("%s is served before its CRD exists", want)
	}

	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "gadgets." + group},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names": map[string]any{"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := c.Dynamic.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Dynamic.Resource(crdGVR).Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{})
	})
	for end := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		got, err := c.Dynamic.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		established := slices.ContainsFunc(conds, func(c any) bool {
			m, _ := c.(map[string]any)
			return m["type"] == "Established" && m["status"] == "True"
		})
		if established {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the CRD did not become established")
		}
	}

	// The cached data is what the client set had: the new API is missing
	// until the data is old enough to be read again.
	if has() {
		t.Fatal("the cached discovery data already holds the new API; the test shows nothing")
	}
	time.Sleep(c.DiscoveryMaxAge)
	c.FreshDiscovery()
	if !has() {
		t.Errorf("after FreshDiscovery the client set still misses %s", want)
	}
}
