package live

import (
	"context"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// Options configures Load.
type Options struct {
	// Concurrency bounds parallel requests; default 16.
	Concurrency int
	// ListThreshold: groups (kind+namespace) with more objects than this are
	// listed, smaller ones fetched one by one; default 3.
	ListThreshold int
}

// DefaultOptions returns the defaults of Load.
func DefaultOptions() Options {
	return Options{Concurrency: 16, ListThreshold: 3}
}

// Objects is a snapshot of live objects keyed by version-less reference.
// It is read-only after Load returns.
type Objects map[k8s.ObjectRef]*unstructured.Unstructured

// Get returns the live version of the object ref, or nil. A namespace set
// on a cluster-scoped object is ignored.
func (o Objects) Get(ref k8s.ObjectRef) *unstructured.Unstructured {
	if x, ok := o[ref.Key()]; ok {
		return x
	}
	ref.Namespace = ""
	return o[ref.Key()]
}

type groupKey struct {
	gvk schema.GroupVersionKind
	ns  string
}

// Load fetches the live versions of objs. Objects that do not exist, also
// because their kind is not (yet) known to the API server, are absent from
// the result. Any other failure fails the whole load: without the live
// state no correct diff is possible.
func Load(ctx context.Context, c *k8s.Clients, objs []*unstructured.Unstructured, opts Options) (Objects, error) {
	def := DefaultOptions()
	if opts.Concurrency <= 0 {
		opts.Concurrency = def.Concurrency
	}
	if opts.ListThreshold <= 0 {
		opts.ListThreshold = def.ListThreshold
	}
	groups := map[groupKey][]*unstructured.Unstructured{}
	var order []groupKey
	for _, o := range objs {
		k := groupKey{o.GroupVersionKind(), o.GetNamespace()}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], o)
	}

	out := Objects{}
	var mu sync.Mutex
	var errs []error
	add := func(o *unstructured.Unstructured, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		if o != nil {
			out[k8s.RefOf(o).Key()] = o
		}
	}
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				add(nil, ctx.Err())
				return
			}
			defer func() { <-sem }()
			f()
		}()
	}
	for _, k := range order {
		members := groups[k]
		ri, _, err := c.Resource(k.gvk, k.ns)
		if meta.IsNoMatchError(err) {
			continue // kind unknown: nothing can exist yet
		} else if err != nil {
			add(nil, err)
			continue
		}
		if len(members) > opts.ListThreshold {
			run(func() { listInto(ctx, ri, k, members, add) })
			continue
		}
		for _, m := range members {
			run(func() {
				o, err := ri.Get(ctx, m.GetName(), metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					return
				}
				if err != nil {
					err = fmt.Errorf("get %s: %w", k8s.RefOf(m), err)
				}
				add(o, err)
			})
		}
	}
	wg.Wait()
	if len(errs) != 0 {
		return nil, fmt.Errorf("read live objects: %w", errors.Join(errs...))
	}
	return out, nil
}

// listInto lists one kind in one namespace page by page and keeps the
// objects whose names are wanted.
func listInto(ctx context.Context, ri dynamic.ResourceInterface, k groupKey, members []*unstructured.Unstructured, add func(*unstructured.Unstructured, error)) {
	want := make(map[string]bool, len(members))
	for _, m := range members {
		want[m.GetName()] = true
	}
	opts := metav1.ListOptions{Limit: 5000}
	for {
		l, err := ri.List(ctx, opts)
		if apierrors.IsNotFound(err) {
			return
		}
		if err != nil {
			add(nil, fmt.Errorf("list %s in namespace %q: %w", k.gvk.Kind, k.ns, err))
			return
		}
		for i := range l.Items {
			if want[l.Items[i].GetName()] {
				add(&l.Items[i], nil)
			}
		}
		if l.GetContinue() == "" {
			return
		}
		opts.Continue = l.GetContinue()
	}
}
