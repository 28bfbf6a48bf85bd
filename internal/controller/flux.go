package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/prune"
)

// fluxReconciler reconciles KluctlDeployments of the Flux-era API
// flux.kluctl.io/v1alpha1 with the core of gitops.kluctl.io/v1beta1: the
// same run, engine, cluster connection and result store. Only the source
// (a Flux source's artifact) and the status layout differ.
type fluxReconciler struct{ r *Reconciler }

// unhealthyRequeue bounds the wait before validating a deployment again
// that did not validate.
const unhealthyRequeue = 15 * time.Second

// fluxRun is one reconcile of a flux.kluctl.io KluctlDeployment.
type fluxRun struct {
	r    *Reconciler
	ctx  context.Context
	fkd  *v1alpha1.KluctlDeployment
	base *v1alpha1.KluctlDeployment // status as last written
}

func (f *fluxReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r := f.r
	logger := log.FromContext(ctx)
	var fkd v1alpha1.KluctlDeployment
	if err := r.apiReader.Get(ctx, req.NamespacedName, &fkd); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if fkd.DeletionTimestamp != nil {
		return f.finalize(ctx, &fkd)
	}
	if !controllerutil.ContainsFinalizer(&fkd, v1alpha1.KluctlDeploymentFinalizer) {
		patch := client.MergeFrom(fkd.DeepCopy())
		controllerutil.AddFinalizer(&fkd, v1alpha1.KluctlDeploymentFinalizer)
		if err := r.client.Patch(ctx, &fkd, patch, client.FieldOwner(r.opts.Name)); err != nil {
			return ctrl.Result{}, err
		}
	}
	if fkd.Spec.Suspend {
		logger.Info("Reconciliation is suspended for this object")
		r.metrics.gotk(fkd.Namespace, fkd.Name, fkd.Status.Conditions, true, 0)
		return ctrl.Result{}, nil
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, fkd.Spec.GetTimeout())
	defer cancel()
	fr := &fluxRun{r: r, ctx: ctx, fkd: &fkd, base: fkd.DeepCopy()}
	err := fr.reconcile()
	fkd.Status.ObservedGeneration = fkd.Generation
	if perr := fr.flush(); perr != nil && err == nil {
		err = perr
	}
	r.metrics.gotk(fkd.Namespace, fkd.Name, fkd.Status.Conditions, false, time.Since(start))
	if err != nil {
		next := fkd.Spec.GetRetryInterval()
		if readyReasonOf(fkd.Status.Conditions) == v1alpha1.DependencyNotReadyReason {
			next = r.opts.RequeueDependency
		}
		msg := fmt.Sprintf("Reconciliation failed after %s, next try in %s: %s", time.Since(start).Round(time.Millisecond), next, err)
		logger.Info(msg)
		r.recorder.Eventf(&fkd, nil, corev1.EventTypeWarning, readyReasonOf(fkd.Status.Conditions), "Reconcile", "%s", msg)
		return ctrl.Result{RequeueAfter: next}, nil
	}
	next := fkd.Spec.GetRequeueAfter()
	if !fr.healthy() {
		next = min(next, fkd.Spec.GetRetryInterval(), unhealthyRequeue)
	}
	logger.Info(fmt.Sprintf("Reconciliation finished in %s, next run in %s", time.Since(start).Round(time.Millisecond), next))
	return ctrl.Result{RequeueAfter: next}, nil
}

// reconcile deploys, prunes and validates when due; the error is the
// reason the deployment is not Ready (already in its condition).
func (fr *fluxRun) reconcile() error {
	fkd := fr.fkd
	st := &fkd.Status
	if v := fkd.Annotations[v1alpha1.ReconcileRequestAnnotation]; v != "" {
		st.LastHandledReconcileAt = v
	}
	if err := fr.checkDependencies(); err != nil {
		return fr.fail(v1alpha1.DependencyNotReadyReason, err)
	}
	src, err := fr.r.getFluxSource(fr.ctx, fkd)
	if err != nil {
		return fr.fail(v1alpha1.ArtifactFailedReason, err)
	}
	art, err := fr.r.artifacts.Get(fr.ctx, *src.artifact)
	if err != nil {
		return fr.fail(v1alpha1.ArtifactFailedReason, err)
	}
	defer art.Release()
	revision := src.artifact.Revision
	st.LastAttemptedRevision = revision

	rc := fr.newRun(src)
	defer rc.cleanup()
	if err := fr.load(rc, src, art.Dir); err != nil {
		return fr.fail(v1alpha1.PrepareFailedReason, errors.New(rc.mask(err.Error())))
	}
	hash := rc.target.ObjectsHash
	base := v1alpha1.ReconcileResultBase{AttemptedAt: metav1.Now(), Revision: revision, TargetName: rc.target.Name(), ObjectsHash: hash}
	if fr.deployDue(revision, hash) {
		if fkd.Spec.GetDeployMode() != v1alpha1.KluctlDeployModeFull {
			return fr.fail(v1alpha1.DeployFailedReason, fmt.Errorf("spec.deployMode: %s is %w", fkd.Spec.DeployMode, errNotSupported))
		}
		if v := fkd.Annotations[v1alpha1.KluctlDeployRequestAnnotation]; v != "" {
			st.LastHandledDeployAt = v
		}
		o := rc.deployOptions()
		o.Prune = false // the flux API prunes in a command of its own
		doc, derr := rc.deploy(o)
		if derr != nil && doc != nil && len(doc.Errors) != 0 {
			// Say why, as the v1beta1 Ready message does.
			derr = fmt.Errorf("%w First error: %s", derr, rc.mask(firstError(doc.Errors)))
		}
		st.LastDeployResult = commandResult(base, rc.kd.Status.LastDeployResult, derr)
		if derr != nil {
			return fr.fail(v1alpha1.DeployFailedReason, derr)
		}
		st.RawTarget = rawTargetOf(rc.target)
		if fkd.Spec.Prune {
			perr := fr.prune(rc)
			st.LastPruneResult = commandResult(base, rc.kd.Status.LastDeployResult, perr)
			if perr != nil {
				return fr.fail(v1alpha1.PruneFailedReason, perr)
			}
		}
		st.LastValidateResult = nil // validate what was just deployed
	}
	// Validation is the Healthy condition; a failed one is repeated on
	// every reconcile (a rollout in progress right after a deploy).
	if v := st.LastValidateResult; v == nil || v.Error != "" || time.Since(v.AttemptedAt.Time) >= fkd.Spec.GetValidateInterval() {
		verr := rc.validate()
		st.LastValidateResult = &v1alpha1.LastValidateResult{ReconcileResultBase: base, RawResult: rawString(rc.kd.Status.LastValidateResult), Error: errString(verr)}
	}
	if v := st.LastValidateResult; v.Error != "" {
		fr.setCondition(v1alpha1.HealthyCondition, metav1.ConditionFalse, v1alpha1.ValidateFailedReason, v.Error)
	} else {
		fr.setCondition(v1alpha1.HealthyCondition, metav1.ConditionTrue, v1alpha1.ReconciliationSucceededReason, "Validation succeeded")
	}
	fr.setReady(metav1.ConditionTrue, v1alpha1.ReconciliationSucceededReason, "Deployed revision: "+revision)
	return nil
}

// healthy tells whether the last validation passed.
func (fr *fluxRun) healthy() bool {
	c := meta.FindStatusCondition(fr.fkd.Status.Conditions, v1alpha1.HealthyCondition)
	return c != nil && c.Status == metav1.ConditionTrue
}

// deployDue tells whether this reconcile deploys: never deployed, a new
// revision, other rendered objects or spec, a deploy request, or
// deployInterval (by default the interval) passed.
func (fr *fluxRun) deployDue(revision, hash string) bool {
	fkd := fr.fkd
	last := fkd.Status.LastDeployResult
	if last == nil || last.Revision != revision || last.ObjectsHash != hash || last.Error != "" {
		return true
	}
	if fkd.Status.ObservedGeneration != fkd.Generation {
		return true
	}
	if v := fkd.Annotations[v1alpha1.KluctlDeployRequestAnnotation]; v != "" && v != fkd.Status.LastHandledDeployAt {
		return true
	}
	every := fkd.Spec.Interval.Duration
	if fkd.Spec.DeployInterval != nil {
		every = fkd.Spec.DeployInterval.Duration
	}
	return time.Since(last.AttemptedAt.Time) >= every
}

// prune runs the engine's prune and records it like a deploy.
func (fr *fluxRun) prune(rc *run) error {
	if rc.target.Discriminator() == "" {
		return errors.New("spec.prune is set, but the target has no discriminator; refusing to look for orphans")
	}
	rc.progress("Performing kluctl prune")
	res, err := rc.target.Prune(rc.ctx, prune.Options{DryRun: rc.deployOptions().DryRun})
	if res == nil || res.Document == nil {
		return fmt.Errorf("prune: %w", err)
	}
	sum := rc.storeCommandResult(res, "prune", false)
	rc.kd.Status.LastDeployResult = encodeRaw(sum)
	if err := errorOf(sum, "prune"); err != nil {
		return fmt.Errorf("%w First error: %s", err, rc.mask(firstError(sum.Errors)))
	}
	return nil
}

// checkDependencies fails unless every dependsOn deployment is Ready at
// its current generation.
func (fr *fluxRun) checkDependencies() error {
	for _, d := range fr.fkd.Spec.DependsOn {
		ns := d.Namespace
		if ns == "" {
			ns = fr.fkd.Namespace
		}
		var dep v1alpha1.KluctlDeployment
		if err := fr.r.apiReader.Get(fr.ctx, types.NamespacedName{Namespace: ns, Name: d.Name}, &dep); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("dependency '%s/%s' not found", ns, d.Name)
			}
			return fmt.Errorf("dependency '%s/%s': %w", ns, d.Name, err)
		}
		c := meta.FindStatusCondition(dep.Status.Conditions, v1alpha1.ReadyCondition)
		if c == nil || c.Status != metav1.ConditionTrue || dep.Status.ObservedGeneration != dep.Generation {
			return fmt.Errorf("dependency '%s/%s' is not ready", ns, d.Name)
		}
	}
	return nil
}

// newRun is the core run of fkd: a v1beta1 view of its spec (the fields
// both APIs share), its own object for events and its status for
// progress.
func (fr *fluxRun) newRun(src *fluxSource) *run {
	view := fluxView(fr.fkd, src)
	rc := fr.r.newRun(fr.ctx, view)
	rc.subject = fr.fkd
	rc.writeStatus = func() error {
		if c := meta.FindStatusCondition(view.Status.Conditions, v1beta1.ReconcilingCondition); c != nil {
			fr.setReady(metav1.ConditionUnknown, v1alpha1.ProgressingReason, c.Message)
		}
		return fr.flush()
	}
	rc.renames = map[string]string{}
	for _, rn := range fr.fkd.Spec.RenameContexts {
		rc.renames[rn.NewContext] = rn.OldContext
	}
	return rc
}

// fluxView maps the spec of fkd onto the v1beta1 spec the core reads.
func fluxView(fkd *v1alpha1.KluctlDeployment, src *fluxSource) *v1beta1.KluctlDeployment {
	view := &v1beta1.KluctlDeployment{ObjectMeta: *fkd.ObjectMeta.DeepCopy()}
	s, in := &view.Spec, &fkd.Spec
	target := in.Target
	s.Target = &target
	s.Args = in.Args
	for _, img := range in.Images {
		var out v1beta1.FixedImage
		if b, err := json.Marshal(img); err == nil && json.Unmarshal(b, &out) == nil {
			s.Images = append(s.Images, out)
		}
	}
	s.DryRun, s.NoWait, s.ForceApply = in.DryRun, in.NoWait, in.ForceApply
	s.ReplaceOnError, s.ForceReplaceOnError, s.AbortOnError = in.ReplaceOnError, in.ForceReplaceOnError, in.AbortOnError
	s.IncludeTags, s.ExcludeTags = in.IncludeTags, in.ExcludeTags
	s.IncludeDeploymentDirs, s.ExcludeDeploymentDirs = in.IncludeDeploymentDirs, in.ExcludeDeploymentDirs
	s.Prune = in.Prune
	s.ServiceAccountName = in.ServiceAccountName
	if in.KubeConfig != nil && in.KubeConfig.SecretRef.Name != "" {
		s.KubeConfig = &v1beta1.KubeConfig{SecretRef: v1beta1.SecretKeyReference{Name: in.KubeConfig.SecretRef.Name, Key: in.KubeConfig.SecretRef.Key}}
	}
	if src != nil && src.url != "" {
		// For the results' project key and git info only: the files come
		// from the artifact.
		git := &v1beta1.ProjectSourceGit{URL: src.url, Path: in.Path}
		if b, ok := src.ref["branch"].(string); ok {
			git.Ref = &v1beta1.GitRef{Branch: b}
		}
		s.Source.Git = git
	}
	return view
}

// commandResult is the flux status record of a command from its summary
// in the core's status.
func commandResult(base v1alpha1.ReconcileResultBase, raw any, err error) *v1alpha1.LastCommandResult {
	return &v1alpha1.LastCommandResult{ReconcileResultBase: base, RawResult: rawString(raw), Error: errString(err)}
}

func rawString(raw any) *string {
	b, err := json.Marshal(raw)
	if err != nil || string(b) == "null" {
		return nil
	}
	s := string(b)
	return &s
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fail records reason and err in the Ready condition and returns err.
func (fr *fluxRun) fail(reason string, err error) error {
	fr.setReady(metav1.ConditionFalse, reason, err.Error())
	return err
}

func (fr *fluxRun) setReady(status metav1.ConditionStatus, reason, msg string) {
	fr.setCondition(v1alpha1.ReadyCondition, status, reason, msg)
}

func (fr *fluxRun) setCondition(typ string, status metav1.ConditionStatus, reason, msg string) {
	if len(msg) > v1alpha1.MaxConditionMessageLength {
		msg = msg[:v1alpha1.MaxConditionMessageLength] + "..."
	}
	meta.SetStatusCondition(&fr.fkd.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: fr.fkd.Generation,
	})
}

// flush writes the status changes since the last write, with a detached
// context: the final status is written also when spec.timeout passed.
func (fr *fluxRun) flush() error {
	ctx, cancel := detached(fr.ctx)
	defer cancel()
	patch := client.MergeFrom(fr.base)
	obj := fr.fkd.DeepCopy()
	if err := fr.r.client.Status().Patch(ctx, obj, patch, client.FieldOwner(fr.r.opts.Name)); err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	fr.fkd.ResourceVersion = obj.ResourceVersion
	fr.base = fr.fkd.DeepCopy()
	return nil
}

// finalize deletes the target's objects when prune is on (as the
// Flux-era controller did), then releases the object.
func (f *fluxReconciler) finalize(ctx context.Context, fkd *v1alpha1.KluctlDeployment) (ctrl.Result, error) {
	r := f.r
	if !controllerutil.ContainsFinalizer(fkd, v1alpha1.KluctlDeploymentFinalizer) {
		return ctrl.Result{}, nil
	}
	logger := log.FromContext(ctx)
	if fkd.Spec.Prune && !fkd.Spec.Suspend {
		if err := f.deleteObjects(ctx, fkd); err != nil {
			logger.Info(fmt.Sprintf("deletion failed: %v", err))
		}
	}
	r.metrics.forgetName(fkd.Namespace, fkd.Name)
	// Released also when the deletion ran out of time.
	wctx, cancel := detached(ctx)
	defer cancel()
	patch := client.MergeFrom(fkd.DeepCopy())
	controllerutil.RemoveFinalizer(fkd, v1alpha1.KluctlDeploymentFinalizer)
	return ctrl.Result{}, r.client.Patch(wctx, fkd, patch, client.FieldOwner(r.opts.Name))
}

// deleteObjects deletes every object of fkd's target, found by the
// discriminator of the target as the source renders it now, within
// spec.timeout as a reconcile (a hanging source would otherwise hold the
// object forever).
func (f *fluxReconciler) deleteObjects(ctx context.Context, fkd *v1alpha1.KluctlDeployment) error {
	ctx, cancel := context.WithTimeout(ctx, fkd.Spec.GetTimeout())
	defer cancel()
	fr := &fluxRun{r: f.r, ctx: ctx, fkd: fkd, base: fkd.DeepCopy()}
	src, err := f.r.getFluxSource(ctx, fkd)
	if err != nil {
		return err
	}
	art, err := f.r.artifacts.Get(ctx, *src.artifact)
	if err != nil {
		return err
	}
	defer art.Release()
	rc := fr.newRun(src)
	rc.writeStatus = func() error { return nil } // the object is going away
	defer rc.cleanup()
	if err := fr.load(rc, src, art.Dir); err != nil {
		return fr.deleteGoneTarget(ctx, rc, err)
	}
	if rc.target.Discriminator() == "" {
		return errors.New("the target has no discriminator; its objects cannot be found")
	}
	rc.logf("Deleting objects with discriminator '%s'", rc.target.Discriminator())
	res, err := rc.target.Delete(ctx, prune.Options{Wait: false})
	if res != nil && res.Document != nil {
		rc.storeCommandResult(res, "delete", true)
	}
	return err
}

func readyReasonOf(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, v1alpha1.ReadyCondition); c != nil {
		return c.Reason
	}
	return "warning"
}
