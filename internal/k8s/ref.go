package k8s

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ObjectRef identifies one Kubernetes object by group, kind, namespace and
// name. Version is informational: two refs that differ only in version point
// to the same object.
type ObjectRef struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version,omitempty"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// RefOf returns the reference of an unstructured object.
func RefOf(o *unstructured.Unstructured) ObjectRef {
	gvk := o.GroupVersionKind()
	return ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Name: o.GetName(), Namespace: o.GetNamespace()}
}

// GroupKind returns the group and kind of the reference.
func (r ObjectRef) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: r.Group, Kind: r.Kind}
}

// Key returns the reference without its version, usable as a map key.
func (r ObjectRef) Key() ObjectRef {
	r.Version = ""
	return r
}

// String formats the reference like Kluctl does: "ns/Kind/name" with the
// group prepended to the kind when there is one.
func (r ObjectRef) String() string {
	k := r.Kind
	if r.Group != "" {
		k = r.Group + "/" + r.Kind
	}
	if r.Namespace == "" {
		return fmt.Sprintf("%s/%s", k, r.Name)
	}
	return fmt.Sprintf("%s/%s/%s", r.Namespace, k, r.Name)
}

// ParseGroupKind splits "Kind.group" or "group/Kind" into its parts.
func ParseGroupKind(s string) schema.GroupKind {
	if i := strings.Index(s, "/"); i >= 0 {
		return schema.GroupKind{Group: s[:i], Kind: s[i+1:]}
	}
	if i := strings.Index(s, "."); i >= 0 {
		return schema.GroupKind{Kind: s[:i], Group: s[i+1:]}
	}
	return schema.GroupKind{Kind: s}
}
