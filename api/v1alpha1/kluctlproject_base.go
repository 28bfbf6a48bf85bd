package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KluctlProjectSpec says where the Kluctl project comes from; it is shared
// by KluctlDeployment and KluctlMultiDeployment (which passes it on to the
// KluctlDeployments it creates).
type KluctlProjectSpec struct {
	// DependsOn lists objects that must be ready before this project is
	// deployed.
	// +optional
	DependsOn []NamespacedObjectReference `json:"dependsOn,omitempty"`

	// Path of the directory holding .kluctl.yaml, relative to the root of
	// the source; empty means the root.
	// +optional
	Path string `json:"path,omitempty"`

	// SourceRef is the Flux source holding the project. Its credentials are
	// also used for the git repositories the project pulls in.
	// +required
	SourceRef CrossNamespaceSourceReference `json:"sourceRef"`

	// Suspend stops further reconciliations; one already running finishes.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// GetDependsOn returns the objects this project waits for.
func (in KluctlProjectSpec) GetDependsOn() []NamespacedObjectReference {
	return in.DependsOn
}

// KluctlTimingSpec holds the reconciliation intervals and the timeout.
type KluctlTimingSpec struct {
	// Interval between reconciliations.
	// +required
	Interval metav1.Duration `json:"interval"`

	// RetryInterval between reconciliations after a failure; defaults to
	// Interval.
	// +optional
	RetryInterval *metav1.Duration `json:"retryInterval,omitempty"`

	// Timeout of the kluctl commands of a reconciliation; defaults to
	// Interval minus 30s, and is never below 30s.
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}

// minTimeout is the floor of GetTimeout.
const minTimeout = 30 * time.Second

// GetTimeout returns the timeout: spec.timeout, or the interval minus 30s,
// but at least 30s.
func (in KluctlTimingSpec) GetTimeout() time.Duration {
	d := in.Interval.Duration - minTimeout
	if in.Timeout != nil {
		d = in.Timeout.Duration
	}
	return max(d, minTimeout)
}

// GetRequeueAfter returns the time until the next regular reconciliation.
func (in KluctlTimingSpec) GetRequeueAfter() time.Duration {
	return in.Interval.Duration
}

// GetRetryInterval returns the time until the next reconciliation after a
// failure: spec.retryInterval, or the interval.
func (in KluctlTimingSpec) GetRetryInterval() time.Duration {
	if in.RetryInterval != nil {
		return in.RetryInterval.Duration
	}
	return in.GetRequeueAfter()
}

// KluctlProjectStatus is the status shared by KluctlDeployment and
// KluctlMultiDeployment.
type KluctlProjectStatus struct {
	ReconcileRequestStatus `json:",inline"`

	// LastHandledDeployAt is the value of the deploy request annotation
	// that was last acted upon.
	// +optional
	LastHandledDeployAt string `json:"lastHandledDeployAt,omitempty"`

	// ObservedGeneration is the generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// LastAttemptedRevision is the source revision of the last
	// reconciliation attempt.
	// +optional
	LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`
}
