package deploy

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kluctl-go/kluctl/internal/apply"
	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/hooks"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/readiness"
	"github.com/kluctl-go/kluctl/internal/render"
)

// crdEstablishTimeout bounds waiting for a CRD of an item to be established.
const crdEstablishTimeout = time.Minute

var crdGK = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// item deploys one item: deleteObjects, pre hooks, objects stage by stage,
// readiness waits, post hooks. A failed pre hook skips the rest of the
// item (the hook gates the deploy); a failed stage does not stop the next.
func (r *runner) item(ctx context.Context, it *render.Item) {
	for _, ref := range it.DeleteObjects {
		if !r.acquire(ctx) {
			return
		}
		ok, err := r.applier.Delete(ctx, ref, apply.DeleteOptions{})
		r.release()
		if err != nil {
			r.fail(ctx, ref, err)
		} else if ok {
			r.rec.deleted(ref)
		}
	}

	var hs []*hooks.Hook
	var plain []*unstructured.Unstructured
	for _, o := range it.Objects {
		h, warnings, err := hooks.Parse(o)
		r.rec.warn(k8s.RefOf(o), warnings...)
		switch {
		case err != nil:
			r.fail(ctx, k8s.RefOf(o), err)
		case h != nil:
			hs = append(hs, h)
		default:
			plain = append(plain, o)
		}
	}
	initial := true
	for _, o := range plain {
		if len(hs) == 0 {
			break // only hooks care; don't wait for the live state here
		}
		lv, err := r.live(ctx, k8s.RefOf(o))
		if err != nil {
			return // reported by the run: the live state is unknown
		}
		if lv != nil {
			initial = false
			break
		}
	}

	if !r.runHooks(ctx, hooks.Select(hs, hooks.Pre, initial)) {
		for _, o := range plain {
			r.rec.fail(k8s.RefOf(o), fmt.Errorf("not applied: a pre-deploy hook of its deployment item failed"))
		}
		return
	}
	for _, stage := range apply.Stages(plain) {
		if r.aborted(ctx) {
			return
		}
		applied := r.applyStage(ctx, stage)
		if !r.opts.DryRun && len(applied) != 0 && applied[0].GroupVersionKind().GroupKind() == crdGK {
			r.waitEstablished(ctx, applied)
		}
	}
	if r.aborted(ctx) {
		return
	}
	r.waitReadiness(ctx, it, plain)
	r.runHooks(ctx, hooks.Select(hs, hooks.Post, initial))
}

// applyStage applies objects of one rank concurrently and returns the
// objects as applied.
func (r *runner) applyStage(ctx context.Context, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var mu sync.Mutex
	var applied []*unstructured.Unstructured
	var wg sync.WaitGroup
	for _, o := range objs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := k8s.RefOf(o)
			lv, err := r.live(ctx, ref) // read before it is changed
			if err != nil || r.aborted(ctx) || !r.acquire(ctx) {
				return
			}
			if r.aborted(ctx) { // the run may have been aborted while waiting
				r.release()
				return
			}
			out, err := r.applier.Apply(ctx, o, r.willExist)
			r.release()
			r.rec.warn(ref, out.Warnings...)
			if err != nil {
				r.fail(ctx, ref, err)
				return
			}
			r.rec.applied(ref)
			r.record(o, lv, out)
			mu.Lock()
			applied = append(applied, out.Object)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return applied
}

// record classifies an applied object as new or changed.
func (r *runner) record(local, lv *unstructured.Unstructured, out apply.Outcome) {
	ref := k8s.RefOf(local)
	r.rec.bodies(ref, nil, lv, out.Object)
	if lv == nil {
		r.rec.newObject(ref)
		return
	}
	if !out.Simulated && out.Object.GetResourceVersion() == lv.GetResourceVersion() {
		// A real apply that kept the resourceVersion changed nothing; a
		// dry-run keeps it anyway, but returns the stored object unchanged
		// (the snapshot holds no managedFields).
		if !r.opts.DryRun {
			return
		}
		unstructured.RemoveNestedField(out.Object.Object, "metadata", "managedFields")
		if reflect.DeepEqual(lv.Object, out.Object.Object) {
			return
		}
	}
	changes, err := diff.Object(lv, out.Object, local, r.diffOpts)
	if err != nil {
		r.rec.warn(ref, fmt.Sprintf("diff failed: %v", err))
		return
	}
	if len(changes) != 0 {
		r.rec.changed(ref, changes)
	}
}

// waitEstablished waits for applied CRDs and refreshes the REST mapper so
// that the item's custom resources can be applied right after.
func (r *runner) waitEstablished(ctx context.Context, crds []*unstructured.Unstructured) {
	var wg sync.WaitGroup
	for _, crd := range crds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := k8s.RefOf(crd)
			_, err := readiness.Wait(ctx, r.c, ref, readiness.WaitOptions{Timeout: crdEstablishTimeout, Interval: 100 * time.Millisecond})
			if err != nil {
				r.fail(ctx, ref, err)
			}
		}()
	}
	wg.Wait()
	r.c.ResetMapper()
}

// waitReadiness waits for the item's objects that ask for it.
func (r *runner) waitReadiness(ctx context.Context, it *render.Item, plain []*unstructured.Unstructured) {
	if r.opts.DryRun || r.opts.NoWait {
		return
	}
	var refs []k8s.ObjectRef
	for _, o := range plain {
		ref := k8s.RefOf(o)
		if r.rec.failed(ref) {
			continue
		}
		b, err := strconv.ParseBool(o.GetAnnotations()[k8s.AnnotationWaitReadiness])
		if it.WaitReadiness || (err == nil && b) {
			refs = append(refs, ref)
		}
	}
	refs = append(refs, it.WaitReadinessObjects...)
	var wg sync.WaitGroup
	for _, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := readiness.Wait(ctx, r.c, ref, readiness.WaitOptions{Timeout: r.opts.ReadinessTimeout})
			if err != nil {
				r.fail(ctx, ref, err)
			}
		}()
	}
	wg.Wait()
}

// runHooks runs one phase of hooks and reports whether all succeeded.
func (r *runner) runHooks(ctx context.Context, hs []*hooks.Hook) bool {
	if len(hs) == 0 {
		return true
	}
	out, err := hooks.Run(ctx, r.applier, hs, hooks.RunOptions{
		DryRun: r.opts.DryRun, NoWait: r.opts.NoWait, ReadinessTimeout: r.opts.ReadinessTimeout,
		Exists: func(ref k8s.ObjectRef) bool {
			lv, err := r.live(ctx, ref)
			return err == nil && lv != nil
		},
	})
	r.rec.hooks(out.Applied...)
	for ref, w := range out.Warnings {
		r.rec.warn(ref, w...)
	}
	for _, e := range joined(err) {
		var he *hooks.Error
		if errors.As(e, &he) {
			r.fail(ctx, he.Ref, he.Err)
		} else {
			r.fail(ctx, k8s.ObjectRef{}, e)
		}
	}
	return err == nil
}
