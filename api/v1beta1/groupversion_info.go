// Package v1beta1 holds the KluctlDeployment API of the gitops.kluctl.io
// group, compatible with the original Kluctl controller's v1beta1.
// +kubebuilder:object:generate=true
// +groupName=gitops.kluctl.io
package v1beta1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "gitops.kluctl.io", Version: "v1beta1"}

// AddToScheme registers the API's types in a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &KluctlDeployment{}, &KluctlDeploymentList{})
	metav1AddToGroupVersion(s)
	return nil
}
