// Package v1alpha1 holds the legacy flux.kluctl.io/v1alpha1 API of the
// Flux-era Kluctl controller (flux-kluctl-controller v0.3 to v0.5):
// KluctlDeployment, which deploys one target of a Kluctl project found in a
// Flux source, and KluctlMultiDeployment, which stamps out one
// KluctlDeployment per target matching a pattern. The types accept the
// manifests users wrote for that controller; they import nothing from
// Flux, the few Flux meta types they need are defined here.
// +kubebuilder:object:generate=true
// +groupName=flux.kluctl.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "flux.kluctl.io", Version: "v1alpha1"}

// AddToScheme registers the API's types in a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&KluctlDeployment{}, &KluctlDeploymentList{},
		&KluctlMultiDeployment{}, &KluctlMultiDeploymentList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
