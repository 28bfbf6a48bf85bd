package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func metav1AddToGroupVersion(s *runtime.Scheme) { metav1.AddToGroupVersion(s, GroupVersion) }

// LocalObjectReference names an object in the KluctlDeployment's
// namespace.
type LocalObjectReference struct {
	// Name of the referent.
	// +required
	Name string `json:"name"`
}

// SecretKeyReference names a key of a Secret in the KluctlDeployment's
// namespace.
type SecretKeyReference struct {
	// Name of the Secret.
	// +required
	Name string `json:"name"`
	// Key in the Secret; when empty, "value" and then "value.yaml" are used.
	// +optional
	Key string `json:"key,omitempty"`
}

// SafeDuration is a duration that can be used as an interval.
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:Pattern="^(([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)"
type SafeDuration struct {
	metav1.Duration `json:",inline"`
}

// Decryption defines how decryption is handled for Kubernetes manifests.
type Decryption struct {
	// Provider is the name of the decryption engine.
	// +kubebuilder:validation:Enum=sops
	// +required
	Provider string `json:"provider"`
	// The secret name containing the private OpenPGP keys used for decryption.
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`
	// ServiceAccount specifies the service account used to authenticate against cloud providers.
	// +optional
	ServiceAccount string `json:"serviceAccount,omitempty"`
}

// KubeConfig references a kubeconfig in a Secret.
type KubeConfig struct {
	// SecretRef holds the name of a secret that contains a key with the
	// kubeconfig file as the value.
	// +required
	SecretRef SecretKeyReference `json:"secretRef,omitempty"`
}

// SourceOverride replaces a repository by a local source (kluctl gitops
// --local-git-override).
type SourceOverride struct {
	// +required
	RepoKey string `json:"repoKey"`
	// +required
	Url string `json:"url"`
	// +optional
	IsGroup bool `json:"isGroup,omitempty"`
}

// GitRef selects a branch, a tag or a commit.
type GitRef struct {
	// Branch to use.
	// +optional
	Branch string `json:"branch,omitempty"`
	// Tag to use.
	// +optional
	Tag string `json:"tag,omitempty"`
	// Commit SHA to use.
	// +optional
	Commit string `json:"commit,omitempty"`
}

// OciRef selects a tag or a digest.
type OciRef struct {
	// Tag to use; defaults to latest.
	// +optional
	Tag string `json:"tag,omitempty"`
	// Digest to use, sha256:<HASH>.
	// +optional
	Digest string `json:"digest,omitempty"`
}

// ObjectRef names a Kubernetes object.
type ObjectRef struct {
	// +optional
	Group string `json:"group,omitempty"`
	// +optional
	Version string `json:"version,omitempty"`
	// +required
	Kind string `json:"kind"`
	// +required
	Name string `json:"name"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// FixedImage pins the result of images.get_image().
type FixedImage struct {
	// +optional
	Image *string `json:"image,omitempty"`
	// +optional
	ImageRegex *string `json:"imageRegex,omitempty"`
	// +required
	ResultImage string `json:"resultImage"`
	// +optional
	DeployedImage *string `json:"deployedImage,omitempty"`
	// +optional
	Namespace *string `json:"namespace,omitempty"`
	// +optional
	Object *ObjectRef `json:"object,omitempty"`
	// +optional
	Deployment *string `json:"deployment,omitempty"`
	// +optional
	Container *string `json:"container,omitempty"`
	// +optional
	DeployTags []string `json:"deployTags,omitempty"`
	// +optional
	DeploymentDir *string `json:"deploymentDir,omitempty"`
}

// ProjectKey identifies a project.
type ProjectKey struct {
	// +optional
	RepoKey string `json:"repoKey,omitempty"`
	// +optional
	SubDir string `json:"subDir,omitempty"`
}

// TargetKey identifies a deployed target.
type TargetKey struct {
	// +optional
	TargetName string `json:"targetName,omitempty"`
	// +required
	ClusterId string `json:"clusterId"`
	// +optional
	Discriminator string `json:"discriminator,omitempty"`
}
