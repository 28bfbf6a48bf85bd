package engine

import (
	"context"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/live"
	"github.com/kluctl-go/kluctl/internal/project"
)

// SeenImages returns the images that images.get_image() resolved while the
// target was rendered, one entry per use, sorted by image as the original
// lists them. Online, an entry whose object is deployed carries the image
// found at the same place in the cluster (DeployedImage). With simple, the
// entries keep only the image and its result.
func (t *Target) SeenImages(ctx context.Context, simple bool) ([]project.FixedImage, error) {
	seen := sortedSeen(t.Project.Images.Seen())
	if simple {
		return simplified(seen), nil
	}
	if t.Cluster == nil || len(seen) == 0 {
		return seen, nil
	}
	rendered := t.renderedObjects()
	var objs []*unstructured.Unstructured
	added := map[k8s.ObjectRef]bool{}
	for _, fi := range seen {
		ref, ok := imageRef(fi)
		if !ok || added[ref] || rendered[ref] == nil {
			continue
		}
		added[ref] = true
		objs = append(objs, rendered[ref])
	}
	t.em.info("Reading the deployed images of %d objects...", len(objs))
	remote, err := live.Load(ctx, t.Cluster.Clients, objs, live.Options{Selector: k8s.DiscriminatorSelector(t.Discriminator())})
	if err != nil {
		return nil, err
	}
	return withDeployed(seen, rendered, remote.Get), nil
}

// sortedSeen orders seen images by image (the original's order); the
// resolver's order (namespace, object, container) breaks ties.
func sortedSeen(seen []project.FixedImage) []project.FixedImage {
	key := func(fi project.FixedImage) string {
		if fi.Image != nil {
			return *fi.Image
		}
		if fi.ImageRegex != nil {
			return *fi.ImageRegex
		}
		return ""
	}
	sort.SliceStable(seen, func(i, j int) bool { return key(seen[i]) < key(seen[j]) })
	return seen
}

// simplified keeps only image and result image, as list-images --simple.
func simplified(seen []project.FixedImage) []project.FixedImage {
	out := make([]project.FixedImage, len(seen))
	for i, fi := range seen {
		out[i] = project.FixedImage{Image: fi.Image, ImageRegex: fi.ImageRegex, ResultImage: fi.ResultImage}
	}
	return out
}

// imageRef is the version-less reference of the object a seen image was
// rendered into.
func imageRef(fi project.FixedImage) (k8s.ObjectRef, bool) {
	if fi.Object == nil {
		return k8s.ObjectRef{}, false
	}
	o := fi.Object
	return k8s.ObjectRef{Group: o.Group, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace}, true
}

// renderedObjects indexes the rendered objects of the target by
// version-less reference.
func (t *Target) renderedObjects() map[k8s.ObjectRef]*unstructured.Unstructured {
	out := map[k8s.ObjectRef]*unstructured.Unstructured{}
	for _, it := range t.Rendered.Items {
		for _, o := range it.Objects {
			out[k8s.RefOf(o).Key()] = o
		}
	}
	return out
}

// withDeployed returns seen with DeployedImage set from the live objects
// (remote returns nil for objects that are not deployed).
func withDeployed(seen []project.FixedImage, rendered map[k8s.ObjectRef]*unstructured.Unstructured, remote func(k8s.ObjectRef) *unstructured.Unstructured) []project.FixedImage {
	out := make([]project.FixedImage, len(seen))
	for i, fi := range seen {
		out[i] = fi
		ref, ok := imageRef(fi)
		if !ok || fi.Container == nil {
			continue
		}
		local, live := rendered[ref], remote(ref)
		if local == nil || live == nil {
			continue
		}
		if d := deployedImage(local.Object, live.Object, *fi.Container, fi.ResultImage); d != nil {
			out[i].DeployedImage = d
		}
	}
	return out
}

// deployedImage finds where the rendered object holds result as a whole
// field value inside a map named container (the place images.get_image()
// was resolved) and returns the live object's string at the same path, as
// the original reads the deployed image at the placeholder's field path.
func deployedImage(rendered, remote map[string]any, container, result string) *string {
	for _, path := range stringPaths(rendered, "", nil, container, result) {
		if s, ok := valueAt(remote, path).(string); ok {
			return &s
		}
	}
	return nil
}

// stringPaths returns the paths of the string leaves of v equal to want
// whose enclosing named map (the container) is container; parentName is
// the name of the map enclosing v.
func stringPaths(v any, parentName string, path []any, container, want string) [][]any {
	var out [][]any
	at := func(k any) []any { return append(append([]any(nil), path...), k) }
	switch x := v.(type) {
	case map[string]any:
		name, _ := x["name"].(string)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s, ok := x[k].(string); ok {
				if s == want && name == container {
					out = append(out, at(k))
				}
				continue
			}
			out = append(out, stringPaths(x[k], name, at(k), container, want)...)
		}
	case []any:
		for i, e := range x {
			if s, ok := e.(string); ok {
				if s == want && parentName == container {
					out = append(out, at(i))
				}
				continue
			}
			out = append(out, stringPaths(e, parentName, at(i), container, want)...)
		}
	}
	return out
}

// valueAt returns the value at path in v, nil when there is none.
func valueAt(v any, path []any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
