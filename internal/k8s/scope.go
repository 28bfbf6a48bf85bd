package k8s

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// clusterScoped lists the built-in cluster-scoped kinds, for deciding scope
// without a cluster.
var clusterScoped = map[schema.GroupKind]bool{
	{Kind: "Namespace"}: true, {Kind: "Node"}: true, {Kind: "PersistentVolume"}: true, {Kind: "ComponentStatus"}: true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "storage.k8s.io", Kind: "CSINode"}:                                        true,
	{Group: "storage.k8s.io", Kind: "VolumeAttachment"}:                               true,
	{Group: "storage.k8s.io", Kind: "VolumeAttributesClass"}:                          true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "networking.k8s.io", Kind: "IPAddress"}:                                   true,
	{Group: "networking.k8s.io", Kind: "ServiceCIDR"}:                                 true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle"}:                        true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
	{Group: "resource.k8s.io", Kind: "DeviceClass"}:                                   true,
	{Group: "resource.k8s.io", Kind: "ResourceSlice"}:                                 true,
	{Group: "internal.apiserver.k8s.io", Kind: "StorageVersion"}:                      true,
}

// Scope decides whether kinds are namespaced: from the cluster when a mapper
// is given, else from the built-in list and the CRDs being rendered.
type Scope struct {
	mapper meta.RESTMapper
	crds   map[schema.GroupKind]bool // value: namespaced
}

// NewScope returns a Scope; mapper may be nil (offline).
func NewScope(mapper meta.RESTMapper) *Scope {
	return &Scope{mapper: mapper, crds: map[schema.GroupKind]bool{}}
}

// AddCRDs learns the scope of the kinds defined by CRDs among objs.
func (s *Scope) AddCRDs(objs []*unstructured.Unstructured) {
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
		if kind != "" {
			s.crds[schema.GroupKind{Group: group, Kind: kind}] = scope != "Cluster"
		}
	}
}

// Namespaced tells whether gvk is namespaced, and whether that is known.
func (s *Scope) Namespaced(gvk schema.GroupVersionKind) (namespaced, known bool) {
	gk := gvk.GroupKind()
	if ns, ok := s.crds[gk]; ok {
		return ns, true
	}
	if clusterScoped[gk] {
		return false, true
	}
	if s.mapper != nil {
		if m, err := s.mapper.RESTMapping(gk, gvk.Version); err == nil {
			return m.Scope.Name() == meta.RESTScopeNameNamespace, true
		}
		return false, false
	}
	if gk.Group == "" || !containsDot(gk.Group) || isBuiltinGroup(gk.Group) {
		return true, true
	}
	return false, false
}

func containsDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

func isBuiltinGroup(g string) bool {
	const suffix = ".k8s.io"
	return len(g) > len(suffix) && g[len(g)-len(suffix):] == suffix
}

// IsBuiltinClusterScoped tells whether gk is a built-in cluster-scoped kind.
func IsBuiltinClusterScoped(gk schema.GroupKind) bool { return clusterScoped[gk] }
