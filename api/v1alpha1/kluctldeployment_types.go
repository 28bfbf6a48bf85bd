package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Constants of the API, as the Flux-era controller used them.
const (
	KluctlDeploymentKind      = "KluctlDeployment"
	KluctlMultiDeploymentKind = "KluctlMultiDeployment"
	KluctlDeploymentFinalizer = "finalizers.flux.kluctl.io"
	MaxConditionMessageLength = 20000

	KluctlDeployModeFull   = "full-deploy"
	KluctlDeployPokeImages = "poke-images"

	// KluctlDeployRequestAnnotation asks for a deployment outside the
	// deploy interval; its value is an RFC 3339 time.
	KluctlDeployRequestAnnotation = "deploy.flux.kluctl.io/requestedAt"

	// DefaultValidateInterval is the server-side default of
	// spec.validateInterval.
	DefaultValidateInterval = 5 * time.Minute
)

// KluctlDeploymentTemplateSpec is everything of a KluctlDeployment's spec
// but the project location and the target; KluctlMultiDeployment uses it as
// the template of the KluctlDeployments it creates.
type KluctlDeploymentTemplateSpec struct {
	KluctlTimingSpec `json:",inline"`

	// RegistrySecrets name Secrets with image registry credentials (either
	// .dockerconfigjson, or registry, username and password, optionally
	// caFile and insecure).
	// +optional
	RegistrySecrets []LocalObjectReference `json:"registrySecrets,omitempty"`

	// ServiceAccountName is the service account to impersonate while
	// deploying; empty means the controller's default.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// KubeConfig is a Secret holding the kubeconfig to deploy with. Its
	// contexts must match the target's context, or be renamed with
	// RenameContexts.
	// +optional
	KubeConfig *KubeConfig `json:"kubeConfig,omitempty"`

	// RenameContexts renames contexts of the kubeconfig before deploying,
	// e.g. the "default" context of a service account kubeconfig to the
	// context the target expects.
	// +optional
	RenameContexts []RenameContext `json:"renameContexts,omitempty"`

	// Args are the target's dynamic args, as -a name=value on the command
	// line.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Args *runtime.RawExtension `json:"args,omitempty"`

	// UpdateImages is the old -u flag: look up the newest image versions.
	// +kubebuilder:default:=false
	// +optional
	UpdateImages bool `json:"updateImages,omitempty"`

	// Images pins images, as --fixed-images-file does.
	// +optional
	Images []FixedImage `json:"images,omitempty"`

	// DryRun runs every command with --dry-run.
	// +kubebuilder:default:=false
	// +optional
	DryRun bool `json:"dryRun,omitempty"`

	// NoWait skips waiting for readiness, hooks included (--no-wait).
	// +kubebuilder:default:=false
	// +optional
	NoWait bool `json:"noWait,omitempty"`

	// ForceApply takes over fields owned by other managers (--force-apply).
	// +kubebuilder:default:=false
	// +optional
	ForceApply bool `json:"forceApply,omitempty"`

	// ReplaceOnError replaces objects that cannot be applied
	// (--replace-on-error).
	// +kubebuilder:default:=false
	// +optional
	ReplaceOnError bool `json:"replaceOnError,omitempty"`

	// ForceReplaceOnError deletes and recreates objects that cannot be
	// replaced (--force-replace-on-error).
	// +kubebuilder:default:=false
	// +optional
	ForceReplaceOnError bool `json:"forceReplaceOnError,omitempty"`

	// AbortOnError stops the deployment at the first error
	// (--abort-on-error).
	// +kubebuilder:default:=false
	// +optional
	AbortOnError bool `json:"abortOnError,omitempty"`

	// IncludeTags deploys only deployment items with one of these tags
	// (--include-tag).
	// +optional
	IncludeTags []string `json:"includeTags,omitempty"`

	// ExcludeTags skips deployment items with one of these tags
	// (--exclude-tag).
	// +optional
	ExcludeTags []string `json:"excludeTags,omitempty"`

	// IncludeDeploymentDirs deploys only these deployment directories
	// (--include-deployment-dir).
	// +optional
	IncludeDeploymentDirs []string `json:"includeDeploymentDirs,omitempty"`

	// ExcludeDeploymentDirs skips these deployment directories
	// (--exclude-deployment-dir).
	// +optional
	ExcludeDeploymentDirs []string `json:"excludeDeploymentDirs,omitempty"`

	// DeployMode is full-deploy (kluctl deploy) or poke-images (kluctl
	// poke-images: only the images of the fixed images are patched in).
	// +kubebuilder:default:=full-deploy
	// +kubebuilder:validation:Enum=full-deploy;poke-images
	// +optional
	DeployMode string `json:"deployMode,omitempty"`

	// Prune runs kluctl prune after each deployment, and kluctl delete when
	// the KluctlDeployment is deleted.
	// +kubebuilder:default:=false
	// +optional
	Prune bool `json:"prune,omitempty"`

	// DeployInterval forces a deployment this often even when nothing
	// changed; unset means deploy only on changes.
	// +optional
	DeployInterval *metav1.Duration `json:"deployInterval,omitempty"`

	// ValidateInterval is how often kluctl validate runs between
	// deployments.
	// +kubebuilder:default:="5m"
	// +optional
	ValidateInterval *metav1.Duration `json:"validateInterval,omitempty"`
}

// GetValidateInterval returns spec.validateInterval, or its server-side
// default when unset.
func (in KluctlDeploymentTemplateSpec) GetValidateInterval() time.Duration {
	if in.ValidateInterval != nil {
		return in.ValidateInterval.Duration
	}
	return DefaultValidateInterval
}

// GetDeployMode returns spec.deployMode, or full-deploy when unset.
func (in KluctlDeploymentTemplateSpec) GetDeployMode() string {
	if in.DeployMode == "" {
		return KluctlDeployModeFull
	}
	return in.DeployMode
}

// KluctlDeploymentSpec is the desired state of a KluctlDeployment: a
// project, a target of it, and how to deploy it.
type KluctlDeploymentSpec struct {
	KluctlProjectSpec            `json:",inline"`
	KluctlDeploymentTemplateSpec `json:",inline"`

	// Target is the name of the project's target to deploy.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Target string `json:"target"`
}

// KubeConfig references a Secret holding a kubeconfig.
type KubeConfig struct {
	// SecretRef is the Secret, in the KluctlDeployment's namespace; the key
	// defaults to "value". The kubeconfig should be self-contained: exec
	// and cmd-path auth helpers are not available in the controller. The
	// original schema did not require it, so neither does this one.
	// +optional
	SecretRef SecretKeyReference `json:"secretRef"`
}

// RenameContext renames one kubeconfig context.
type RenameContext struct {
	// OldContext is the context's name in the kubeconfig.
	// +required
	OldContext string `json:"oldContext"`

	// NewContext is the name it gets.
	// +required
	NewContext string `json:"newContext"`
}

// ReconcileResultBase is what every recorded command result carries.
type ReconcileResultBase struct {
	// AttemptedAt is when the command ran.
	// +required
	AttemptedAt metav1.Time `json:"time"`

	// Revision is the source revision the command ran on (git repositories
	// pulled in by the project are not part of it).
	// +optional
	Revision string `json:"revision,omitempty"`

	// TargetName is the target the command ran on.
	// +required
	TargetName string `json:"targetName"`

	// ObjectsHash is the hash of the rendered objects the command saw.
	// +optional
	ObjectsHash string `json:"objectsHash,omitempty"`
}

// LastCommandResult records the last deploy or prune.
type LastCommandResult struct {
	ReconcileResultBase `json:",inline"`

	// RawResult is the command result as YAML.
	// +optional
	RawResult *string `json:"rawResult,omitempty"`

	// Error is the command's error, empty on success.
	// +optional
	Error string `json:"error,omitempty"`
}

// LastValidateResult records the last validation.
type LastValidateResult struct {
	ReconcileResultBase `json:",inline"`

	// RawResult is the validate result as YAML.
	// +optional
	RawResult *string `json:"rawResult,omitempty"`

	// Error is the command's error, empty on success.
	// +optional
	Error string `json:"error"`
}

// KluctlDeploymentStatus is the observed state of a KluctlDeployment.
type KluctlDeploymentStatus struct {
	KluctlProjectStatus `json:",inline"`

	// LastDeployResult is the result of the last deploy.
	// +optional
	LastDeployResult *LastCommandResult `json:"lastDeployResult,omitempty"`

	// LastPruneResult is the result of the last prune.
	// +optional
	LastPruneResult *LastCommandResult `json:"lastPruneResult,omitempty"`

	// LastValidateResult is the result of the last validation.
	// +optional
	LastValidateResult *LastValidateResult `json:"lastValidateResult,omitempty"`

	// CommonLabels are the project's commonLabels at the last deployment;
	// they find the deployed objects again when the KluctlDeployment is
	// deleted.
	// +optional
	CommonLabels map[string]string `json:"commonLabels,omitempty"`

	// RawTarget is the target of the last deployment as YAML.
	// +optional
	RawTarget *string `json:"rawTarget,omitempty"`
}

// KluctlDeployment deploys one target of a Kluctl project taken from a Flux
// source.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Deployed",type="date",JSONPath=".status.lastDeployResult.time",description=""
// +kubebuilder:printcolumn:name="Pruned",type="date",JSONPath=".status.lastPruneResult.time",description=""
// +kubebuilder:printcolumn:name="Validated",type="date",JSONPath=".status.lastValidateResult.time",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
type KluctlDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   KluctlDeploymentSpec   `json:"spec,omitempty"`
	Status KluctlDeploymentStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions.
func (in *KluctlDeployment) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions replaces the status conditions.
func (in *KluctlDeployment) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetDependsOn returns the objects the deployment waits for.
func (in *KluctlDeployment) GetDependsOn() []NamespacedObjectReference {
	return in.Spec.DependsOn
}

// KluctlDeploymentList is a list of KluctlDeployments.
// +kubebuilder:object:root=true
type KluctlDeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KluctlDeployment `json:"items"`
}
