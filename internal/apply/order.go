package apply

import (
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Ranks of the apply order. Objects of a lower rank are applied before
// objects of a higher rank; objects of one rank may be applied in parallel.
// Deletion uses the reverse order, so namespaces and CRDs go last.
const (
	RankNamespace = 0
	RankCRD       = 1
	RankPolicy    = 2 // service accounts, roles, quotas, classes
	RankBinding   = 3
	RankConfig    = 4 // config maps, secrets, volumes
	RankDefault   = 5 // services, custom resources, anything unknown
	RankWorkload  = 6
	RankLate      = 7 // ingresses, autoscalers, webhooks
)

var ranks = map[schema.GroupKind]int{
	{Kind: "Namespace"}: RankNamespace,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: RankCRD,

	{Kind: "ServiceAccount"}: RankPolicy,
	{Kind: "ResourceQuota"}:  RankPolicy,
	{Kind: "LimitRange"}:     RankPolicy,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        RankPolicy,
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               RankPolicy,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:              RankPolicy,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                  RankPolicy,
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}:              RankPolicy,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:               RankPolicy,
	{Group: "policy", Kind: "PodDisruptionBudget"}:                   RankPolicy,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: RankBinding,
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        RankBinding,

	{Kind: "ConfigMap"}:             RankConfig,
	{Kind: "Secret"}:                RankConfig,
	{Kind: "PersistentVolume"}:      RankConfig,
	{Kind: "PersistentVolumeClaim"}: RankConfig,

	{Group: "apps", Kind: "Deployment"}:  RankWorkload,
	{Group: "apps", Kind: "StatefulSet"}: RankWorkload,
	{Group: "apps", Kind: "DaemonSet"}:   RankWorkload,
	{Group: "apps", Kind: "ReplicaSet"}:  RankWorkload,
	{Group: "batch", Kind: "Job"}:        RankWorkload,
	{Group: "batch", Kind: "CronJob"}:    RankWorkload,
	{Kind: "Pod"}:                        RankWorkload,
	{Kind: "ReplicationController"}:      RankWorkload,

	{Group: "networking.k8s.io", Kind: "Ingress"}:                                   RankLate,
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}:                         RankLate,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:   RankLate,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}: RankLate,
}

// Rank returns the apply rank of a kind.
func Rank(gk schema.GroupKind) int {
	if r, ok := ranks[gk]; ok {
		return r
	}
	return RankDefault
}

// Stages splits objs into apply stages by rank, lowest rank first,
// keeping the rendered order within a stage.
func Stages(objs []*unstructured.Unstructured) [][]*unstructured.Unstructured {
	by := map[int][]*unstructured.Unstructured{}
	for _, o := range objs {
		r := Rank(o.GroupVersionKind().GroupKind())
		by[r] = append(by[r], o)
	}
	keys := make([]int, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([][]*unstructured.Unstructured, 0, len(keys))
	for _, k := range keys {
		out = append(out, by[k])
	}
	return out
}
