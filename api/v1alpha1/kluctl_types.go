package v1alpha1

// ObjectRef identifies a Kubernetes object in a fixed image entry.
type ObjectRef struct {
	// Group of the object's kind; empty for the core group.
	// +optional
	Group string `json:"group,omitempty"`
	// Version of the object's kind.
	// +optional
	Version string `json:"version,omitempty"`
	// Kind of the object.
	// +required
	Kind string `json:"kind"`
	// Name of the object.
	// +required
	Name string `json:"name"`
	// Namespace of the object; empty for cluster-scoped objects.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// FixedImage pins the image that images.get_image() returns, the same entry
// as in a --fixed-images-file.
type FixedImage struct {
	// Image is the image name as passed to images.get_image().
	// +required
	Image string `json:"image"`
	// ResultImage is the image to use instead.
	// +required
	ResultImage string `json:"resultImage"`
	// +optional
	DeployedImage *string `json:"deployedImage,omitempty"`
	// +optional
	RegistryImage *string `json:"registryImage,omitempty"`
	// +optional
	Namespace *string `json:"namespace,omitempty"`
	// +optional
	Object *ObjectRef `json:"object,omitempty"`
	// +optional
	Deployment *string `json:"deployment,omitempty"`
	// +optional
	Container *string `json:"container,omitempty"`
	// +optional
	VersionFilter *string `json:"versionFilter,omitempty"`
	// +optional
	DeployTags []string `json:"deployTags,omitempty"`
	// +optional
	DeploymentDir *string `json:"deploymentDir,omitempty"`
}
