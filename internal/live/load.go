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

// Options configures Load and Start.
type Options struct {
	// Concurrency bounds parallel requests; default 16.
	Concurrency int
	// ListThreshold: groups (kind+namespace) with more objects than this are
	// listed, smaller ones fetched one by one; default 3.
	ListThreshold int
	// Selector, when set, is a label selector that the objects already
	// deployed carry (the target's discriminator). Groups are then listed
	// with it, so that a namespace shared with many foreign objects is not
	// read whole; members it does not find are fetched one by one, or, when
	// more than FullListThreshold are missing (a first deploy of a large
	// group), by listing the whole group.
	Selector string
	// FullListThreshold: see Selector; default 32.
	FullListThreshold int
}

// DefaultOptions returns the defaults of Load.
func DefaultOptions() Options {
	return Options{Concurrency: 16, ListThreshold: 3, FullListThreshold: 32}
}

// Objects is a snapshot of live objects keyed by version-less reference,
// without their managedFields. It is read-only after Load returns.
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

func keyOf(ref k8s.ObjectRef) groupKey {
	return groupKey{schema.GroupVersionKind{Group: ref.Group, Version: ref.Version, Kind: ref.Kind}, ref.Namespace}
}

// group is the live state of one kind in one namespace, loaded once.
type group struct {
	members []*unstructured.Unstructured
	done    chan struct{}
	objs    Objects
	err     error
}

// Snapshot is the live state of a set of objects, read in the background
// group by group (kind and namespace), so that callers can start working on
// one group while others are still being read.
type Snapshot struct {
	groups map[groupKey]*group
}

// Start begins reading the live versions of objs and returns at once.
func Start(ctx context.Context, c *k8s.Clients, objs []*unstructured.Unstructured, opts Options) *Snapshot {
	def := DefaultOptions()
	if opts.Concurrency <= 0 {
		opts.Concurrency = def.Concurrency
	}
	if opts.ListThreshold <= 0 {
		opts.ListThreshold = def.ListThreshold
	}
	if opts.FullListThreshold <= 0 {
		opts.FullListThreshold = def.FullListThreshold
	}
	s := &Snapshot{groups: map[groupKey]*group{}}
	var order []groupKey
	for _, o := range objs {
		k := keyOf(k8s.RefOf(o))
		g := s.groups[k]
		if g == nil {
			g = &group{done: make(chan struct{}), objs: Objects{}}
			s.groups[k] = g
			order = append(order, k)
		}
		g.members = append(g.members, o)
	}
	sem := make(chan struct{}, opts.Concurrency)
	for _, k := range order {
		go s.load(ctx, c, k, s.groups[k], sem, opts)
	}
	return s
}

// Get returns the live version of ref (nil when it does not exist), waiting
// until ref's group is read. Refs outside the snapshot return nil.
func (s *Snapshot) Get(ref k8s.ObjectRef) (*unstructured.Unstructured, error) {
	g := s.groups[keyOf(ref)]
	if g == nil {
		return nil, nil
	}
	<-g.done
	if g.err != nil {
		return nil, g.err
	}
	return g.objs.Get(ref), nil
}

// Wait waits for every group and returns the whole snapshot, or the read
// errors joined.
func (s *Snapshot) Wait() (Objects, error) {
	out := Objects{}
	var errs []error
	for _, g := range s.groups {
		<-g.done
		if g.err != nil {
			errs = append(errs, g.err)
		}
		for k, v := range g.objs {
			out[k] = v
		}
	}
	if len(errs) != 0 {
		return nil, fmt.Errorf("read live objects: %w", errors.Join(errs...))
	}
	return out, nil
}

// Load reads the live versions of objs and waits for all of them. Objects
// that do not exist, also because their kind is not (yet) known to the API
// server, are absent from the result. Any other failure fails the load:
// without the live state no correct diff is possible.
func Load(ctx context.Context, c *k8s.Clients, objs []*unstructured.Unstructured, opts Options) (Objects, error) {
	return Start(ctx, c, objs, opts).Wait()
}

func (s *Snapshot) load(ctx context.Context, c *k8s.Clients, k groupKey, g *group, sem chan struct{}, opts Options) {
	defer close(g.done)
	ri, _, err := c.Resource(k.gvk, k.ns)
	if meta.IsNoMatchError(err) {
		return // kind unknown: nothing can exist yet
	} else if err != nil {
		g.err = err
		return
	}
	var mu sync.Mutex
	add := func(o *unstructured.Unstructured, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			g.err = errors.Join(g.err, err)
		} else if o != nil {
			// managedFields are large and never needed from the
			// snapshot (conflict handling reads them fresh).
			unstructured.RemoveNestedField(o.Object, "metadata", "managedFields")
			g.objs[k8s.RefOf(o).Key()] = o
		}
	}
	acquire := func() bool {
		select {
		case sem <- struct{}{}:
			return true
		case <-ctx.Done():
			add(nil, ctx.Err())
			return false
		}
	}
	members := g.members
	if len(members) > opts.ListThreshold && opts.Selector != "" {
		if !acquire() {
			return
		}
		listInto(ctx, ri, k, members, opts.Selector, add)
		<-sem
		members = g.missing(&mu)
	}
	if len(members) > opts.ListThreshold && (opts.Selector == "" || len(members) > opts.FullListThreshold) {
		if acquire() {
			listInto(ctx, ri, k, members, "", add)
			<-sem
		}
		return
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !acquire() {
				return
			}
			defer func() { <-sem }()
			o, err := ri.Get(ctx, m.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return
			}
			if err != nil {
				err = fmt.Errorf("get %s: %w", k8s.RefOf(m), err)
			}
			add(o, err)
		}()
	}
	wg.Wait()
}

// missing returns the members not read yet; nil after a failed read (the
// group has failed anyway).
func (g *group) missing(mu *sync.Mutex) []*unstructured.Unstructured {
	mu.Lock()
	defer mu.Unlock()
	if g.err != nil {
		return nil
	}
	var out []*unstructured.Unstructured
	for _, m := range g.members {
		if g.objs.Get(k8s.RefOf(m)) == nil {
			out = append(out, m)
		}
	}
	return out
}

// listInto lists one kind in one namespace (matching selector, when set)
// page by page and keeps the objects whose names are wanted.
func listInto(ctx context.Context, ri dynamic.ResourceInterface, k groupKey, members []*unstructured.Unstructured, selector string, add func(*unstructured.Unstructured, error)) {
	want := make(map[string]bool, len(members))
	for _, m := range members {
		want[m.GetName()] = true
	}
	opts := metav1.ListOptions{Limit: 5000, LabelSelector: selector}
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
				o := l.Items[i] // a copy: the page itself is not kept
				add(&o, nil)
			}
		}
		if l.GetContinue() == "" {
			return
		}
		opts.Continue = l.GetContinue()
	}
}
