package prune

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// IndexOptions configure an Index.
type IndexOptions struct {
	// Rediscover is how often the resource types are discovered again, so
	// that new CRDs are watched; 30s when 0.
	Rediscover time.Duration
	// SyncTimeout is how long a new watch may take to list its resource
	// type; after that, searches list that type directly. 30s when 0.
	SyncTimeout time.Duration
}

// Index keeps the metadata of every object of a cluster that carries a
// discriminator label, through one metadata-only watch per resource type,
// so that the orphan searches of many targets on one cluster do not each
// list every resource type. A controller runs one per cluster identity; the
// CLI lists directly (see ListOwned). The index holds no managedFields but
// the managers' names, and no objects without a discriminator.
type Index struct {
	c    *k8s.Clients
	opts IndexOptions

	mu         sync.Mutex
	ctx        context.Context // nil until Run
	watches    map[schema.GroupVersionResource]*watch
	discovered time.Time
	warnings   []string
}

type watch struct {
	gv      schema.GroupVersion
	kind    string
	inf     cache.SharedIndexInformer
	started time.Time
	cancel  context.CancelFunc
}

const byDiscriminator = "discriminator"

// NewIndex returns an index of the cluster c talks to; it serves searches
// once Run is running.
func NewIndex(c *k8s.Clients, opts IndexOptions) *Index {
	if opts.Rediscover <= 0 {
		opts.Rediscover = 30 * time.Second
	}
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = 30 * time.Second
	}
	return &Index{c: c, opts: opts, watches: map[schema.GroupVersionResource]*watch{}}
}

// Run keeps the index until ctx ends; the watches start with the first
// search and all stop when Run returns.
func (x *Index) Run(ctx context.Context) error {
	x.mu.Lock()
	x.ctx = ctx
	x.mu.Unlock()
	<-ctx.Done()
	x.mu.Lock()
	defer x.mu.Unlock()
	for gvr, w := range x.watches {
		w.cancel()
		delete(x.watches, gvr)
	}
	x.ctx = nil
	return nil
}

// ListOwned is ListOwned (the package function) answered from the index;
// without a running index, or for a resource type whose watch has not
// synced in time, it lists directly.
func (x *Index) ListOwned(ctx context.Context, d string, opts ListOptions) ([]Owned, []string, error) {
	if x == nil {
		return nil, nil, errors.New("no index")
	}
	if d == "" {
		return nil, nil, errors.New("the target has no discriminator; refusing to look for owned objects")
	}
	watches, warnings, err := x.refresh()
	if err != nil {
		return nil, warnings, err
	}
	if watches == nil {
		return listOwnedDirect(ctx, x.c, d, opts)
	}
	var out []Owned
	seen := map[types.UID]bool{}
	var direct []schema.GroupVersionResource
	for gvr, w := range watches {
		if !x.waitSynced(ctx, w) {
			if ctx.Err() != nil {
				return nil, warnings, fmt.Errorf("list owned objects: %w", ctx.Err())
			}
			direct = append(direct, gvr)
			continue
		}
		objs, err := w.inf.GetIndexer().ByIndex(byDiscriminator, d)
		if err != nil {
			return nil, warnings, err
		}
		for _, o := range objs {
			m, ok := o.(*metav1.PartialObjectMetadata)
			if !ok || seen[m.UID] {
				continue
			}
			seen[m.UID] = true
			out = append(out, Owned{
				Ref:  k8s.ObjectRef{Group: w.gv.Group, Version: w.gv.Version, Kind: w.kind, Namespace: m.Namespace, Name: m.Name},
				Meta: *m.ObjectMeta.DeepCopy(),
			})
		}
	}
	sel := k8s.DiscriminatorSelector(d)
	for _, gvr := range direct {
		items, err := listMeta(ctx, x.c, gvr, sel)
		if err != nil {
			return nil, warnings, fmt.Errorf("list owned objects: %w", err)
		}
		w := watches[gvr]
		for _, m := range items {
			if !seen[m.UID] {
				seen[m.UID] = true
				out = append(out, Owned{Ref: k8s.ObjectRef{Group: w.gv.Group, Version: w.gv.Version, Kind: w.kind, Namespace: m.Namespace, Name: m.Name}, Meta: m})
			}
		}
	}
	return out, warnings, nil
}

// waitSynced waits until w has listed its type, for at most SyncTimeout
// after w started; false when it has not.
func (x *Index) waitSynced(ctx context.Context, w *watch) bool {
	for !w.inf.HasSynced() {
		if time.Since(w.started) > x.opts.SyncTimeout {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// refresh discovers the resource types when due, starts watches for new
// ones and stops those of vanished ones. It returns a copy of the watches,
// or nil when the index is not running.
func (x *Index) refresh() (map[schema.GroupVersionResource]*watch, []string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ctx == nil || x.ctx.Err() != nil {
		return nil, nil, nil
	}
	if time.Since(x.discovered) >= x.opts.Rediscover {
		if err := x.discoverLocked(); err != nil {
			return nil, x.warnings, err
		}
	}
	out := make(map[schema.GroupVersionResource]*watch, len(x.watches))
	for k, v := range x.watches {
		out[k] = v
	}
	return out, x.warnings, nil
}

func (x *Index) discoverLocked() error {
	x.c.Discovery.Invalidate()
	lists, err := x.c.Discovery.ServerPreferredResources()
	var warnings []string
	if err != nil {
		var gdf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gdf) {
			return fmt.Errorf("discover resource types: %w", err)
		}
		for gv, e := range gdf.Groups {
			warnings = append(warnings, fmt.Sprintf("skipping API group %s: %v", gv, e))
		}
	}
	x.warnings = warnings
	x.discovered = time.Now()
	current := map[schema.GroupVersionResource]bool{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerbs(r.Verbs, "list", "watch", "delete") || r.Name == "events" {
				continue
			}
			gvr := gv.WithResource(r.Name)
			current[gvr] = true
			if _, ok := x.watches[gvr]; !ok {
				x.watches[gvr] = x.startLocked(gvr, r.Kind)
			}
		}
	}
	for gvr, w := range x.watches {
		if !current[gvr] {
			w.cancel()
			delete(x.watches, gvr)
		}
	}
	return nil
}

// startLocked starts the watch of one resource type, limited to objects
// with a discriminator.
func (x *Index) startLocked(gvr schema.GroupVersionResource, kind string) *watch {
	inf := metadatainformer.NewFilteredMetadataInformer(x.c.Metadata, gvr, metav1.NamespaceAll, 0,
		cache.Indexers{byDiscriminator: func(obj any) ([]string, error) {
			m, ok := obj.(*metav1.PartialObjectMetadata)
			if !ok {
				return nil, nil
			}
			return []string{m.Labels[k8s.LabelDiscriminator]}, nil
		}},
		func(o *metav1.ListOptions) { o.LabelSelector = k8s.LabelDiscriminator }).Informer()
	_ = inf.SetTransform(stripManagedFields)
	ctx, cancel := context.WithCancel(x.ctx)
	go inf.RunWithContext(ctx)
	return &watch{gv: gvr.GroupVersion(), kind: kind, inf: inf, started: time.Now(), cancel: cancel}
}

// stripManagedFields keeps only the managers' names (ManagedByKluctl needs
// them), which are a small part of an object's metadata.
func stripManagedFields(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	mf := make([]metav1.ManagedFieldsEntry, 0, len(m.ManagedFields))
	for _, e := range m.ManagedFields {
		mf = append(mf, metav1.ManagedFieldsEntry{Manager: e.Manager})
	}
	m.ManagedFields = mf
	return m, nil
}
