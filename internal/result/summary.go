package result

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// CommandResultSummary is the short form of a CommandResult kept in the
// result Secret's annotation and listed by the result store.
type CommandResultSummary struct {
	ID                  string                `json:"id"`
	ReconcileID         string                `json:"reconcileId"`
	ProjectKey          ProjectKey            `json:"projectKey"`
	TargetKey           TargetKey             `json:"targetKey"`
	Target              Target                `json:"target"`
	Command             CommandInfo           `json:"commandInfo"`
	KluctlDeployment    *KluctlDeploymentInfo `json:"kluctlDeployment,omitempty"`
	GitInfo             GitInfo               `json:"gitInfo"`
	ClusterInfo         ClusterInfo           `json:"clusterInfo"`
	RenderedObjectsHash string                `json:"renderedObjectsHash,omitempty"`

	RenderedObjects    int `json:"renderedObjects"`
	RemoteObjects      int `json:"remoteObjects"`
	AppliedObjects     int `json:"appliedObjects"`
	AppliedHookObjects int `json:"appliedHookObjects"`

	NewObjects     int `json:"newObjects"`
	ChangedObjects int `json:"changedObjects"`
	OrphanObjects  int `json:"orphanObjects"`
	DeletedObjects int `json:"deletedObjects"`

	Errors   []DeploymentError `json:"errors"`
	Warnings []DeploymentError `json:"warnings"`

	TotalChanges int `json:"totalChanges"`
}

// Summary counts the objects of cr.
func (cr *CommandResult) Summary() *CommandResultSummary {
	s := &CommandResultSummary{
		ID: cr.ID, ReconcileID: cr.ReconcileID, ProjectKey: cr.ProjectKey, TargetKey: cr.TargetKey,
		Target: cr.Target, Command: cr.Command, KluctlDeployment: cr.KluctlDeployment,
		GitInfo: cr.GitInfo, ClusterInfo: cr.ClusterInfo, RenderedObjectsHash: cr.RenderedObjectsHash,
		Errors: cr.Errors, Warnings: cr.Warnings,
	}
	for _, o := range cr.Objects {
		s.RenderedObjects += b2i(o.Rendered != nil)
		s.RemoteObjects += b2i(o.Remote != nil)
		s.AppliedObjects += b2i(o.Applied != nil)
		s.AppliedHookObjects += b2i(o.Hook)
		s.NewObjects += b2i(o.New)
		s.ChangedObjects += b2i(len(o.Changes) != 0)
		s.OrphanObjects += b2i(o.Orphan)
		s.DeletedObjects += b2i(o.Deleted)
		s.TotalChanges += len(o.Changes)
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Reduced returns cr with every object body cut down to apiVersion, kind,
// name, namespace, labels and annotations (the original's reducedResult).
func (cr *CommandResult) Reduced() *CommandResult {
	out := *cr
	out.Objects = make([]ResultObject, len(cr.Objects))
	for i, o := range cr.Objects {
		out.Objects[i] = ResultObject{BaseObject: o.BaseObject, Rendered: reduceObject(o.Rendered), Remote: reduceObject(o.Remote), Applied: reduceObject(o.Applied)}
	}
	return &out
}

func reduceObject(o map[string]any) map[string]any {
	if o == nil {
		return nil
	}
	out := map[string]any{"apiVersion": o["apiVersion"], "kind": o["kind"]}
	md, _ := o["metadata"].(map[string]any)
	rmd := map[string]any{"name": md["name"]}
	for _, k := range []string{"namespace", "labels", "annotations"} {
		switch v := md[k].(type) {
		case string:
			if v != "" {
				rmd[k] = v
			}
		case map[string]any:
			if len(v) != 0 {
				rmd[k] = v
			}
		}
	}
	out["metadata"] = rmd
	return out
}

// ValidateResultEntry is a message an object reports through a
// validate-result.kluctl.io/ annotation.
type ValidateResultEntry struct {
	Ref        k8s.ObjectRef `json:"ref"`
	Annotation string        `json:"annotation"`
	Message    string        `json:"message"`
}

// ValidateDocument is the result of validate in the original's layout.
type ValidateDocument struct {
	ID                  string                `json:"id"`
	ReconcileID         string                `json:"reconcileId"`
	ProjectKey          ProjectKey            `json:"projectKey"`
	TargetKey           TargetKey             `json:"targetKey"`
	KluctlDeployment    *KluctlDeploymentInfo `json:"kluctlDeployment,omitempty"`
	OverridesPatch      map[string]any        `json:"overridesPatch,omitempty"`
	RenderedObjectsHash string                `json:"renderedObjectsHash,omitempty"`
	StartTime           metav1.Time           `json:"startTime"`
	EndTime             metav1.Time           `json:"endTime"`
	Ready               bool                  `json:"ready"`
	Warnings            []DeploymentError     `json:"warnings,omitempty"`
	Errors              []DeploymentError     `json:"errors,omitempty"`
	Results             []ValidateResultEntry `json:"results,omitempty"`
}

// ValidateResultSummary is the short form of a ValidateDocument; warnings,
// errors and results are counts.
type ValidateResultSummary struct {
	ID                  string                `json:"id"`
	ReconcileID         string                `json:"reconcileId"`
	ProjectKey          ProjectKey            `json:"projectKey"`
	TargetKey           TargetKey             `json:"targetKey"`
	KluctlDeployment    *KluctlDeploymentInfo `json:"kluctlDeployment,omitempty"`
	RenderedObjectsHash string                `json:"renderedObjectsHash,omitempty"`
	StartTime           metav1.Time           `json:"startTime"`
	EndTime             metav1.Time           `json:"endTime"`
	Ready               bool                  `json:"ready"`
	Warnings            int                   `json:"warnings"`
	Errors              int                   `json:"errors"`
	Results             int                   `json:"results"`
}

// Summary returns the short form of v.
func (v *ValidateDocument) Summary() *ValidateResultSummary {
	return &ValidateResultSummary{
		ID: v.ID, ReconcileID: v.ReconcileID, ProjectKey: v.ProjectKey, TargetKey: v.TargetKey,
		KluctlDeployment: v.KluctlDeployment, RenderedObjectsHash: v.RenderedObjectsHash,
		StartTime: v.StartTime, EndTime: v.EndTime, Ready: v.Ready,
		Warnings: len(v.Warnings), Errors: len(v.Errors), Results: len(v.Results),
	}
}
