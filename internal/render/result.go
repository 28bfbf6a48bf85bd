package render

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
)

// Result is a rendered target: the ordered deployment items with their final
// objects, plus the project-wide rules the later stages (diff, apply, prune)
// need. It is what `kluctl render` prints and what deploy consumes.
type Result struct {
	// Target is the name of the target, empty for a project without targets.
	Target string
	// Discriminator is the rendered discriminator; empty disables orphan
	// detection (prune and delete refuse to run without one).
	Discriminator string
	// Items are the deployment items in deployment order. Barriers are items
	// with Barrier set and no objects.
	Items []*Item
	// IgnoreForDiff lists the project's ignoreForDiff rules.
	IgnoreForDiff []IgnoreForDiffRule
	// ConflictResolution lists the project's conflictResolution rules.
	ConflictResolution []ConflictResolutionRule
	// SensitiveValues are rendered values of vars marked sensitive; they
	// must be masked in every output.
	SensitiveValues []string
	// DecryptedValues are the values of SOPS files decrypted while
	// rendering (also in SensitiveValues); even printed manifests mask
	// them.
	DecryptedValues []string
	// Inclusion is the item selection the render used; prune and delete
	// apply it to the objects in the cluster.
	Inclusion *Inclusion
	// Warnings are problems of the render that did not stop it (an object
	// rendered by two items).
	Warnings []string
}

// ObjectCount is the number of rendered objects of all items.
func (r *Result) ObjectCount() int {
	n := 0
	for _, it := range r.Items {
		n += len(it.Objects)
	}
	return n
}

// OverrideDiscriminator replaces the target's discriminator, also on every
// rendered object (--discriminator).
func (r *Result) OverrideDiscriminator(d string) {
	if d == "" {
		return
	}
	r.Discriminator = d
	for _, it := range r.Items {
		for _, o := range it.Objects {
			labels := o.GetLabels()
			if labels == nil {
				labels = map[string]string{}
			}
			labels[k8s.LabelDiscriminator] = d
			o.SetLabels(labels)
		}
	}
}

// Item is one deployment item after rendering.
type Item struct {
	// Dir is the item's folder relative to the git root (or project root),
	// as written to the kluctl.io/deployment-item-dir annotation; empty for
	// barriers and pure deleteObjects items.
	Dir string
	// Objects are the final objects of the item, post-processed.
	Objects []*unstructured.Unstructured
	// Tags are the item's effective tags.
	Tags []string
	// Barrier makes the deployer wait for everything before this item.
	Barrier bool
	// Message is printed when a barrier is reached.
	Message string
	// WaitReadiness waits for all objects of the item to become ready
	// before continuing.
	WaitReadiness bool
	// WaitReadinessObjects are waited for after the item is applied.
	WaitReadinessObjects []k8s.ObjectRef
	// DeleteObjects are deleted when the item is deployed.
	DeleteObjects []k8s.ObjectRef
	// OnlyRender items are rendered but never applied.
	OnlyRender bool
	// AlwaysDeploy items are deployed even when excluded by tags.
	AlwaysDeploy bool
	// SkipDeleteIfTags protects the item's objects from delete when tag
	// filters are given.
	SkipDeleteIfTags bool
	// Excluded is true when tag or dir filters exclude the item; excluded
	// items are not rendered and have no objects.
	Excluded bool
	// Name describes the item in messages: its folder, or its index.
	Name string
	// Config is the item's entry in its deployment.yml.
	Config *project.ItemConfig
}

// IgnoreForDiffRule removes fields from diffs for matching objects.
type IgnoreForDiffRule = project.IgnoreForDiffRule

// ConflictResolutionRule decides what happens when a field is owned by
// another field manager.
type ConflictResolutionRule = project.ConflictResolutionRule
