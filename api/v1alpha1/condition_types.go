package v1alpha1

// Condition types of the API.
const (
	// ReadyCondition tells whether the last reconciliation succeeded.
	ReadyCondition = "Ready"

	// HealthyCondition tells whether the last validation found the
	// deployed objects healthy.
	HealthyCondition = "Healthy"
)

// Condition reasons of the API.
const (
	// ProgressingReason: a reconciliation is under way.
	ProgressingReason = "Progressing"

	// ArtifactFailedReason: the source artifact could not be fetched.
	ArtifactFailedReason = "ArtifactFailed"

	// DependencyNotReadyReason: an object in dependsOn is not ready yet.
	DependencyNotReadyReason = "DependencyNotReady"

	// PrepareFailedReason: loading the project or target failed before any
	// command ran.
	PrepareFailedReason = "PrepareFailed"

	// DeployFailedReason: the deploy (or poke-images) command failed.
	DeployFailedReason = "DeployFailed"

	// PruneFailedReason: the prune command failed.
	PruneFailedReason = "PruneFailed"

	// ValidateFailedReason: the validate command failed or found the
	// deployment not ready.
	ValidateFailedReason = "ValidateFailed"

	// ReconciliationSucceededReason: the last reconciliation succeeded.
	ReconciliationSucceededReason = "ReconciliationSucceeded"
)
