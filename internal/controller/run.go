package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/result"
)

// run is one reconcile of one KluctlDeployment.
type run struct {
	r           *Reconciler
	ctx         context.Context
	kd          *v1beta1.KluctlDeployment
	base        *v1beta1.KluctlDeployment // status as last written
	reconcileID string
	// secretsMu guards secrets and masker: Helm charts render in parallel
	// and git charts find their credentials (adding secrets) meanwhile.
	// It is never held while calling out (see credSecretsMu for that).
	secretsMu sync.Mutex
	secrets   []string
	masker    *diff.Masker

	checkout *gitsource.Checkout
	target   *engine.Target
	request  *v1beta1.ManualRequest
	// discriminator overrides the target's (deletion uses the stored one).
	discriminator string
	// pendingReconcile tells that this run handles a reconcile request.
	pendingReconcile bool
	// flushed is when the status was last written by progress.
	flushed time.Time
	// subject is the object events are recorded on, and writeStatus
	// writes its status; rc.kd and flushStatus unless a run serves
	// another API (see flux.go).
	subject     client.Object
	writeStatus func() error
	// renames maps the context names a target uses to the controller's
	// (spec.renameContexts of the flux API).
	renames map[string]string
	// openTargetRepo serves the repositories of dynamic targets; nil
	// leaves it to the engine (see flux_target_repo.go).
	openTargetRepo func(ctx context.Context, url string) (project.TargetRepo, error)
	// includeAuth finds the credentials of git includes; nil while no
	// project is loaded.
	includeAuth func(ctx context.Context, url string) (*gitsource.Auth, error)
	// artifactGitInfo is the git checkout an OCI source's artifact was
	// pushed from (its io.kluctl.image.git_info annotation), for results.
	artifactGitInfo *result.GitInfo
	// credSecrets are the credentials Secrets read in this reconcile, by
	// name.
	credSecretsMu sync.Mutex
	credSecrets   map[string]*corev1.Secret
}

// progressInterval spaces the status writes of progress: a step that
// follows the previous write within it is not written (it is over before
// anybody could see it); the final status is always written.
const progressInterval = time.Second

func (r *Reconciler) newRun(ctx context.Context, kd *v1beta1.KluctlDeployment) *run {
	id := string(controller.ReconcileIDFromContext(ctx))
	if id == "" {
		id = uuid.NewString()
	}
	rc := &run{r: r, ctx: ctx, kd: kd, base: kd.DeepCopy(), reconcileID: id, subject: kd}
	rc.writeStatus = rc.flushStatus
	return rc
}

// mask replaces the secrets known so far in s. A Masker is not changed
// once made, so it is used outside the lock.
func (rc *run) mask(s string) string {
	rc.secretsMu.Lock()
	m := rc.masker
	rc.secretsMu.Unlock()
	return m.String(s)
}

// logf logs a masked message. The context's logger carries the name,
// namespace and reconcileID keys (controller-runtime adds them), which
// `kluctl gitops logs` filters by.
func (rc *run) logf(format string, args ...any) {
	log.FromContext(rc.ctx).Info(rc.mask(fmt.Sprintf(format, args...)))
}

// flushStatus writes the status changes made since the last flush. Only
// the status is taken back from the server: the in-memory spec may carry a
// request's one-time overrides. It writes with a detached context: the
// final status and a request's end must be written also when the
// reconcile's timeout has passed.
func (rc *run) flushStatus() error {
	ctx, cancel := detached(rc.ctx)
	defer cancel()
	patch := client.MergeFrom(rc.base)
	obj := rc.kd.DeepCopy()
	if err := rc.r.client.Status().Patch(ctx, obj, patch, client.FieldOwner(rc.r.opts.Name)); err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	rc.kd.Status = obj.Status
	rc.kd.ResourceVersion = obj.ResourceVersion
	rc.base = rc.kd.DeepCopy()
	return nil
}

func (rc *run) setCondition(typ string, status metav1.ConditionStatus, reason, msg string) {
	msg = rc.mask(msg)
	if len(msg) > v1beta1.MaxConditionMessageLength {
		msg = msg[:v1beta1.MaxConditionMessageLength] + "..."
	}
	meta.SetStatusCondition(&rc.kd.Status.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: rc.kd.Generation})
}

// progress shows what the run is doing now, keeping the last Ready state.
// The status is written when a command starts, unless the previous write
// was less than progressInterval ago.
func (rc *run) progress(msg string) {
	rc.setProgress(msg)
	if time.Since(rc.flushed) < progressInterval {
		return
	}
	if err := rc.writeStatus(); err != nil {
		rc.logf("%v", err)
	}
	rc.flushed = time.Now()
}

// setProgress changes the progress conditions in memory only.
func (rc *run) setProgress(msg string) {
	if meta.FindStatusCondition(rc.kd.Status.Conditions, v1beta1.ReadyCondition) == nil {
		rc.setCondition(v1beta1.ReadyCondition, metav1.ConditionUnknown, v1beta1.ProgressingReason, "Reconciliation in progress")
	}
	rc.setCondition(v1beta1.ReconcilingCondition, metav1.ConditionTrue, v1beta1.ProgressingReason, msg)
}

// ready sets the final Ready condition and drops Reconciling.
func (rc *run) ready(status metav1.ConditionStatus, reason, msg string) {
	rc.r.metrics.lastObjectStatus.WithLabelValues(rc.kd.Namespace, rc.kd.Name).Set(b2f(status == metav1.ConditionTrue))
	rc.setCondition(v1beta1.ReadyCondition, status, reason, msg)
	meta.RemoveStatusCondition(&rc.kd.Status.Conditions, v1beta1.ReconcilingCondition)
}

func (rc *run) readyReason() string {
	if c := meta.FindStatusCondition(rc.kd.Status.Conditions, v1beta1.ReadyCondition); c != nil {
		return c.Reason
	}
	return "warning"
}

// reconcile runs manual requests or the full reconcile and returns when to
// come back.
func (rc *run) reconcile() (ctrl.Result, error) {
	defer rc.cleanup()
	rc.r.metrics.spec(rc.kd)
	// Initializing is written with the first command, or the final status.
	rc.setProgress("Initializing")
	if err := rc.setProjectKey(); err != nil {
		return ctrl.Result{}, rc.failPrepare(err)
	}
	if rc.kd.Spec.Suspend {
		rc.logf("Reconciliation is suspended for this object, only allowing manual requests to be processed")
	}
	processed, err := rc.manualRequests()
	if processed {
		return ctrl.Result{RequeueAfter: requeueNow}, err
	}
	if rc.kd.Spec.Suspend && !rc.pendingReconcile {
		rc.kd.Status.ObservedGeneration = rc.kd.Generation
		return ctrl.Result{}, nil
	}
	cmdErr, err := rc.fullReconcile()
	if rc.pendingReconcile {
		e := err
		if e == nil {
			e = cmdErr
		}
		rc.finishRequest(v1beta1.KluctlRequestReconcileAnnotation, "", e)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	next := rc.nextReconcile()
	msg, reason := rc.finalStatus()
	if reason != v1beta1.ReconciliationSucceededReason {
		rc.ready(metav1.ConditionFalse, reason, msg)
		return ctrl.Result{RequeueAfter: next}, errors.New(msg)
	}
	rc.ready(metav1.ConditionTrue, reason, msg)
	if cmdErr != nil {
		rc.logf("%v", cmdErr)
	}
	return ctrl.Result{RequeueAfter: next}, nil
}

func (rc *run) cleanup() {
	if rc.checkout != nil {
		rc.checkout.Release()
		rc.checkout = nil
	}
}

// failPrepare records a failure before any command could run.
func (rc *run) failPrepare(err error) error {
	rc.kd.Status.LastPrepareError = rc.mask(err.Error())
	rc.ready(metav1.ConditionFalse, v1beta1.PrepareFailedReason, "prepare failed: "+rc.kd.Status.LastPrepareError)
	return err
}

// setProjectKey records the project key of the source right away.
func (rc *run) setProjectKey() error {
	src, err := sourceOf(rc.kd)
	if err != nil {
		return err
	}
	key, err := src.projectKey()
	if err != nil {
		return err
	}
	rc.kd.Status.ProjectKey = &key
	return nil
}

// nextReconcile is the time until the earliest due interval, deploy or
// validation.
func (rc *run) nextReconcile() time.Duration {
	next := rc.kd.Spec.Interval.Duration
	now := time.Now()
	for _, t := range []*time.Time{rc.nextDeployTime(), rc.nextValidateTime()} {
		if t != nil {
			if d := t.Sub(now); d < next {
				next = d
			}
		}
	}
	if next < time.Second {
		next = time.Second
	}
	return next
}

func (rc *run) nextDeployTime() *time.Time {
	spec := rc.kd.Spec
	if spec.Suspend || spec.DeployInterval == nil {
		return nil
	}
	var s result.CommandResultSummary
	if !decodeRaw(rc.kd.Status.LastDeployResult, &s) {
		return nil
	}
	t := s.Command.EndTime.Add(spec.DeployInterval.Duration.Duration)
	return &t
}

func (rc *run) nextValidateTime() *time.Time {
	spec := rc.kd.Spec
	if spec.Suspend || !spec.Validate {
		return nil
	}
	var v struct {
		EndTime metav1.Time `json:"endTime"`
	}
	if !decodeRaw(rc.kd.Status.LastValidateResult, &v) {
		return nil
	}
	interval := spec.Interval.Duration
	if spec.ValidateInterval != nil {
		interval = spec.ValidateInterval.Duration.Duration
	}
	t := v.EndTime.Add(interval)
	return &t
}

func decodeRaw(raw *runtime.RawExtension, v any) bool {
	if raw == nil || len(raw.Raw) == 0 {
		return false
	}
	return json.Unmarshal(raw.Raw, v) == nil
}

func encodeRaw(v any) *runtime.RawExtension {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return &runtime.RawExtension{Raw: b}
}
