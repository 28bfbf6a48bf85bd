package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KluctlMultiDeploymentSpec is the desired state of a
// KluctlMultiDeployment: a project, a pattern over its targets, and the
// template of the KluctlDeployment created for each matching target.
type KluctlMultiDeploymentSpec struct {
	KluctlProjectSpec `json:",inline"`
	KluctlTimingSpec  `json:",inline"`

	// TargetPattern is a regular expression; a KluctlDeployment is created
	// for each target whose name it matches.
	// +required
	TargetPattern string `json:"targetPattern"`

	// Template is the KluctlDeployment to create per target. dependsOn,
	// sourceRef and path come from this object and target is the matched
	// name. suspend stops the reconciliation of this object only, as in the
	// original: the KluctlDeployments it created keep theirs (and keep
	// being reconciled) until it is resumed.
	// +required
	Template KluctlMultiDeploymentTemplate `json:"template"`
}

// KluctlMultiDeploymentTemplate is the template of the created
// KluctlDeployments. As in the original, the object metadata sits next to
// spec (template.labels, not template.metadata.labels). The original
// inlined a whole ObjectMeta that its CRD had no schema for, so the API
// server pruned it; here labels and annotations have a schema and are set
// on each created KluctlDeployment.
type KluctlMultiDeploymentTemplate struct {
	// Labels are set on each created KluctlDeployment, next to
	// flux.kluctl.io/kluctl-multi-deployment-name, which wins.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations are set on each created KluctlDeployment.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Spec of the created KluctlDeployments.
	// +required
	Spec KluctlDeploymentTemplateSpec `json:"spec"`
}

// KluctlMultiDeploymentTargetStatus is one matched target.
type KluctlMultiDeploymentTargetStatus struct {
	// Name of the target.
	Name string `json:"name"`

	// KluctlDeploymentName is the name of the KluctlDeployment created for
	// it.
	KluctlDeploymentName string `json:"kluctlDeploymentName"`
}

// KluctlMultiDeploymentStatus is the observed state of a
// KluctlMultiDeployment.
type KluctlMultiDeploymentStatus struct {
	KluctlProjectStatus `json:",inline"`

	// TargetCount is the number of matched targets.
	// +optional
	TargetCount int `json:"targetCount,omitempty"`

	// Targets are the matched targets.
	// +optional
	Targets []KluctlMultiDeploymentTargetStatus `json:"targets,omitempty"`
}

// KluctlMultiDeployment creates a KluctlDeployment for each target of a
// Kluctl project that matches a pattern, and deletes those whose target
// disappeared.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
type KluctlMultiDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   KluctlMultiDeploymentSpec   `json:"spec,omitempty"`
	Status KluctlMultiDeploymentStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions.
func (in *KluctlMultiDeployment) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions replaces the status conditions.
func (in *KluctlMultiDeployment) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetDependsOn returns the objects the created deployments wait for.
func (in *KluctlMultiDeployment) GetDependsOn() []NamespacedObjectReference {
	return in.Spec.DependsOn
}

// KluctlMultiDeploymentList is a list of KluctlMultiDeployments.
// +kubebuilder:object:root=true
type KluctlMultiDeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KluctlMultiDeployment `json:"items"`
}
