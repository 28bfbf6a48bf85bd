package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

// MultiDeploymentLabel is set on the KluctlDeployments a
// KluctlMultiDeployment creates, to the multi deployment's name (when
// that is a valid label value).
const MultiDeploymentLabel = "flux.kluctl.io/kluctl-multi-deployment-name"

// fluxMultiReconciler reconciles KluctlMultiDeployments: it lists the
// targets of the project in the source's artifact (dynamic targets
// expanded from the source's git repository, so that a pushed branch is
// a new target) and keeps one owned KluctlDeployment per target whose
// name matches spec.targetPattern, deleting those whose target is gone.
// The KluctlDeployments do the deploying; their finalizer deletes the
// objects of a removed target when prune is on.
type fluxMultiReconciler struct{ r *Reconciler }

// setupFluxMulti registers the reconciler of KluctlMultiDeployments when
// their CRD is served, watching the deployments it owns (a deleted or
// edited one is put back) and the revisions of Flux sources.
func (r *Reconciler) setupFluxMulti(mgr ctrl.Manager, own *k8s.Clients) error {
	if !served(own, v1alpha1.GroupVersion.String(), "kluctlmultideployments") {
		return nil
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named(r.opts.Name+"-flux-multi").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.opts.Concurrency, SkipNameValidation: &skipNameValidation}).
		For(&v1alpha1.KluctlMultiDeployment{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&v1alpha1.KluctlDeployment{}, builder.WithPredicates(predicate.GenerationChangedPredicate{}))
	for _, kind := range []string{"GitRepository", "Bucket"} {
		gvk := schema.GroupVersionKind{Group: fluxSourceGroup, Version: "v1", Kind: kind}
		if !served(own, gvk.GroupVersion().String(), pluralOf(kind)) {
			continue
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		b = b.Watches(u, handler.EnqueueRequestsFromMapFunc(r.multiDeploymentsOfSource(kind)), builder.WithPredicates(revisionChanged{}))
	}
	return b.Complete(&fluxMultiReconciler{r: r})
}

// multiDeploymentsOfSource maps a source to the KluctlMultiDeployments
// referring to it.
func (r *Reconciler) multiDeploymentsOfSource(kind string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		var l v1alpha1.KluctlMultiDeploymentList
		if err := r.client.List(ctx, &l); err != nil {
			return nil
		}
		var out []reconcile.Request
		for _, md := range l.Items {
			if sourceRefMatches(md.Spec.SourceRef, md.Namespace, kind, obj) {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&md)})
			}
		}
		return out
	}
}

func (f *fluxMultiReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r := f.r
	logger := log.FromContext(ctx)
	var md v1alpha1.KluctlMultiDeployment
	if err := r.apiReader.Get(ctx, req.NamespacedName, &md); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if md.DeletionTimestamp != nil {
		// The owned KluctlDeployments go with it (garbage collection).
		return ctrl.Result{}, nil
	}
	if md.Spec.Suspend {
		// As in the original: nothing of md is reconciled (no target
		// listed, no KluctlDeployment created, updated or deleted, no
		// status written), and its KluctlDeployments go on as they are.
		logger.Info("Reconciliation is suspended for this object")
		return ctrl.Result{}, nil
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, md.Spec.GetTimeout())
	defer cancel()
	base := md.DeepCopy()
	err := f.sync(ctx, &md)
	md.Status.ObservedGeneration = md.Generation
	if perr := f.writeStatus(ctx, &md, base); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		next := md.Spec.GetRetryInterval()
		msg := fmt.Sprintf("Reconciliation failed after %s, next try in %s: %s", time.Since(start).Round(time.Millisecond), next, err)
		logger.Info(msg)
		r.recorder.Eventf(&md, nil, corev1.EventTypeWarning, readyReasonOf(md.Status.Conditions), "Reconcile", "%s", msg)
		return ctrl.Result{RequeueAfter: next}, nil
	}
	next := md.Spec.GetRequeueAfter()
	logger.Info(fmt.Sprintf("Reconciliation finished in %s, next run in %s", time.Since(start).Round(time.Millisecond), next))
	return ctrl.Result{RequeueAfter: next}, nil
}

// writeStatus writes md's status changes since base with a detached
// context: it is written also when spec.timeout cut the sync.
func (f *fluxMultiReconciler) writeStatus(ctx context.Context, md, base *v1alpha1.KluctlMultiDeployment) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := f.r.client.Status().Patch(ctx, md, client.MergeFrom(base), client.FieldOwner(f.r.opts.Name)); err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}

// sync lists the matching targets and brings the owned KluctlDeployments
// in line with them; the error is also in the Ready condition.
func (f *fluxMultiReconciler) sync(ctx context.Context, md *v1alpha1.KluctlMultiDeployment) error {
	r := f.r
	st := &md.Status
	fail := func(reason string, err error) error {
		setMultiReady(md, metav1.ConditionFalse, reason, err.Error())
		return err
	}
	if v := md.Annotations[v1alpha1.ReconcileRequestAnnotation]; v != "" {
		st.LastHandledReconcileAt = v
	}
	pattern, err := regexp.Compile("^(?:" + md.Spec.TargetPattern + ")$")
	if err != nil {
		return fail(v1alpha1.PrepareFailedReason, fmt.Errorf("spec.targetPattern: %w", err))
	}
	src, err := r.getFluxSourceRef(ctx, md.Namespace, md.Spec.SourceRef)
	if err != nil {
		return fail(v1alpha1.ArtifactFailedReason, err)
	}
	if r.artifacts == nil {
		return fail(v1alpha1.ArtifactFailedReason, errors.New("the Flux source artifacts are not available"))
	}
	art, err := r.artifacts.Get(ctx, *src.artifact)
	if err != nil {
		return fail(v1alpha1.ArtifactFailedReason, err)
	}
	defer art.Release()
	revision := src.artifact.Revision
	st.LastAttemptedRevision = revision

	names, skipped, err := f.listTargets(ctx, md, src, art.Dir)
	if err != nil {
		return fail(v1alpha1.PrepareFailedReason, err)
	}
	var matched []string
	for _, n := range names {
		if pattern.MatchString(n) {
			matched = append(matched, n)
		}
	}
	if err := f.apply(ctx, md, matched); err != nil {
		return fail(v1alpha1.PrepareFailedReason, err)
	}
	msg := fmt.Sprintf("Reconciled revision: %s, %d matching targets", revision, len(matched))
	if len(skipped) > 0 {
		msg += "; targets left out: " + strings.Join(skipped, "; ")
	}
	setMultiReady(md, metav1.ConditionTrue, v1alpha1.ReconciliationSucceededReason, msg)
	return nil
}

// listTargets returns the names of the project's targets, static and
// expanded dynamic ones, and the reasons of those that failed to load.
// Failing to reach a repository of dynamic targets is an error: the
// targets it would have listed are not gone.
func (f *fluxMultiReconciler) listTargets(ctx context.Context, md *v1alpha1.KluctlMultiDeployment, src *fluxSource, artDir string) ([]string, []string, error) {
	dir, err := (&source{path: md.Spec.Path}).projectDir(artDir)
	if err != nil {
		return nil, nil, err
	}
	repos := f.r.newFluxTargetRepos(src)
	defer repos.release()
	var mu sync.Mutex
	var skipped []string
	opts := engine.Options{
		ProjectDir:     dir,
		RepoRoot:       artDir,
		Getenv:         func(string) string { return "" },
		ScratchDir:     f.r.opts.ScratchDir,
		OpenTargetRepo: repos.open,
		Progress: func(ev engine.Event) {
			if ev.Level == engine.LevelWarning {
				mu.Lock()
				skipped = append(skipped, ev.Message)
				mu.Unlock()
			}
		},
	}
	if a := md.Spec.Template.Spec.Args; a != nil && len(a.Raw) != 0 {
		var args map[string]any
		if err := json.Unmarshal(a.Raw, &args); err != nil {
			return nil, nil, fmt.Errorf("spec.template.spec.args: %w", err)
		}
		opts.Args = args
	}
	listed, _, err := engine.ListTargets(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := repos.failure(); err != nil {
		return nil, nil, fmt.Errorf("list dynamic targets: %w", err)
	}
	names := make([]string, 0, len(listed))
	for _, l := range listed {
		names = append(names, l.Target.Name)
	}
	return names, skipped, nil
}

// apply creates or updates the KluctlDeployment of each target (server-
// side apply: a reconcile that changes nothing writes nothing) and
// deletes the owned ones whose target is no longer matched.
func (f *fluxMultiReconciler) apply(ctx context.Context, md *v1alpha1.KluctlMultiDeployment, targets []string) error {
	r := f.r
	var l v1alpha1.KluctlDeploymentList
	if err := r.apiReader.List(ctx, &l, client.InNamespace(md.Namespace)); err != nil {
		return fmt.Errorf("list KluctlDeployments: %w", err)
	}
	existing := map[string]*v1alpha1.KluctlDeployment{}
	for i := range l.Items {
		existing[l.Items[i].Name] = &l.Items[i]
	}
	want := map[string]bool{}
	var status []v1alpha1.KluctlMultiDeploymentTargetStatus
	var errs []error
	for _, target := range targets {
		name := multiDeploymentChildName(md.Name, target)
		want[name] = true
		status = append(status, v1alpha1.KluctlMultiDeploymentTargetStatus{Name: target, KluctlDeploymentName: name})
		if kd := existing[name]; kd != nil && !ownedBy(kd, md) {
			errs = append(errs, fmt.Errorf("target %s: KluctlDeployment %s exists and is not owned by this KluctlMultiDeployment", target, name))
			continue
		}
		if err := f.applyChild(ctx, md, name, target); err != nil {
			errs = append(errs, fmt.Errorf("target %s: %w", target, err))
		}
	}
	for _, kd := range l.Items {
		if want[kd.Name] || kd.DeletionTimestamp != nil || !ownedBy(&kd, md) {
			continue
		}
		log.FromContext(ctx).Info(fmt.Sprintf("Deleting KluctlDeployment %s: target %s is gone", kd.Name, kd.Spec.Target))
		if err := r.client.Delete(ctx, &kd); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("delete KluctlDeployment %s: %w", kd.Name, err))
		}
	}
	slices.SortFunc(status, func(a, b v1alpha1.KluctlMultiDeploymentTargetStatus) int { return strings.Compare(a.Name, b.Name) })
	md.Status.Targets = status
	md.Status.TargetCount = len(status)
	return errors.Join(errs...)
}

// applyChild applies the KluctlDeployment of target (see
// childDeployment) by server-side apply: what this controller set before
// and no longer sets, such as a label removed from the template, goes.
func (f *fluxMultiReconciler) applyChild(ctx context.Context, md *v1alpha1.KluctlMultiDeployment, name, target string) error {
	r := f.r
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(childDeployment(md, name, target))
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: obj}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	return r.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(r.opts.Name+"-multi"), client.ForceOwnership)
}

// childDeployment is the KluctlDeployment md wants for target, named
// name: the template's labels and annotations (MultiDeploymentLabel
// wins), md as its controlling owner, the template's spec, md's project
// location and dependsOn, and the target. The template's timing falls
// back to md's where it is unset.
func childDeployment(md *v1alpha1.KluctlMultiDeployment, name, target string) *v1alpha1.KluctlDeployment {
	spec := v1alpha1.KluctlDeploymentSpec{
		KluctlProjectSpec:            *md.Spec.KluctlProjectSpec.DeepCopy(),
		KluctlDeploymentTemplateSpec: *md.Spec.Template.Spec.DeepCopy(),
		Target:                       target,
	}
	timing := &spec.KluctlTimingSpec
	if timing.Interval.Duration == 0 {
		timing.Interval = md.Spec.Interval
	}
	if timing.RetryInterval == nil {
		timing.RetryInterval = md.Spec.RetryInterval
	}
	if timing.Timeout == nil {
		timing.Timeout = md.Spec.Timeout
	}
	kd := &v1alpha1.KluctlDeployment{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.KluctlDeploymentKind},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: md.Namespace,
			Labels:      maps.Clone(md.Spec.Template.Labels),
			Annotations: maps.Clone(md.Spec.Template.Annotations),
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.KluctlMultiDeploymentKind,
				Name: md.Name, UID: md.UID, Controller: new(true), BlockOwnerDeletion: new(true),
			}},
		},
		Spec: spec,
	}
	if len(validation.IsValidLabelValue(md.Name)) == 0 {
		if kd.Labels == nil {
			kd.Labels = map[string]string{}
		}
		kd.Labels[MultiDeploymentLabel] = md.Name
	}
	return kd
}

// ownedBy tells whether md is the controller of kd.
func ownedBy(kd *v1alpha1.KluctlDeployment, md *v1alpha1.KluctlMultiDeployment) bool {
	ref := metav1.GetControllerOf(kd)
	return ref != nil && ref.UID == md.UID
}

// multiDeploymentChildName is the name of the KluctlDeployment of target,
// as the original named it: "<multi>-<target>-" and the first 8 hex
// digits of the SHA-256 of "<multi>-<target>". Characters a name may not
// hold are replaced by '-' (the hash, of the name as it was, keeps
// targets apart) and the name is cut to fit.
func multiDeploymentChildName(multi, target string) string {
	base := multi + "-" + target
	sum := sha256.Sum256([]byte(base))
	suffix := "-" + hex.EncodeToString(sum[:])[:8]
	clean := []byte(strings.ToLower(base))
	for i, c := range clean {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '.' {
			clean[i] = '-'
		}
	}
	s := string(clean)
	if limit := validation.DNS1123SubdomainMaxLength - len(suffix); len(s) > limit {
		s = s[:limit]
	}
	s = strings.Trim(s, "-.")
	if s == "" {
		s = "target"
	}
	return s + suffix
}

func setMultiReady(md *v1alpha1.KluctlMultiDeployment, status metav1.ConditionStatus, reason, msg string) {
	if len(msg) > v1alpha1.MaxConditionMessageLength {
		msg = msg[:v1alpha1.MaxConditionMessageLength] + "..."
	}
	meta.SetStatusCondition(&md.Status.Conditions, metav1.Condition{
		Type: v1alpha1.ReadyCondition, Status: status, Reason: reason, Message: msg, ObservedGeneration: md.Generation,
	})
}
