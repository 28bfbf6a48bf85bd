package k8s

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ClusterID returns the identity Kluctl gives a cluster: the UID of its
// kube-system namespace.
func ClusterID(ctx context.Context, c *Clients) (string, error) {
	ns, err := c.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("read the kube-system namespace for the cluster id: %w", err)
	}
	return string(ns.GetUID()), nil
}
