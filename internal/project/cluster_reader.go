package project

import (
	"context"
	"encoding/base64"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// DynamicClusterReader reads clusterConfigMap/clusterSecret sources with a
// dynamic client.
type DynamicClusterReader struct {
	Client dynamic.Interface
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
