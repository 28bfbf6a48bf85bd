package v1beta1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Constants of the API, as the original controller uses them.
const (
	KluctlDeploymentKind      = "KluctlDeployment"
	KluctlDeploymentFinalizer = "finalizers.gitops.kluctl.io"
	MaxConditionMessageLength = 20000

	KluctlDeployModeFull   = "full-deploy"
	KluctlDeployPokeImages = "poke-images"

	KluctlRequestReconcileAnnotation = "kluctl.io/request-reconcile"
	KluctlRequestDiffAnnotation      = "kluctl.io/request-diff"
	KluctlRequestDeployAnnotation    = "kluctl.io/request-deploy"
	KluctlRequestPruneAnnotation     = "kluctl.io/request-prune"
	KluctlRequestValidateAnnotation  = "kluctl.io/request-validate"
)

// Condition types and reasons.
const (
	ReadyCondition       = "Ready"
	ReconcilingCondition = "Reconciling"

	ProgressingReason             = "Progressing"
	DiffFailedReason              = "DiffFailed"
	DeployFailedReason            = "DeployFailed"
	PruneFailedReason             = "PruneFailed"
	ValidateFailedReason          = "ValidateFailed"
	PrepareFailedReason           = "PrepareFailed"
	ReconciliationSucceededReason = "ReconciliationSucceeded"
)

// ProjectSourceGit is a git repository as project source.
type ProjectSourceGit struct {
	// URL specifies the Git url where the project source is located.
	// +required
	URL string `json:"url"`
	// Ref specifies the branch, tag or commit that should be used. If omitted, the default branch of the repo is used.
	// +optional
	Ref *GitRef `json:"ref,omitempty"`
	// Path specifies the sub-directory to be used as project directory
	// +optional
	Path string `json:"path,omitempty"`
}

// ProjectSourceOci is an OCI artifact as project source.
type ProjectSourceOci struct {
	// Url specifies the Git url where the project source is located. If credentials are required for authentication,
	// use spec.credentials.oci.
	// +required
	URL string `json:"url"`
	// Ref specifies the tag to be used. If omitted, the "latest" tag is used.
	// +optional
	Ref *OciRef `json:"ref,omitempty"`
	// Path specifies the sub-directory to be used as project directory
	// +optional
	Path string `json:"path,omitempty"`
}

// ProjectCredentialsGitDeprecated is the deprecated form of git credentials.
type ProjectCredentialsGitDeprecated struct {
	// +required
	Host string `json:"host"`
	// +optional
	PathPrefix string `json:"pathPrefix,omitempty"`
	// +required
	SecretRef LocalObjectReference `json:"secretRef"`
}

// ProjectSource is where the project comes from.
type ProjectSource struct {
	// Git specifies a git repository as project source
	// +optional
	Git *ProjectSourceGit `json:"git,omitempty"`
	// Oci specifies an OCI repository as project source
	// +optional
	Oci *ProjectSourceOci `json:"oci,omitempty"`
	// Url specifies the Git url where the project source is located
	// DEPRECATED this field is deprecated and will be removed in the next API version bump. Use spec.git.url instead.
	// +optional
	URL *string `json:"url,omitempty"`
	// Ref specifies the branch, tag or commit that should be used. If omitted, the default branch of the repo is used.
	// DEPRECATED this field is deprecated and will be removed in the next API version bump. Use spec.git.ref instead.
	// +optional
	Ref *GitRef `json:"ref,omitempty"`
	// Path specifies the sub-directory to be used as project directory
	// DEPRECATED this field is deprecated and will be removed in the next API version bump. Use spec.git.path instead.
	// +optional
	Path string `json:"path,omitempty"`
	// SecretRef specifies the Secret containing authentication credentials for
	// the git repository.
	// DEPRECATED this field is deprecated and will be removed in the next API version bump. Use spec.credentials.git
	// instead.
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`
	// Credentials specifies a list of secrets with credentials
	// DEPRECATED this field is deprecated and will be removed in the next API version bump. Use spec.credentials.git instead.
	// +optional
	Credentials []ProjectCredentialsGitDeprecated `json:"credentials,omitempty"`
}

// ProjectCredentialsGit are credentials for git repositories.
type ProjectCredentialsGit struct {
	// Host specifies the hostname that this secret applies to. If set to '*', this set of credentials
	// applies to all hosts.
	// Using '*' for http(s) based repositories is not supported, meaning that such credentials sets will be ignored.
	// You must always set a proper hostname in that case.
	// +required
	Host string `json:"host"`
	// Path specifies the path to be used to filter Git repositories. The path can contain wildcards. These credentials
	// will only be used for matching Git URLs. If omitted, all repositories are considered to match.
	// +optional
	Path string `json:"path,omitempty"`
	// SecretRef specifies the Secret containing authentication credentials for
	// the git repository.
	// For HTTPS git repositories the Secret must contain 'username' and 'password'
	// fields.
	// For SSH git repositories the Secret must contain 'identity'
	// and 'known_hosts' fields.
	// +required
	SecretRef LocalObjectReference `json:"secretRef"`
}

// ProjectCredentialsOci are credentials for OCI registries.
type ProjectCredentialsOci struct {
	// Registry specifies the hostname that this secret applies to.
	// +required
	Registry string `json:"registry"`
	// Repository specifies the org and repo name in the format 'org-name/repo-name'.
	// Both 'org-name' and 'repo-name' can be specified as '*', meaning that all names are matched.
	// +optional
	Repository string `json:"repository,omitempty"`
	// SecretRef specifies the Secret containing authentication credentials for
	// the oci repository.
	// +required
	SecretRef LocalObjectReference `json:"secretRef"`
}

// ProjectCredentialsHelm are credentials for Helm repositories.
type ProjectCredentialsHelm struct {
	// Host specifies the hostname that this secret applies to.
	// +required
	Host string `json:"host"`
	// Path specifies the path to be used to filter Helm urls. The path can contain wildcards. These credentials
	// will only be used for matching URLs. If omitted, all URLs are considered to match.
	// +optional
	Path string `json:"path,omitempty"`
	// SecretRef specifies the Secret containing authentication credentials for
	// the Helm repository.
	// +required
	SecretRef LocalObjectReference `json:"secretRef"`
}

// ProjectCredentials are the credentials used when pulling sources.
type ProjectCredentials struct {
	// Git specifies a list of git credentials
	// +optional
	Git []ProjectCredentialsGit `json:"git,omitempty"`
	// Oci specifies a list of OCI credentials
	// +optional
	Oci []ProjectCredentialsOci `json:"oci,omitempty"`
	// Helm specifies a list of Helm credentials
	// +optional
	Helm []ProjectCredentialsHelm `json:"helm,omitempty"`
}

// HelmCredentials is the deprecated form of Helm credentials.
type HelmCredentials struct {
	// SecretRef holds the name of a secret that contains the Helm credentials.
	// +required
	SecretRef LocalObjectReference `json:"secretRef,omitempty"`
}

// KluctlDeploymentSpec defines the desired state of KluctlDeployment
type KluctlDeploymentSpec struct {
	// Specifies the project source location
	// +required
	Source ProjectSource `json:"source"`
	// Specifies source overrides
	// +optional
	SourceOverrides []SourceOverride `json:"sourceOverrides,omitempty"`
	// Credentials specifies the credentials used when pulling sources
	// +optional
	Credentials ProjectCredentials `json:"credentials,omitempty"`
	// Decrypt Kubernetes secrets before applying them on the cluster.
	// +optional
	Decryption *Decryption `json:"decryption,omitempty"`
	// The interval at which to reconcile the KluctlDeployment.
	// Reconciliation means that the deployment is fully rendered and only deployed when the result changes compared
	// to the last deployment.
	// To override this behavior, set the DeployInterval value.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`
	// The interval at which to retry a previously failed reconciliation.
	// When not specified, the controller uses the Interval
	// value to retry failures.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	RetryInterval *metav1.Duration `json:"retryInterval,omitempty"`
	// DeployInterval specifies the interval at which to deploy the KluctlDeployment, even in cases the rendered
	// result does not change.
	// +optional
	DeployInterval *SafeDuration `json:"deployInterval,omitempty"`
	// ValidateInterval specifies the interval at which to validate the KluctlDeployment.
	// Validation is performed the same way as with 'kluctl validate -t <target>'.
	// Defaults to the same value as specified in Interval.
	// Validate is also performed whenever a deployment is performed, independent of the value of ValidateInterval
	// +optional
	ValidateInterval *SafeDuration `json:"validateInterval,omitempty"`
	// Timeout for all operations.
	// Defaults to 'Interval' duration.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// This flag tells the controller to suspend subsequent kluctl executions,
	// it does not apply to already started executions. Defaults to false.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
	// HelmCredentials is a list of Helm credentials used when non pre-pulled Helm Charts are used inside a
	// Kluctl deployment.
	// DEPRECATED this field is deprecated and will be removed in the next API version bump. Use spec.credentials.helm instead.
	// +optional
	HelmCredentials []HelmCredentials `json:"helmCredentials,omitempty"`
	// The name of the Kubernetes service account to use while deploying.
	// If not specified, the default service account is used.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// The KubeConfig for deploying to the target cluster.
	// Specifies the kubeconfig to be used when invoking kluctl. Contexts in this kubeconfig must match
	// the context found in the kluctl target. As an alternative, specify the context to be used via 'context'
	// +optional
	KubeConfig *KubeConfig `json:"kubeConfig,omitempty"`
	// Target specifies the kluctl target to deploy. If not specified, an empty target is used that has no name and no
	// context. Use 'TargetName' and 'Context' to specify the name and context in that case.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Target *string `json:"target,omitempty"`
	// TargetNameOverride sets or overrides the target name. This is especially useful when deployment without a target.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	TargetNameOverride *string `json:"targetNameOverride,omitempty"`
	// If specified, overrides the context to be used. This will effectively make kluctl ignore the context specified
	// in the target.
	// +optional
	Context *string `json:"context,omitempty"`
	// Args specifies dynamic target args.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Args *runtime.RawExtension `json:"args,omitempty"`
	// Images contains a list of fixed image overrides.
	// Equivalent to using '--fixed-images-file' when calling kluctl.
	// +optional
	Images []FixedImage `json:"images,omitempty"`
	// DryRun instructs kluctl to run everything in dry-run mode.
	// Equivalent to using '--dry-run' when calling kluctl.
	// +kubebuilder:default:=false
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// NoWait instructs kluctl to not wait for any resources to become ready, including hooks.
	// Equivalent to using '--no-wait' when calling kluctl.
	// +kubebuilder:default:=false
	// +optional
	NoWait bool `json:"noWait,omitempty"`
	// ForceApply instructs kluctl to force-apply in case of SSA conflicts.
	// Equivalent to using '--force-apply' when calling kluctl.
	// +kubebuilder:default:=false
	// +optional
	ForceApply bool `json:"forceApply,omitempty"`
	// ReplaceOnError instructs kluctl to replace resources on error.
	// Equivalent to using '--replace-on-error' when calling kluctl.
	// +kubebuilder:default:=false
	// +optional
	ReplaceOnError bool `json:"replaceOnError,omitempty"`
	// ForceReplaceOnError instructs kluctl to force-replace resources in case a normal replace fails.
	// Equivalent to using '--force-replace-on-error' when calling kluctl.
	// +kubebuilder:default:=false
	// +optional
	ForceReplaceOnError bool `json:"forceReplaceOnError,omitempty"`
	// AbortOnError instructs kluctl to abort deployments immediately when something fails.
	// Equivalent to using '--abort-on-error' when calling kluctl.
	// +kubebuilder:default:=false
	// +optional
	AbortOnError bool `json:"abortOnError,omitempty"`
	// IncludeTags instructs kluctl to only include deployments with given tags.
	// Equivalent to using '--include-tag' when calling kluctl.
	// +optional
	IncludeTags []string `json:"includeTags,omitempty"`
	// ExcludeTags instructs kluctl to exclude deployments with given tags.
	// Equivalent to using '--exclude-tag' when calling kluctl.
	// +optional
	ExcludeTags []string `json:"excludeTags,omitempty"`
	// IncludeDeploymentDirs instructs kluctl to only include deployments with the given dir.
	// Equivalent to using '--include-deployment-dir' when calling kluctl.
	// +optional
	IncludeDeploymentDirs []string `json:"includeDeploymentDirs,omitempty"`
	// ExcludeDeploymentDirs instructs kluctl to exclude deployments with the given dir.
	// Equivalent to using '--exclude-deployment-dir' when calling kluctl.
	// +optional
	ExcludeDeploymentDirs []string `json:"excludeDeploymentDirs,omitempty"`
	// DeployMode specifies what deploy mode should be used.
	// The options 'full-deploy' and 'poke-images' are supported.
	// With the 'poke-images' option, only images are patched into the target without performing a full deployment.
	// +kubebuilder:default:=full-deploy
	// +kubebuilder:validation:Enum=full-deploy;poke-images
	// +optional
	DeployMode string `json:"deployMode,omitempty"`
	// Validate enables validation after deploying
	// +kubebuilder:default:=true
	// +optional
	Validate bool `json:"validate"`
	// Prune enables pruning after deploying.
	// +kubebuilder:default:=false
	// +optional
	Prune bool `json:"prune,omitempty"`
	// Delete enables deletion of the specified target when the KluctlDeployment object gets deleted.
	// +kubebuilder:default:=false
	// +optional
	Delete bool `json:"delete,omitempty"`
	// Manual enables manual deployments, meaning that the deployment will initially start as a dry run deployment
	// and only after manual approval cause a real deployment
	// +optional
	Manual bool `json:"manual,omitempty"`
	// ManualObjectsHash specifies the rendered objects hash that is approved for manual deployment.
	// If Manual is set to true, the controller will skip deployments when the current reconciliation loops calculated
	// objects hash does not match this value.
	// There are two ways to use this value properly.
	// 1. Set it manually to the value found in status.lastObjectsHash.
	// 2. Use the Kluctl Webui to manually approve a deployment, which will set this field appropriately.
	// +optional
	ManualObjectsHash *string `json:"manualObjectsHash,omitempty"`
}

// GetRetryInterval returns the retry interval, the interval when unset.
func (in KluctlDeploymentSpec) GetRetryInterval() time.Duration {
	if in.RetryInterval != nil {
		return in.RetryInterval.Duration
	}
	return in.Interval.Duration
}

// ManualRequest is used in json form inside the manual request annotations
type ManualRequest struct {
	// +required
	RequestValue string `json:"requestValue"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	OverridesPatch *runtime.RawExtension `json:"overridesPatch,omitempty"`
}

// ManualRequestResult records the handling of a manual request.
type ManualRequestResult struct {
	// +required
	Request ManualRequest `json:"request"`
	// +required
	StartTime metav1.Time `json:"startTime"`
	// +optional
	EndTime *metav1.Time `json:"endTime,omitempty"`
	// +required
	ReconcileId string `json:"reconcileId"`
	// +optional
	ResultId string `json:"resultId,omitempty"`
	// +optional
	CommandError string `json:"commandError,omitempty"`
}

// KluctlDeploymentStatus defines the observed state of KluctlDeployment
type KluctlDeploymentStatus struct {
	// +optional
	ReconcileRequestResult *ManualRequestResult `json:"reconcileRequestResult,omitempty"`
	// +optional
	DiffRequestResult *ManualRequestResult `json:"diffRequestResult,omitempty"`
	// +optional
	DeployRequestResult *ManualRequestResult `json:"deployRequestResult,omitempty"`
	// +optional
	PruneRequestResult *ManualRequestResult `json:"pruneRequestResult,omitempty"`
	// +optional
	ValidateRequestResult *ManualRequestResult `json:"validateRequestResult,omitempty"`
	// ObservedGeneration is the last reconciled generation.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// ObservedCommit is the last commit observed
	// +optional
	ObservedCommit string `json:"observedCommit,omitempty"`
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +optional
	ProjectKey *ProjectKey `json:"projectKey,omitempty"`
	// +optional
	TargetKey *TargetKey `json:"targetKey,omitempty"`
	// +optional
	LastObjectsHash string `json:"lastObjectsHash,omitempty"`
	// +optional
	LastManualObjectsHash *string `json:"lastManualObjectsHash,omitempty"`
	// +optional
	LastPrepareError string `json:"lastPrepareError,omitempty"`
	// LastDiffResult is the result summary of the last diff command
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	LastDiffResult *runtime.RawExtension `json:"lastDiffResult,omitempty"`
	// LastDeployResult is the result summary of the last deploy command
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	LastDeployResult *runtime.RawExtension `json:"lastDeployResult,omitempty"`
	// LastValidateResult is the result summary of the last validate command
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	LastValidateResult *runtime.RawExtension `json:"lastValidateResult,omitempty"`
	// LastDriftDetectionResult is the result of the last drift detection command
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	LastDriftDetectionResult *runtime.RawExtension `json:"lastDriftDetectionResult,omitempty"`
	// LastDriftDetectionResultMessage contains a short message that describes the drift
	// +optional
	LastDriftDetectionResultMessage string `json:"lastDriftDetectionResultMessage,omitempty"`
}

// KluctlDeployment is the Schema for the kluctldeployments API
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Suspend",type="boolean",JSONPath=".spec.suspend",description=""
// +kubebuilder:printcolumn:name="DryRun",type="boolean",JSONPath=".spec.dryRun",description=""
// +kubebuilder:printcolumn:name="Deployed",type="date",JSONPath=".status.lastDeployResult.commandInfo.endTime",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Drift",type="string",JSONPath=".status.lastDriftDetectionResultMessage",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
type KluctlDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   KluctlDeploymentSpec   `json:"spec,omitempty"`
	Status KluctlDeploymentStatus `json:"status,omitempty"`
}

// KluctlDeploymentList contains a list of KluctlDeployment
// +kubebuilder:object:root=true
type KluctlDeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KluctlDeployment `json:"items"`
}
