package controller

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/render"
)

// deployedTarget is status.rawTarget of a flux.kluctl.io KluctlDeployment:
// the target of the last deployment, enough to find its objects again
// when the project no longer has the target (the branch of a preview
// environment was deleted).
type deployedTarget struct {
	Name          string `json:"name"`
	Context       string `json:"context,omitempty"`
	Discriminator string `json:"discriminator,omitempty"`
}

// rawTargetOf is the status.rawTarget of a deployment of t.
func rawTargetOf(t *engine.Target) *string {
	d := deployedTarget{Name: t.Name(), Discriminator: t.Discriminator()}
	if t.Project != nil && t.Project.Target != nil {
		d.Context = t.Project.Target.Context
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil
	}
	s := string(b)
	return &s
}

// deleteGoneTarget deletes the objects of a target the project no longer
// has, found by the discriminator recorded at its last deployment. loadErr
// is the failure to load the target; it is returned when it is not about
// a missing target or nothing was recorded.
func (fr *fluxRun) deleteGoneTarget(ctx context.Context, rc *run, loadErr error) error {
	var unknown *project.UnknownTargetError
	raw := fr.fkd.Status.RawTarget
	if !errors.As(loadErr, &unknown) || raw == nil {
		return loadErr
	}
	var d deployedTarget
	if err := json.Unmarshal([]byte(*raw), &d); err != nil || d.Discriminator == "" {
		return loadErr
	}
	cl, err := rc.clusterProvider().Cluster(ctx, d.Context)
	if err != nil {
		return err
	}
	rc.logf("Target %s is gone from the project; deleting objects with its last discriminator '%s'", d.Name, d.Discriminator)
	_, err = prune.DeleteTarget(ctx, cl.Clients, &render.Result{Target: d.Name, Discriminator: d.Discriminator}, prune.Options{})
	return err
}
