package project

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// DynamicClusterReader reads clusterConfigMap/clusterSecret sources with a
// dynamic client, and clusterObject sources with Discovery finding the
// resource of a kind.
type DynamicClusterReader struct {
	Client dynamic.Interface
	// Discovery is needed by clusterObject sources only.
	Discovery discovery.DiscoveryInterface
}

var (
	configMapsGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	secretsGVR    = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
)

// ReadKey implements ClusterReader.
func (r DynamicClusterReader) ReadKey(ctx context.Context, kind string, src ClusterObjectVarsSource) (string, bool, error) {
	gvr := configMapsGVR
	if kind == "Secret" {
		gvr = secretsGVR
	}
	ri := r.Client.Resource(gvr).Namespace(src.Namespace)
	var obj *unstructured.Unstructured
	if src.Name != "" {
		o, err := ri.Get(ctx, src.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", false, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("get %s %s/%s: %w", kind, src.Namespace, src.Name, err)
		}
		obj = o
	} else {
		l, err := ri.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(src.Labels).String()})
		if err != nil {
			return "", false, fmt.Errorf("list %s in %s: %w", kind, src.Namespace, err)
		}
		switch len(l.Items) {
		case 0:
			return "", false, nil
		case 1:
			obj = &l.Items[0]
		default:
			return "", false, fmt.Errorf("%d %ss in %s match labels %v, expected one", len(l.Items), kind, src.Namespace, src.Labels)
		}
	}
	val, found, _ := unstructured.NestedString(obj.Object, "data", src.Key)
	if !found {
		return "", false, nil
	}
	if kind == "Secret" {
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return "", false, fmt.Errorf("decode Secret %s/%s key %s: %w", src.Namespace, obj.GetName(), src.Key, err)
		}
		return string(b), true, nil
	}
	return val, true, nil
}

// GetObjects implements ClusterObjectReader: the object named q.Name, or
// the objects matching q.Labels, sorted by namespace and name. A missing
// object is no error: the result is empty.
func (r DynamicClusterReader) GetObjects(ctx context.Context, q ObjectQuery) ([]map[string]any, error) {
	res, namespaced, err := r.resourceFor(q.APIVersion, q.Kind)
	if err != nil {
		return nil, err
	}
	var ri dynamic.ResourceInterface = r.Client.Resource(res)
	ns := ""
	if namespaced {
		ns = q.Namespace
		ri = r.Client.Resource(res).Namespace(ns)
	}
	var items []unstructured.Unstructured
	if q.Name != "" {
		o, err := ri.Get(ctx, q.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("get %s %s: %w", q.Kind, objectName(ns, q.Name), err)
		}
		items = append(items, *o)
	} else {
		l, err := ri.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(q.Labels).String()})
		if err != nil {
			return nil, fmt.Errorf("list %s in %q: %w", q.Kind, ns, err)
		}
		items = l.Items
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
	out := make([]map[string]any, len(items))
	for i := range items {
		out[i] = items[i].Object
	}
	return out, nil
}

// resourceFor finds the resource of kind: in apiVersion, or, when that is
// empty, among the preferred versions of all groups, where it must be
// unique (as the original).
func (r DynamicClusterReader) resourceFor(apiVersion, kind string) (schema.GroupVersionResource, bool, error) {
	if r.Discovery == nil {
		return schema.GroupVersionResource{}, false, errors.New("no API discovery for this cluster connection")
	}
	var lists []*metav1.APIResourceList
	if apiVersion != "" {
		l, err := r.Discovery.ServerResourcesForGroupVersion(apiVersion)
		if apierrors.IsNotFound(err) || (err != nil && strings.HasSuffix(err.Error(), "not found")) {
			return schema.GroupVersionResource{}, false, fmt.Errorf("apiVersion %s is not served by the cluster", apiVersion)
		}
		if err != nil {
			return schema.GroupVersionResource{}, false, fmt.Errorf("discover apiVersion %s: %w", apiVersion, err)
		}
		lists = []*metav1.APIResourceList{l}
	} else {
		l, err := r.Discovery.ServerPreferredResources()
		if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
			return schema.GroupVersionResource{}, false, fmt.Errorf("discover API resources: %w", err)
		}
		lists = l
	}
	type match struct {
		gvr        schema.GroupVersionResource
		namespaced bool
	}
	var found []match
	for _, l := range lists {
		if l == nil {
			continue
		}
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, ar := range l.APIResources {
			if ar.Kind == kind && !strings.Contains(ar.Name, "/") {
				found = append(found, match{gv.WithResource(ar.Name), ar.Namespaced})
			}
		}
	}
	switch {
	case len(found) == 0 && apiVersion != "":
		return schema.GroupVersionResource{}, false, fmt.Errorf("no resource of kind %s in apiVersion %s", kind, apiVersion)
	case len(found) == 0:
		return schema.GroupVersionResource{}, false, fmt.Errorf("no matching resource found for kind %s", kind)
	case len(found) > 1:
		var names []string
		for _, f := range found {
			names = append(names, f.gvr.GroupVersion().String())
		}
		return schema.GroupVersionResource{}, false, fmt.Errorf("more than one resource found for kind %s (%s), consider also specifying apiVersion", kind, strings.Join(names, ", "))
	}
	return found[0].gvr, found[0].namespaced, nil
}

func objectName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
