package prune

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kluctl-go/kluctl/internal/apply"
	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/render"
	"github.com/kluctl-go/kluctl/internal/result"
)

// Options configures Prune, DeleteTarget and Delete.
type Options struct {
	// DryRun reports what would be deleted and sends dry-run deletes.
	DryRun bool
	// Wait waits until each rank of deleted objects is gone before deleting
	// the next (e.g. workloads before their namespace).
	Wait bool
	// Timeout bounds waiting for one object to disappear.
	Timeout time.Duration
	// Concurrency bounds parallel requests; default 16.
	Concurrency int
	// Index, when set, answers orphan searches from its watches (see
	// Index). Delete always lists the cluster directly.
	Index *Index
}

// DefaultOptions returns the options of a plain prune or delete.
func DefaultOptions() Options {
	return Options{Wait: true, Concurrency: 16}
}

// renderedSet indexes the rendered objects of every item, including
// excluded and only-render items, by reference.
type renderedSet struct {
	exact  map[k8s.ObjectRef]bool
	byName map[k8s.ObjectRef]bool // namespace cleared, for cluster-scoped kinds
}

func newRenderedSet(res *render.Result, include func(*render.Item) bool) renderedSet {
	s := renderedSet{exact: map[k8s.ObjectRef]bool{}, byName: map[k8s.ObjectRef]bool{}}
	for _, it := range res.Items {
		if !include(it) {
			continue
		}
		for _, o := range it.Objects {
			s.add(k8s.RefOf(o))
		}
	}
	return s
}

func (s renderedSet) add(r k8s.ObjectRef) {
	r = r.Key()
	s.exact[r] = true
	r.Namespace = ""
	s.byName[r] = true
}

func (s renderedSet) has(r k8s.ObjectRef) bool {
	r = r.Key()
	if s.exact[r] {
		return true
	}
	if r.Namespace == "" {
		return s.byName[r]
	}
	return false
}

// Orphans returns the objects owned by the target (its discriminator,
// applied by kluctl, no ownerReferences, not skip-delete) that no item of
// res renders. With inclusion filters, only objects in the cluster whose
// kluctl.io/tag-N labels or kluctl.io/deployment-item-dir annotation pass
// the filters are considered, as in the original: objects of excluded
// items are never orphans.
func Orphans(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) ([]k8s.ObjectRef, []string, error) {
	owned, warnings, err := OrphanObjects(ctx, c, res, opts)
	return Refs(owned), warnings, err
}

// OrphanObjects is Orphans with the metadata of each orphan.
func OrphanObjects(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) ([]Owned, []string, error) {
	owned, warnings, err := ListOwned(ctx, c, res.Discriminator, ListOptions{Concurrency: opts.Concurrency, Index: opts.Index})
	if err != nil {
		return nil, warnings, err
	}
	rendered := newRenderedSet(res, func(*render.Item) bool { return true })
	var out []Owned
	for _, o := range owned {
		if !ManagedByKluctl(o.Meta) || SkipDelete(o.Meta.Annotations) || rendered.has(o.Ref) {
			continue
		}
		if !res.Inclusion.IncludedObject(o.Meta.Labels, o.Meta.Annotations) {
			continue
		}
		out = append(out, o)
	}
	return out, warnings, nil
}

// Deletable returns every object the target owns that delete may remove:
// owned as for Orphans and passing the inclusion filters; when tag filters
// are given, objects of items with skipDeleteIfTags
// (kluctl.io/skip-delete-if-tags) are kept.
func Deletable(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) ([]k8s.ObjectRef, []string, error) {
	owned, warnings, err := DeletableObjects(ctx, c, res, opts)
	return Refs(owned), warnings, err
}

// DeletableObjects is Deletable with the metadata of each object.
func DeletableObjects(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) ([]Owned, []string, error) {
	owned, warnings, err := ListOwned(ctx, c, res.Discriminator, ListOptions{Concurrency: opts.Concurrency})
	if err != nil {
		return nil, warnings, err
	}
	hasTags := res.Inclusion.HasTags()
	var out []Owned
	for _, o := range owned {
		if !ManagedByKluctl(o.Meta) || SkipDelete(o.Meta.Annotations) {
			continue
		}
		if !res.Inclusion.IncludedObject(o.Meta.Labels, o.Meta.Annotations) {
			continue
		}
		if hasTags {
			if b, err := strconv.ParseBool(o.Meta.Annotations[k8s.AnnotationSkipDeleteIfTags]); err == nil && b {
				continue
			}
		}
		out = append(out, o)
	}
	return out, warnings, nil
}

// Refs returns the references of owned objects.
func Refs(owned []Owned) []k8s.ObjectRef {
	if owned == nil {
		return nil
	}
	out := make([]k8s.ObjectRef, len(owned))
	for i, o := range owned {
		out[i] = o.Ref
	}
	return out
}

// Prune finds the orphans of res and deletes them.
func Prune(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) (*result.Result, error) {
	orphans, warnings, err := OrphanObjects(ctx, c, res, opts)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	out := &result.Result{Command: "prune", Target: res.Target, DryRun: opts.DryRun, OrphanObjects: Refs(orphans)}
	return finish(ctx, c, res, out, orphans, warnings, opts)
}

// DeleteTarget deletes every object res's target owns.
func DeleteTarget(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) (*result.Result, error) {
	owned, warnings, err := DeletableObjects(ctx, c, res, opts)
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	out := &result.Result{Command: "delete", Target: res.Target, DryRun: opts.DryRun}
	return finish(ctx, c, res, out, owned, warnings, opts)
}

// finish deletes the owned objects and completes the result: the deleted
// objects, their metadata as found, the rendered objects, warnings and
// errors.
func finish(ctx context.Context, c *k8s.Clients, res *render.Result, out *result.Result, owned []Owned, warnings []string, opts Options) (*result.Result, error) {
	for _, it := range res.Items {
		for _, o := range it.Objects {
			out.SetBodies(k8s.RefOf(o), o, nil, nil)
		}
	}
	for _, o := range owned {
		out.SetBodies(o.Ref, nil, o.Body(), nil)
	}
	refs := Refs(owned)
	m := diff.NewMasker(res.SensitiveValues)
	for _, w := range warnings {
		out.Warnings = append(out.Warnings, result.ObjectMessage{Message: m.String(w)})
	}
	deleted, err := Delete(ctx, c, refs, opts)
	out.DeletedObjects = deleted
	for _, e := range unwrapJoined(err) {
		msg := result.ObjectMessage{Message: m.String(e.Error())}
		var oe *objectError
		if errors.As(e, &oe) {
			msg = result.ObjectMessage{Ref: oe.ref, Message: m.String(oe.err.Error())}
		}
		out.Errors = append(out.Errors, msg)
	}
	out.Sort()
	return out, out.Err()
}

type objectError struct {
	ref k8s.ObjectRef
	err error
}

func (e *objectError) Error() string { return e.err.Error() }
func (e *objectError) Unwrap() error { return e.err }

func unwrapJoined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Delete deletes refs in reverse apply order: rank by rank, highest
// (ingresses, workloads) first, namespaces last; objects of one rank in
// parallel. With opts.Wait each rank is gone before the next starts. It
// returns the deleted objects and the per-object errors joined.
func Delete(ctx context.Context, c *k8s.Clients, refs []k8s.ObjectRef, opts Options) ([]k8s.ObjectRef, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	a := apply.New(c, apply.Options{DryRun: opts.DryRun})
	byRank := map[int][]k8s.ObjectRef{}
	for _, r := range refs {
		rk := apply.Rank(r.GroupKind())
		byRank[rk] = append(byRank[rk], r)
	}
	ranks := make([]int, 0, len(byRank))
	for r := range byRank {
		ranks = append(ranks, r)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ranks)))

	var mu sync.Mutex
	var deleted []k8s.ObjectRef
	var errs []error
	sem := make(chan struct{}, opts.Concurrency)
	for _, rk := range ranks {
		var wg sync.WaitGroup
		for _, ref := range byRank[rk] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-sem }()
				ok, err := a.Delete(ctx, ref, apply.DeleteOptions{Wait: opts.Wait, Timeout: opts.Timeout})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, &objectError{ref: ref, err: err})
				} else if ok {
					deleted = append(deleted, ref)
				}
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("delete: %w", ctx.Err()))
			break
		}
	}
	return deleted, errors.Join(errs...)
}
