package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/gitinfo"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
)

// clusterIDOf returns the id of t's cluster ("" when unknown).
func (r *Reconciler) clusterIDOf(ctx context.Context, t *engine.Target) string {
	if t.Cluster == nil {
		return ""
	}
	id, _ := t.Cluster.ID(ctx)
	return id
}

// controllerClusterID is the id of the cluster the controller runs in.
func (r *Reconciler) controllerClusterID(ctx context.Context) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.clusterID == "" {
		if c, err := r.pool.Clients(r.config); err == nil {
			r.clusterID, _ = k8s.ClusterID(ctx, c)
		}
	}
	return r.clusterID
}

// store is the result store in the controller's cluster, written with the
// controller's own identity.
func (r *Reconciler) store() (*results.Store, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.results == nil {
		c, err := r.pool.Clients(r.config)
		if err != nil {
			return nil, err
		}
		r.results = results.New(c, r.opts.Results)
	}
	return r.results, nil
}

// annotate fills what a command result knows only through the controller:
// initiator, KluctlDeployment, reconcile id, the source and the request's
// overrides.
func (rc *run) annotate(cr *result.CommandResult) {
	cr.ReconcileID = rc.reconcileID
	cr.Command.Initiator = result.InitiatorKluctlDeployment
	cr.KluctlDeployment = rc.deploymentInfo()
	if src, err := sourceOf(rc.kd); err == nil {
		if key, err := src.projectKey(); err == nil {
			cr.ProjectKey = result.ProjectKey{RepoKey: key.RepoKey, SubDir: key.SubDir}
		}
		if u, err := gitinfo.ParseURL(src.url); err == nil {
			s := gitinfo.Redacted(u)
			cr.GitInfo.URL = &s
		}
		cr.GitInfo.SubDir = cr.ProjectKey.SubDir
	}
	if gi := rc.artifactGitInfo; gi != nil {
		// As the original: the git checkout the artifact was pushed from.
		cr.GitInfo = *gi
	}
	if rc.checkout != nil {
		cr.GitInfo.Commit = rc.checkout.Commit
		ref := rc.checkout.Ref
		cr.GitInfo.Ref = &result.GitRef{Branch: ref.Branch, Tag: ref.Tag, Commit: ref.Commit}
	}
	if rc.request != nil && rc.request.OverridesPatch != nil {
		var patch map[string]any
		if decodeRaw(rc.request.OverridesPatch, &patch) {
			cr.OverridesPatch = patch
		}
	}
}

func (rc *run) annotateValidate(v *result.ValidateDocument) {
	v.ReconcileID = rc.reconcileID
	v.KluctlDeployment = rc.deploymentInfo()
	if rc.kd.Status.ProjectKey != nil {
		v.ProjectKey = result.ProjectKey{RepoKey: rc.kd.Status.ProjectKey.RepoKey, SubDir: rc.kd.Status.ProjectKey.SubDir}
	}
}

func (rc *run) deploymentInfo() *result.KluctlDeploymentInfo {
	return &result.KluctlDeploymentInfo{Name: rc.kd.Name, Namespace: rc.kd.Namespace, ClusterID: rc.r.controllerClusterID(rc.ctx)}
}

// storeCommandResult annotates res's document, stores it (when it shows
// anything, or force), emits an event and returns its summary.
func (rc *run) storeCommandResult(res *result.Result, cmd string, force bool) *result.CommandResultSummary {
	doc := res.Document
	rc.annotate(doc)
	sum := doc.Summary()
	interesting := sum.NewObjects+sum.ChangedObjects+sum.OrphanObjects+sum.DeletedObjects+len(sum.Errors)+len(sum.Warnings) != 0
	if rc.r.opts.WriteResults && (interesting || force) {
		rc.write(func(ctx context.Context) ([]string, error) {
			st, err := rc.r.store()
			if err != nil {
				return nil, err
			}
			return st.WriteCommandResult(ctx, doc)
		})
	}
	rc.logf("command finished with %d errors and %d warnings", len(sum.Errors), len(sum.Warnings))
	rc.r.metrics.command(rc.kd, sum, cmd)
	typ := corev1.EventTypeNormal
	if len(sum.Errors) != 0 {
		typ = corev1.EventTypeWarning
	}
	rc.r.recorder.Eventf(rc.subject, nil, typ, rc.readyReason(), cmd, "%s", rc.mask(resultMessage(sum, cmd)))
	return sum
}

func (rc *run) storeValidateResult(v *result.ValidateDocument) {
	if !rc.r.opts.WriteResults {
		return
	}
	rc.write(func(ctx context.Context) ([]string, error) {
		st, err := rc.r.store()
		if err != nil {
			return nil, err
		}
		return st.WriteValidateResult(ctx, v)
	})
}

// write runs one result store write; failures are logged, never fatal.
func (rc *run) write(w func(context.Context) ([]string, error)) {
	ctx, cancel := detached(rc.ctx)
	defer cancel()
	warnings, err := w(ctx)
	for _, msg := range warnings {
		rc.logf("result store: %s", msg)
	}
	if err != nil {
		rc.logf("the command result was not stored: %v", err)
	}
}
