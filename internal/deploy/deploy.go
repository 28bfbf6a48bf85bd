package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kluctl-go/kluctl/internal/apply"
	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/hooks"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/live"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/render"
	"github.com/kluctl-go/kluctl/internal/result"
)

// Deploy applies the items of res and returns what changed. With
// opts.DryRun nothing is changed and the result says what would change.
// The error joins the per-object errors (see result.Result.Err); errors
// that concern no single object (the API server became unreachable, the
// live state could not be read) have an empty Ref. The result is never nil.
func Deploy(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) (*result.Result, error) {
	return run(ctx, c, res, opts, "deploy")
}

// Diff returns what Deploy would change: the same run as a server-side
// dry-run, with orphans.
func Diff(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) (*result.Result, error) {
	opts.DryRun = true
	opts.Prune = false
	return run(ctx, c, res, opts, "diff")
}

// runner holds the state of one deploy or diff run.
type runner struct {
	c        *k8s.Clients
	res      *render.Result
	opts     Options
	applier  *apply.Applier
	snap     *live.Snapshot
	rec      *recorder
	diffOpts diff.Options
	sem      chan struct{}
	abort    atomic.Bool
	// unreachable is set by the first error that shows the API server is
	// gone (or the run was cancelled).
	unreachable atomic.Bool
	namespaces  map[string]bool
	crdKinds    map[schema.GroupKind]bool
}

// deployed reports whether an item's objects are applied in this run.
func deployed(it *render.Item) bool {
	return !it.OnlyRender && (!it.Excluded || it.AlwaysDeploy)
}

func run(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options, cmd string) (*result.Result, error) {
	def := DefaultOptions()
	if opts.Concurrency <= 0 {
		opts.Concurrency = def.Concurrency
	}
	if opts.ReadinessTimeout <= 0 {
		opts.ReadinessTimeout = def.ReadinessTimeout
	}
	masker := diff.NewMasker(res.SensitiveValues)
	r := &runner{
		c: c, res: res, opts: opts,
		applier: apply.New(c, apply.Options{
			DryRun: opts.DryRun, ForceApply: opts.ForceApply,
			ReplaceOnError: opts.ReplaceOnError, ForceReplaceOnError: opts.ForceReplaceOnError,
			ConflictResolution: res.ConflictResolution,
		}),
		rec:        newRecorder(masker),
		diffOpts:   diff.Options{IgnoreForDiff: res.IgnoreForDiff, Masker: masker},
		sem:        make(chan struct{}, opts.Concurrency),
		namespaces: map[string]bool{},
		crdKinds:   map[schema.GroupKind]bool{},
	}
	var objs []*unstructured.Unstructured
	for _, it := range res.Items {
		if deployed(it) {
			objs = append(objs, it.Objects...)
		}
	}
	r.indexCreated(objs)

	// Orphans do not depend on the applies (applied objects are rendered),
	// so they are searched for while the items are applied.
	var orphans func()
	if !opts.NoOrphans && res.Discriminator != "" {
		orphans = r.startOrphans(ctx)
	}
	// The live state is read group by group (kind and namespace) in the
	// background; an object is applied only after its group was read.
	r.snap = live.Start(ctx, c, objs, live.Options{Concurrency: opts.Concurrency, Selector: k8s.DiscriminatorSelector(res.Discriminator)})
	r.applyItems(ctx)
	_, err := r.snap.Wait()
	r.recordRendered()
	if orphans != nil {
		orphans()
	}
	if err != nil {
		r.rec.fail(k8s.ObjectRef{}, err) // what was applied before is still reported
	}
	r.reportNotApplied(ctx)
	out := r.rec.res
	out.Command, out.Target, out.DryRun = cmd, res.Target, opts.DryRun
	out.Sort()
	return &out, out.Err()
}

// recordRendered records every rendered object with its state before the
// run (once the live state is read).
func (r *runner) recordRendered() {
	for _, it := range r.res.Items {
		for _, o := range it.Objects {
			var remote *unstructured.Unstructured
			if deployed(it) {
				remote, _ = r.snap.Get(k8s.RefOf(o))
			}
			r.rec.bodies(k8s.RefOf(o), o, remote, nil)
		}
	}
}

// applyItems runs the items in parallel, waiting at every barrier.
func (r *runner) applyItems(ctx context.Context) {
	var wg sync.WaitGroup
	for _, it := range r.res.Items {
		if r.aborted(ctx) {
			break
		}
		if deployed(it) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.item(ctx, it)
			}()
		}
		if it.Barrier {
			wg.Wait()
		}
	}
	wg.Wait()
}

// startOrphans searches for orphans in the background; the returned
// function waits for the search, records the orphans and prunes them when
// asked to and the deploy succeeded.
func (r *runner) startOrphans(ctx context.Context) func() {
	type found struct {
		owned    []prune.Owned
		warnings []string
		err      error
	}
	ch := make(chan found, 1)
	go func() {
		owned, warnings, err := prune.OrphanObjects(ctx, r.c, r.res, prune.Options{Concurrency: r.opts.Concurrency, Index: r.opts.OwnedIndex})
		ch <- found{owned, warnings, err}
	}()
	return func() {
		f := <-ch
		if r.abort.Load() {
			return
		}
		r.rec.warn(k8s.ObjectRef{}, f.warnings...)
		if f.err != nil {
			r.rec.fail(k8s.ObjectRef{}, f.err)
			return
		}
		refs := prune.Refs(f.owned)
		r.rec.mu.Lock()
		r.rec.res.OrphanObjects = refs
		for _, o := range f.owned {
			r.rec.res.SetBodies(o.Ref, nil, o.Body(), nil)
		}
		r.rec.mu.Unlock()
		if !r.opts.Prune || len(refs) == 0 || r.rec.hadErrors() {
			return
		}
		deleted, err := prune.Delete(ctx, r.c, refs, prune.Options{DryRun: r.opts.DryRun, Concurrency: r.opts.Concurrency})
		r.rec.deleted(deleted...)
		for _, e := range joined(err) {
			r.rec.fail(k8s.ObjectRef{}, e)
		}
	}
}

// live returns the live version of ref before the run (nil when it did not
// exist), waiting until its group is read. A failed read aborts the run.
func (r *runner) live(ctx context.Context, ref k8s.ObjectRef) (*unstructured.Unstructured, error) {
	o, err := r.snap.Get(ref)
	if err != nil {
		r.abort.Store(true)
	}
	return o, err
}

// indexCreated remembers the namespaces and CRD kinds this run creates, so
// that a dry-run can simulate objects that depend on them.
func (r *runner) indexCreated(objs []*unstructured.Unstructured) {
	for _, o := range objs {
		gk := o.GroupVersionKind().GroupKind()
		switch gk {
		case schema.GroupKind{Kind: "Namespace"}:
			r.namespaces[o.GetName()] = true
		case schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
			g, _, _ := unstructured.NestedString(o.Object, "spec", "group")
			k, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
			r.crdKinds[schema.GroupKind{Group: g, Kind: k}] = true
		}
	}
}

// willExist reports whether err is about a namespace or CRD created by this
// run (only relevant for dry-runs, where they are never created).
func (r *runner) willExist(err error) bool {
	var se apierrors.APIStatus
	if apierrors.IsNotFound(err) && errors.As(err, &se) {
		if d := se.Status().Details; d != nil && d.Kind == "namespaces" && r.namespaces[d.Name] {
			return true
		}
	}
	var nk *meta.NoKindMatchError
	if errors.As(err, &nk) && r.crdKinds[nk.GroupKind] {
		return true
	}
	return false
}

// aborted reports whether no further work should start.
func (r *runner) aborted(ctx context.Context) bool {
	return r.abort.Load() || ctx.Err() != nil
}

// fail records err for ref and decides whether the run must stop: with
// --abort-on-error, or when the API server is unreachable (every further
// request would fail the same way).
func (r *runner) fail(ctx context.Context, ref k8s.ObjectRef, err error) {
	var ue *url.Error
	if ctx.Err() != nil || errors.As(err, &ue) {
		r.abort.Store(true)
		r.unreachable.Store(true)
	}
	r.rec.fail(ref, err)
	if r.opts.AbortOnError {
		r.abort.Store(true)
	}
}

// reportNotApplied adds an error for every object of a deployed item that
// was neither applied nor failed (the run stopped before it, or a pre hook
// of its item failed), so that the result names every object that is not
// in its rendered state.
func (r *runner) reportNotApplied(ctx context.Context) {
	verb := "applied"
	if r.opts.DryRun {
		verb = "checked"
	}
	var reason string
	switch {
	case ctx.Err() != nil:
		reason = "the run was cancelled or timed out"
	case r.unreachable.Load():
		reason = "the API server became unreachable"
	case r.abort.Load():
		reason = "the run was aborted after an earlier error"
	default:
		reason = "an earlier step of its deployment item failed"
	}
	for _, it := range r.res.Items {
		if !deployed(it) {
			continue
		}
		for _, o := range it.Objects {
			ref := k8s.RefOf(o)
			if r.rec.settled(ref) {
				continue
			}
			if h, _, err := hooks.Parse(o); err == nil && h != nil {
				continue // hooks run only on some deploys
			}
			r.rec.fail(ref, fmt.Errorf("not %s: %s", verb, reason))
		}
	}
}

func (r *runner) acquire(ctx context.Context) bool {
	select {
	case r.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *runner) release() { <-r.sem }

func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
