package v1alpha1

import "fmt"

// Source kinds a KluctlDeployment can take its project from.
const (
	GitRepositoryKind = "GitRepository"
	BucketKind        = "Bucket"
)

// CrossNamespaceSourceReference points at a Flux source object
// (source.toolkit.fluxcd.io), possibly in another namespace.
type CrossNamespaceSourceReference struct {
	// APIVersion of the source object, e.g. source.toolkit.fluxcd.io/v1beta2.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the source object.
	// +kubebuilder:validation:Enum=GitRepository;Bucket
	// +required
	Kind string `json:"kind"`

	// Name of the source object.
	// +required
	Name string `json:"name"`

	// Namespace of the source object; empty means the namespace of the
	// object holding the reference.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// String renders the reference as Kind/namespace/name, or Kind/name when
// the namespace is empty.
func (s CrossNamespaceSourceReference) String() string {
	if s.Namespace != "" {
		return fmt.Sprintf("%s/%s/%s", s.Kind, s.Namespace, s.Name)
	}
	return fmt.Sprintf("%s/%s", s.Kind, s.Name)
}

// NamespacedObjectReference names an object, possibly in another
// namespace.
type NamespacedObjectReference struct {
	// Name of the object.
	// +required
	Name string `json:"name"`

	// Namespace of the object; empty means the namespace of the object
	// holding the reference.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// LocalObjectReference names an object in the namespace of the object
// holding the reference.
type LocalObjectReference struct {
	// Name of the object.
	// +required
	Name string `json:"name"`
}

// SecretKeyReference names a key of a Secret in the namespace of the
// object holding the reference.
type SecretKeyReference struct {
	// Name of the Secret.
	// +required
	Name string `json:"name"`

	// Key in the Secret; empty means the consumer's default key.
	// +optional
	Key string `json:"key,omitempty"`
}

// ReconcileRequestAnnotation is the annotation by which a user (or the flux
// CLI) asks for a reconciliation outside the interval; its value is
// compared with status.lastHandledReconcileAt.
const ReconcileRequestAnnotation = "reconcile.fluxcd.io/requestedAt"

// ReconcileRequestStatus records the last handled reconcile request.
type ReconcileRequestStatus struct {
	// LastHandledReconcileAt is the value of the reconcile request
	// annotation that was last acted upon, so that a new value can be told
	// apart from an already handled one.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// GetLastHandledReconcileRequest returns the last handled reconcile
// request value.
func (in ReconcileRequestStatus) GetLastHandledReconcileRequest() string {
	return in.LastHandledReconcileAt
}

// SetLastHandledReconcileRequest records a reconcile request value as
// handled.
func (in *ReconcileRequestStatus) SetLastHandledReconcileRequest(v string) {
	in.LastHandledReconcileAt = v
}

// ReconcileAnnotationValue returns the value of the reconcile request
// annotation and whether it is set.
func ReconcileAnnotationValue(annotations map[string]string) (string, bool) {
	v, ok := annotations[ReconcileRequestAnnotation]
	return v, ok
}
