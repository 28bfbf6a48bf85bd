package result

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
)

// This file holds the command result document in the layout Kluctl v2.27
// writes (its pkg/types/result): what -o yaml prints and what the result
// store keeps, field names and shapes as the original's tools read them.

// Initiators of a command.
const (
	InitiatorCommandLine      = "CommandLine"
	InitiatorKluctlDeployment = "KluctlDeployment"
)

// CommandResult is the full result of deploy, diff, prune, delete or
// poke-images. Objects is never serialised directly: Compacted moves it to
// CompactedObjects.
type CommandResult struct {
	ID                  string                `json:"id"`
	ReconcileID         string                `json:"reconcileId"`
	ProjectKey          ProjectKey            `json:"projectKey"`
	TargetKey           TargetKey             `json:"targetKey"`
	Target              Target                `json:"target"`
	Command             CommandInfo           `json:"command"`
	KluctlDeployment    *KluctlDeploymentInfo `json:"kluctlDeployment,omitempty"`
	OverridesPatch      map[string]any        `json:"overridesPatch,omitempty"`
	GitInfo             GitInfo               `json:"gitInfo"`
	ClusterInfo         ClusterInfo           `json:"clusterInfo"`
	Deployment          *Deployment           `json:"deployment,omitempty"`
	RenderedObjectsHash string                `json:"renderedObjectsHash,omitempty"`
	Objects             []ResultObject        `json:"objects,omitempty"`
	Errors              []DeploymentError     `json:"errors,omitempty"`
	Warnings            []DeploymentError     `json:"warnings,omitempty"`
	SeenImages          []project.FixedImage  `json:"seenImages,omitempty"`
}

// CompactedCommandResult is a CommandResult whose objects are stored as
// CompactedObjects (the -o yaml document).
type CompactedCommandResult struct {
	CommandResult
	CompactedObjects CompactedObjects `json:"compactedObjects,omitempty"`
}

// Compacted returns cr with its objects moved to CompactedObjects.
func (cr *CommandResult) Compacted() *CompactedCommandResult {
	out := &CompactedCommandResult{CommandResult: *cr, CompactedObjects: cr.Objects}
	out.Objects = nil
	return out
}

// Expanded returns the CommandResult with the compacted objects back in
// Objects.
func (c *CompactedCommandResult) Expanded() *CommandResult {
	out := c.CommandResult
	if c.CompactedObjects != nil {
		out.Objects = c.CompactedObjects
	}
	return &out
}

// ProjectKey identifies a project: its git repository and folder.
type ProjectKey struct {
	// RepoKey is "git://host/path", normalised; "" outside git. It is
	// always written, as the original writes it.
	RepoKey string `json:"repoKey"`
	SubDir  string `json:"subDir,omitempty"`
}

// TargetKey identifies a deployed target.
type TargetKey struct {
	TargetName    string `json:"targetName,omitempty"`
	ClusterID     string `json:"clusterId"`
	Discriminator string `json:"discriminator,omitempty"`
}

// Target is the deployed target as the result records it.
type Target struct {
	Name          string               `json:"name"`
	Context       *string              `json:"context,omitempty"`
	Args          map[string]any       `json:"args,omitempty"`
	Aws           map[string]any       `json:"aws,omitempty"`
	Images        []project.FixedImage `json:"images,omitempty"`
	Discriminator string               `json:"discriminator,omitempty"`
}

// CommandInfo says what ran, when, and with which options.
type CommandInfo struct {
	Initiator             string               `json:"initiator"`
	StartTime             metav1.Time          `json:"startTime"`
	EndTime               metav1.Time          `json:"endTime"`
	Command               string               `json:"command,omitempty"`
	Target                string               `json:"target,omitempty"`
	TargetNameOverride    string               `json:"targetNameOverride,omitempty"`
	ContextOverride       string               `json:"contextOverride,omitempty"`
	Args                  map[string]any       `json:"args,omitempty"`
	Images                []project.FixedImage `json:"images,omitempty"`
	DryRun                bool                 `json:"dryRun,omitempty"`
	NoWait                bool                 `json:"noWait,omitempty"`
	ForceApply            bool                 `json:"forceApply,omitempty"`
	ReplaceOnError        bool                 `json:"replaceOnError,omitempty"`
	ForceReplaceOnError   bool                 `json:"forceReplaceOnError,omitempty"`
	AbortOnError          bool                 `json:"abortOnError,omitempty"`
	IncludeTags           []string             `json:"includeTags,omitempty"`
	ExcludeTags           []string             `json:"excludeTags,omitempty"`
	IncludeDeploymentDirs []string             `json:"includeDeploymentDirs,omitempty"`
	ExcludeDeploymentDirs []string             `json:"excludeDeploymentDirs,omitempty"`
}

// KluctlDeploymentInfo names the KluctlDeployment that ran a command.
type KluctlDeploymentInfo struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	ClusterID string `json:"clusterId"`
}

// GitInfo describes the git checkout the project came from.
type GitInfo struct {
	URL    *string `json:"url"`
	Ref    *GitRef `json:"ref"`
	SubDir string  `json:"subDir"`
	Commit string  `json:"commit"`
	Dirty  bool    `json:"dirty"`
}

// GitRef is a branch, a tag or a commit.
type GitRef struct {
	Branch string `json:"branch,omitempty"`
	Tag    string `json:"tag,omitempty"`
	Commit string `json:"commit,omitempty"`
}

// ClusterInfo identifies the cluster: the UID of its kube-system namespace.
type ClusterInfo struct {
	ClusterID string `json:"clusterId"`
}

// Deployment is the root deployment project as loaded, with what each item
// rendered.
type Deployment struct {
	project.DeploymentConfig
	Deployments []DeploymentItem `json:"deployments,omitempty"`
}

// DeploymentItem is an item of a Deployment: its configuration plus the
// objects it rendered or the project it included.
type DeploymentItem struct {
	project.ItemConfig
	RenderedObjects []k8s.ObjectRef `json:"renderedObjects,omitempty"`
	RenderedInclude *Deployment     `json:"renderedInclude,omitempty"`
}

// BaseObject is one object of a result: what happened to it.
type BaseObject struct {
	Ref     k8s.ObjectRef `json:"ref"`
	Changes []diff.Change `json:"changes,omitempty"`
	New     bool          `json:"new,omitempty"`
	Orphan  bool          `json:"orphan,omitempty"`
	Deleted bool          `json:"deleted,omitempty"`
	Hook    bool          `json:"hook,omitempty"`
}

// ResultObject is a BaseObject with the object as rendered, as it was in
// the cluster before the command and as the command applied it (each
// masked, nil when there is none).
type ResultObject struct {
	BaseObject
	Rendered map[string]any `json:"rendered,omitempty"`
	Remote   map[string]any `json:"remote,omitempty"`
	Applied  map[string]any `json:"applied,omitempty"`
}

// DeploymentError is an error or warning, about one object or (empty ref)
// about the command.
type DeploymentError struct {
	Ref     k8s.ObjectRef `json:"ref"`
	Message string        `json:"message"`
}
