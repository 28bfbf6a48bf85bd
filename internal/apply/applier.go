package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/render"
)

// Options configures an Applier.
type Options struct {
	// FieldManager is the server-side apply field manager; default "kluctl".
	FieldManager string
	// DryRun sends every mutating request as a server-side dry-run.
	DryRun bool
	// ForceApply takes ownership of all conflicting fields (--force-apply).
	ForceApply bool
	// ReplaceOnError retries a failed apply with an update (PUT).
	ReplaceOnError bool
	// ForceReplaceOnError additionally deletes and re-creates the object
	// when the update fails too (e.g. immutable fields).
	ForceReplaceOnError bool
	// ConflictResolution are the project's conflictResolution rules.
	ConflictResolution []render.ConflictResolutionRule
}

// DefaultOptions returns the options of a plain deploy.
func DefaultOptions() Options {
	return Options{FieldManager: k8s.FieldManager}
}

// Applier applies objects. It is safe for concurrent use.
type Applier struct {
	c    *k8s.Clients
	opts Options
}

// New returns an Applier using c.
func New(c *k8s.Clients, opts Options) *Applier {
	if opts.FieldManager == "" {
		opts.FieldManager = k8s.FieldManager
	}
	return &Applier{c: c, opts: opts}
}

// Outcome is the result of applying one object.
type Outcome struct {
	// Object is the object as the API server returned it (after the real or
	// dry-run apply). For a simulated dry-run it is the rendered object.
	Object *unstructured.Unstructured
	// Warnings are API warnings and lost-ownership messages.
	Warnings []string
	// Replaced is true when the object was updated or re-created after the
	// apply failed.
	Replaced bool
	// Simulated is true in dry-run mode when the server could not validate
	// the object because its namespace or CRD is created by this deploy.
	Simulated bool
}

// Apply server-side applies obj. willExist tells, in dry-run mode, whether
// a missing namespace or CRD would have been created earlier in this run,
// in which case the apply is simulated instead of failing.
func (a *Applier) Apply(ctx context.Context, obj *unstructured.Unstructured, willExist func(error) bool) (Outcome, error) {
	ref := k8s.RefOf(obj)
	ctx, warns := k8s.WithWarnings(ctx)
	out, err := a.apply(ctx, obj, ref, willExist)
	out.Warnings = append(warns.Messages(), out.Warnings...)
	if err != nil {
		return out, fmt.Errorf("apply %s: %w", ref, err)
	}
	return out, nil
}

func (a *Applier) apply(ctx context.Context, obj *unstructured.Unstructured, ref k8s.ObjectRef, willExist func(error) bool) (Outcome, error) {
	force := a.opts.ForceApply || boolAnnotation(obj.GetAnnotations(), k8s.AnnotationForceApply)
	res, err := a.patch(ctx, obj, force)
	if err == nil {
		return Outcome{Object: res}, nil
	}
	if a.opts.DryRun && willExist != nil && willExist(err) {
		return Outcome{
			Object:    obj.DeepCopy(),
			Simulated: true,
			Warnings:  []string{"not validated by the API server: its namespace or CRD does not exist yet in this dry-run"},
		}, nil
	}
	switch {
	case meta.IsNoMatchError(err):
		return Outcome{}, err
	case apierrors.IsConflict(err) && !force:
		return a.retryConflicts(ctx, obj, ref, err)
	case apierrors.IsConflict(err), apierrors.IsNotFound(err), isTransport(err), ctx.Err() != nil:
		return Outcome{}, err
	}
	return a.retryReplace(ctx, obj, ref, err)
}

// patch sends the server-side apply request.
func (a *Applier) patch(ctx context.Context, obj *unstructured.Unstructured, force bool) (*unstructured.Unstructured, error) {
	ri, _, err := a.c.Resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		FieldManager: a.opts.FieldManager,
		Force:        &force,
		DryRun:       a.dryRun(),
	})
}

func (a *Applier) dryRun() []string {
	if a.opts.DryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// get reads the live object; nil without error when it does not exist.
func (a *Applier) get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, _, err := a.c.Resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	live, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return live, err
}

func (a *Applier) retryConflicts(ctx context.Context, obj *unstructured.Unstructured, ref k8s.ObjectRef, applyErr error) (Outcome, error) {
	var se apierrors.APIStatus
	if !errors.As(applyErr, &se) {
		return Outcome{}, applyErr
	}
	live, err := a.get(ctx, obj)
	if err != nil || live == nil {
		return Outcome{}, errors.Join(applyErr, err)
	}
	resolved, warnings, err := resolveConflicts(obj, live, se.Status(), a.opts.ConflictResolution)
	if err != nil {
		return Outcome{}, fmt.Errorf("resolve conflicts: %w", err)
	}
	res, err := a.patch(ctx, resolved, true)
	if err != nil {
		out, rerr := a.forceReplace(ctx, obj, ref, live, err)
		out.Warnings = append(warnings, out.Warnings...)
		return out, rerr
	}
	return Outcome{Object: res, Warnings: warnings}, nil
}

func (a *Applier) replaceAllowed(obj *unstructured.Unstructured) bool {
	ann := obj.GetAnnotations()
	return a.opts.ReplaceOnError || a.forceReplaceAllowed(obj) || boolAnnotation(ann, k8s.AnnotationReplaceOnError)
}

func (a *Applier) forceReplaceAllowed(obj *unstructured.Unstructured) bool {
	return a.opts.ForceReplaceOnError || boolAnnotation(obj.GetAnnotations(), k8s.AnnotationForceReplaceOnError)
}

// retryReplace updates the object with a PUT after a failed apply, and
// falls back to delete and re-create when that fails too.
func (a *Applier) retryReplace(ctx context.Context, obj *unstructured.Unstructured, ref k8s.ObjectRef, applyErr error) (Outcome, error) {
	if !a.replaceAllowed(obj) {
		return Outcome{}, applyErr
	}
	live, err := a.get(ctx, obj)
	if err != nil || live == nil {
		return Outcome{}, errors.Join(applyErr, err)
	}
	ri, _, err := a.c.Resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return Outcome{}, err
	}
	upd := obj.DeepCopy()
	upd.SetResourceVersion(live.GetResourceVersion())
	res, err := ri.Update(ctx, upd, metav1.UpdateOptions{FieldManager: a.opts.FieldManager, DryRun: a.dryRun()})
	if err == nil {
		return Outcome{Object: res, Replaced: true, Warnings: []string{
			fmt.Sprintf("apply failed (%v), replaced the object instead", applyErr),
		}}, nil
	}
	return a.forceReplace(ctx, obj, ref, live, err)
}

// forceReplace deletes the object and applies it again. Besides
// --force-replace-on-error, --replace-on-error allows it for immutable-field
// errors: no update can change such a field, re-creating is the only way
// to replace the object.
func (a *Applier) forceReplace(ctx context.Context, obj *unstructured.Unstructured, ref k8s.ObjectRef, live *unstructured.Unstructured, cause error) (Outcome, error) {
	if !a.forceReplaceAllowed(obj) && !(a.replaceAllowed(obj) && isImmutableFieldError(cause)) {
		return Outcome{}, cause
	}
	if boolAnnotation(obj.GetAnnotations(), k8s.AnnotationSkipDelete) || boolAnnotation(live.GetAnnotations(), k8s.AnnotationSkipDelete) {
		return Outcome{}, fmt.Errorf("%w (not re-creating it: %s is set)", cause, k8s.AnnotationSkipDelete)
	}
	warn := fmt.Sprintf("apply failed (%v), deleted and re-created the object", cause)
	if a.opts.DryRun {
		return Outcome{Object: obj.DeepCopy(), Replaced: true, Simulated: true, Warnings: []string{warn}}, nil
	}
	if _, err := a.Delete(ctx, ref, DeleteOptions{Wait: true}); err != nil {
		return Outcome{}, errors.Join(cause, err)
	}
	res, err := a.patch(ctx, obj, true)
	if err != nil {
		return Outcome{}, fmt.Errorf("re-create after delete: %w", err)
	}
	return Outcome{Object: res, Replaced: true, Warnings: []string{warn}}, nil
}

// isImmutableFieldError reports validation errors about fields that can
// not be changed after creation.
func isImmutableFieldError(err error) bool {
	return apierrors.IsInvalid(err) && strings.Contains(err.Error(), "immutable")
}

// isTransport reports errors where the API server was not reached or did
// not answer; retrying with another verb will not help.
func isTransport(err error) bool {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsTooManyRequests(err)
	}
	return true
}

// Clients returns the clients the Applier uses.
func (a *Applier) Clients() *k8s.Clients { return a.c }

// DryRun reports whether the Applier only dry-runs.
func (a *Applier) DryRun() bool { return a.opts.DryRun }
