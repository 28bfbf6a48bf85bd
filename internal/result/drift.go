package result

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DriftedObject is an object that differs from its rendered state.
type DriftedObject struct {
	BaseObject
	LastResourceVersion string `json:"lastResourceVersion"`
}

// DriftDetectionResult is what the controller's periodic dry-run diff
// found, in the original's layout.
type DriftDetectionResult struct {
	ID                  string                `json:"id"`
	ReconcileID         string                `json:"reconcileId"`
	ProjectKey          ProjectKey            `json:"projectKey"`
	TargetKey           TargetKey             `json:"targetKey"`
	KluctlDeployment    *KluctlDeploymentInfo `json:"kluctlDeployment,omitempty"`
	RenderedObjectsHash string                `json:"renderedObjectsHash,omitempty"`
	StartTime           metav1.Time           `json:"startTime"`
	EndTime             metav1.Time           `json:"endTime"`
	Warnings            []DeploymentError     `json:"warnings,omitempty"`
	Errors              []DeploymentError     `json:"errors,omitempty"`
	Objects             []DriftedObject       `json:"objects,omitempty"`
}

// DriftDetection returns the drift cr shows: its new, changed, orphan and
// deleted objects.
func (cr *CommandResult) DriftDetection() *DriftDetectionResult {
	return cr.drift(func(o *ResultObject) bool { return o.New || o.Orphan || o.Deleted || len(o.Changes) != 0 })
}

// DriftAfterDeploy is the drift that remains right after cr, a deploy
// without errors: the orphans it did not delete. A dry-run diff at this
// point finds nothing else, because every rendered object was just applied.
// After a dry-run deploy, that deploy was the dry-run diff.
func (cr *CommandResult) DriftAfterDeploy() *DriftDetectionResult {
	if cr.Command.DryRun {
		return cr.DriftDetection()
	}
	d := cr.drift(func(o *ResultObject) bool { return o.Orphan && !o.Deleted })
	for i := range d.Objects {
		d.Objects[i].Changes = nil
	}
	return d
}

func (cr *CommandResult) drift(drifted func(*ResultObject) bool) *DriftDetectionResult {
	d := &DriftDetectionResult{
		ID: cr.ID, ReconcileID: cr.ReconcileID, ProjectKey: cr.ProjectKey, TargetKey: cr.TargetKey,
		KluctlDeployment: cr.KluctlDeployment, RenderedObjectsHash: cr.RenderedObjectsHash,
		StartTime: cr.Command.StartTime, EndTime: cr.Command.EndTime, Errors: cr.Errors, Warnings: cr.Warnings,
	}
	for i := range cr.Objects {
		o := &cr.Objects[i]
		if !drifted(o) {
			continue
		}
		body := o.Applied
		if body == nil {
			body = o.Remote
		}
		rv := ""
		if md, ok := body["metadata"].(map[string]any); ok {
			rv, _ = md["resourceVersion"].(string)
		}
		d.Objects = append(d.Objects, DriftedObject{BaseObject: o.BaseObject, LastResourceVersion: rv})
	}
	return d
}

// ShortMessage is the drift in a few words: "no drift" or counts such as
// "1 new/2 chg".
func (d *DriftDetectionResult) ShortMessage() string {
	if len(d.Objects) == 0 {
		return "no drift"
	}
	var n [4]int
	for _, o := range d.Objects {
		n[0] += b2i(o.New)
		n[1] += b2i(len(o.Changes) != 0)
		n[2] += b2i(o.Orphan)
		n[3] += b2i(o.Deleted)
	}
	var parts []string
	for i, label := range []string{"new", "chg", "orp", "del"} {
		if n[i] != 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[i], label))
		}
	}
	if len(d.Errors) != 0 {
		parts = append(parts, fmt.Sprintf("%d err", len(d.Errors)))
	}
	if len(d.Warnings) != 0 {
		parts = append(parts, fmt.Sprintf("%d wrn", len(d.Warnings)))
	}
	return strings.Join(parts, "/")
}
