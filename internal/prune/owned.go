package prune

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// Owned is an object in the cluster that carries a discriminator.
type Owned struct {
	Ref  k8s.ObjectRef
	Meta metav1.ObjectMeta
}

// Body returns the object as far as it is known: apiVersion, kind and the
// identifying metadata (no managedFields).
func (o Owned) Body() *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: o.Ref.Group, Version: o.Ref.Version, Kind: o.Ref.Kind})
	u.SetName(o.Meta.Name)
	u.SetNamespace(o.Meta.Namespace)
	u.SetLabels(o.Meta.Labels)
	u.SetAnnotations(o.Meta.Annotations)
	u.SetUID(o.Meta.UID)
	u.SetResourceVersion(o.Meta.ResourceVersion)
	u.SetCreationTimestamp(o.Meta.CreationTimestamp)
	return u
}

// ListOptions configures ListOwned.
type ListOptions struct {
	// Concurrency bounds parallel LIST requests; default 16.
	Concurrency int
	// Index, when set, answers from its watches instead of listing.
	Index *Index
}

// ListOwned lists, metadata-only and in parallel, every object of every
// listable resource type that carries kluctl.io/discriminator=d. Resource
// types whose API group fails discovery are skipped with a warning.
func ListOwned(ctx context.Context, c *k8s.Clients, d string, opts ListOptions) ([]Owned, []string, error) {
	if opts.Index != nil {
		return opts.Index.ListOwned(ctx, d, ListOptions{Concurrency: opts.Concurrency})
	}
	return listOwnedDirect(ctx, c, d, opts)
}

func listOwnedDirect(ctx context.Context, c *k8s.Clients, d string, opts ListOptions) ([]Owned, []string, error) {
	if d == "" {
		return nil, nil, errors.New("the target has no discriminator; refusing to look for owned objects")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	var warnings []string
	lists, err := c.Discovery.ServerPreferredResources()
	if err != nil {
		var gdf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gdf) {
			return nil, nil, fmt.Errorf("discover resource types: %w", err)
		}
		for gv, e := range gdf.Groups {
			warnings = append(warnings, fmt.Sprintf("skipping API group %s: %v", gv, e))
		}
	}
	sel := k8s.DiscriminatorSelector(d)

	var mu sync.Mutex
	var out []Owned
	var errs []error
	seen := map[types.UID]bool{}
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerbs(r.Verbs, "list", "delete") || r.Name == "events" {
				continue // subresources, read-only types, and events (never applied, numerous)
			}
			gvr := gv.WithResource(r.Name)
			kind := r.Kind
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-sem }()
				items, err := listMeta(ctx, c, gvr, sel)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				for _, m := range items {
					if seen[m.UID] {
						continue // the same object served by two groups
					}
					seen[m.UID] = true
					out = append(out, Owned{
						Ref:  k8s.ObjectRef{Group: gv.Group, Version: gv.Version, Kind: kind, Namespace: m.Namespace, Name: m.Name},
						Meta: m,
					})
				}
			}()
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, warnings, fmt.Errorf("list owned objects: %w", ctx.Err())
	}
	if len(errs) != 0 {
		return nil, warnings, fmt.Errorf("list owned objects: %w", errors.Join(errs...))
	}
	return out, warnings, nil
}

func listMeta(ctx context.Context, c *k8s.Clients, gvr schema.GroupVersionResource, sel string) ([]metav1.ObjectMeta, error) {
	var out []metav1.ObjectMeta
	opts := metav1.ListOptions{LabelSelector: sel, Limit: 500}
	for {
		l, err := c.Metadata.Resource(gvr).List(ctx, opts)
		if err != nil {
			if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
				return nil, nil // the type is gone (e.g. its CRD was just deleted)
			}
			return nil, fmt.Errorf("list %s: %w", gvr.String(), err)
		}
		for _, it := range l.Items {
			out = append(out, it.ObjectMeta)
		}
		if l.Continue == "" {
			return out, nil
		}
		opts.Continue = l.Continue
	}
}

func hasVerbs(have []string, want ...string) bool {
	set := map[string]bool{}
	for _, v := range have {
		set[v] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

// ManagedByKluctl reports whether kluctl may delete the object: it was
// applied by kluctl and is not owned by another object.
func ManagedByKluctl(m metav1.ObjectMeta) bool {
	if len(m.OwnerReferences) != 0 {
		return false
	}
	for _, mf := range m.ManagedFields {
		if mf.Manager == k8s.FieldManager {
			return true
		}
	}
	return false
}

// SkipDelete reports whether the object is protected from deletion by
// kluctl.io/skip-delete or helm.sh/resource-policy: keep.
func SkipDelete(ann map[string]string) bool {
	if b, err := strconv.ParseBool(ann[k8s.AnnotationSkipDelete]); err == nil && b {
		return true
	}
	return ann["helm.sh/resource-policy"] == "keep"
}
