package controller

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/prune"
)

// finalize deletes the target's objects when spec.delete asks for it, then
// releases the object. Failures to delete are logged: the object is
// released anyway, as with the original.
func (r *Reconciler) finalize(ctx context.Context, kd *v1beta1.KluctlDeployment) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(kd, v1beta1.KluctlDeploymentFinalizer) {
		return ctrl.Result{}, nil
	}
	log.FromContext(ctx).Info("Finalizing")
	if kd.Spec.Delete && !kd.Spec.Suspend && kd.Status.TargetKey != nil && kd.Status.TargetKey.Discriminator != "" {
		r.deleteTarget(ctx, kd)
	}
	r.metrics.forget(kd)
	// Released also when the deletion ran out of time.
	wctx, cancel := detached(ctx)
	defer cancel()
	patch := client.MergeFrom(kd.DeepCopy())
	controllerutil.RemoveFinalizer(kd, v1beta1.KluctlDeploymentFinalizer)
	return ctrl.Result{}, r.client.Patch(wctx, kd, patch, client.FieldOwner(r.opts.Name))
}

// deleteTarget deletes the objects of kd's last target, within
// spec.timeout as a reconcile: a hanging fetch or cluster would otherwise
// hold the object forever.
func (r *Reconciler) deleteTarget(ctx context.Context, kd *v1beta1.KluctlDeployment) {
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout(kd))
	defer cancel()
	rc := r.newRun(ctx, kd)
	defer rc.cleanup()
	rc.logf("Deleting objects with discriminator '%s'", kd.Status.TargetKey.Discriminator)
	rc.discriminator = kd.Status.TargetKey.Discriminator
	if err := rc.prepare(); err != nil {
		rc.logf("deletion failed: %v", err)
		return
	}
	start := time.Now()
	res, err := rc.target.Delete(ctx, prune.Options{Wait: false})
	r.metrics.deleteDuration.WithLabelValues(kd.Namespace, kd.Name).Observe(since(start))
	if res != nil && res.Document != nil {
		rc.storeCommandResult(res, "delete", true)
	}
	if err != nil {
		rc.logf("deletion failed: %v", err)
	}
}
