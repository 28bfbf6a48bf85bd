package controller

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/config/crd"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/readiness"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// ApplyCRDs applies the APIs' CRDs (gitops.kluctl.io KluctlDeployment and
// the legacy flux.kluctl.io KluctlDeployment and KluctlMultiDeployment) by
// server-side apply and waits until they are established.
func ApplyCRDs(ctx context.Context, c *k8s.Clients, fieldManager string) error {
	docs, err := crd.All()
	if err != nil {
		return err
	}
	var names []string
	for _, b := range docs {
		var u unstructured.Unstructured
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			return fmt.Errorf("decode CRD: %w", err)
		}
		if _, err := c.Dynamic.Resource(crdGVR).Apply(ctx, u.GetName(), &u, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			return fmt.Errorf("apply CRD %s: %w", u.GetName(), err)
		}
		names = append(names, u.GetName())
	}
	for _, name := range names {
		ref := k8s.ObjectRef{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition", Name: name}
		if _, err := readiness.Wait(ctx, c, ref, readiness.WaitOptions{Timeout: time.Minute, Interval: 200 * time.Millisecond}); err != nil {
			return fmt.Errorf("CRD %s not established: %w", name, err)
		}
	}
	c.ResetMapper()
	return nil
}
