package kustomize

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsyaml "sigs.k8s.io/yaml"
)

// namespaceReferencing are kinds whose fields besides metadata.namespace
// Kustomize's namespace transformer rewrites (subjects, webhook and
// conversion service references). Folders holding them take the full
// Kustomize path.
var namespaceReferencing = map[schema.GroupKind]bool{
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:                       true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:   true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                           true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:               true,
}

// IsClusterScoped tells whether a built-in kind has no namespace; used to
// decide where the namespace transformer applies.
type IsClusterScoped func(gk schema.GroupKind) bool

// BuildSimple builds a folder the way Kustomize would when its
// kustomization is trivial: none at all (the generated one lists the YAML
// files), or one with only plain file resources and an optional namespace.
// namespace is Kluctl's overrideNamespace, used when the kustomization sets
// none. It handles the common case without running Kustomize and reports
// ok=false when the folder needs the real thing (bases, patches, lists,
// references to namespaces, duplicates, invalid objects); the caller then
// runs Build. Tests compare both paths.
func BuildSimple(dir string, namespace *string, clusterScoped IsClusterScoped) (objs []*unstructured.Unstructured, ok bool, err error) {
	resources, ns, ok, err := simpleKustomization(dir)
	if err != nil || !ok || len(resources) == 0 {
		return nil, false, err
	}
	if ns != nil {
		namespace = ns
	}
	seen := map[string]bool{}
	for _, r := range resources {
		if r != filepath.Base(r) || r == "." || r == ".." {
			return nil, false, nil
		}
		st, err := os.Stat(filepath.Join(dir, r))
		if err != nil || !st.Mode().IsRegular() {
			return nil, false, nil
		}
		data, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			return nil, false, nil
		}
		docs, ok := decodeDocs(data)
		if !ok {
			return nil, false, nil
		}
		for _, m := range docs {
			o := &unstructured.Unstructured{Object: m}
			gvk := o.GroupVersionKind()
			if gvk.Kind == "" || gvk.Version == "" || o.GetName() == "" || namespaceReferencing[gvk.GroupKind()] {
				return nil, false, nil
			}
			if bytes.HasSuffix([]byte(gvk.Kind), []byte("List")) {
				return nil, false, nil
			}
			if namespace != nil && *namespace != "" && !clusterScoped(gvk.GroupKind()) {
				o.SetNamespace(*namespace)
			}
			id := fmt.Sprintf("%s|%s|%s|%s", gvk.Group, gvk.Kind, o.GetNamespace(), o.GetName())
			if seen[id] {
				return nil, false, nil
			}
			seen[id] = true
			objs = append(objs, o)
		}
	}
	return objs, true, nil
}

// decodeDocs decodes a YAML stream with the YAML library Kustomize uses,
// so that scalars keep the same types; integers become int64.
func decodeDocs(data []byte) ([]map[string]any, bool) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, true
		}
		if err != nil {
			return nil, false
		}
		if v == nil {
			continue
		}
		// Kustomize treats timestamps in some fields specially; leave
		// those documents to it.
		n, ok := normalize(v, false)
		if !ok {
			return nil, false
		}
		m, ok := n.(map[string]any)
		if !ok {
			return nil, false
		}
		out = append(out, m)
	}
}

// normalize converts decoded YAML into the value types unstructured objects
// use: map[string]any, []any, int64, float64, string, bool and nil;
// timestamps become RFC 3339 strings. Other types (binary, non-finite
// floats) report false.
func normalize(v any, allowTime bool) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			n, ok := normalize(e, allowTime)
			if !ok {
				return nil, false
			}
			x[k] = n
		}
		return x, true
	case []any:
		for i, e := range x {
			n, ok := normalize(e, allowTime)
			if !ok {
				return nil, false
			}
			x[i] = n
		}
		return x, true
	case int:
		return int64(x), true
	case int64, string, bool, nil:
		return x, true
	case time.Time:
		// As encoding/json (and so the original) writes it.
		return x.Format(time.RFC3339Nano), allowTime
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, false
		}
		return x, true
	default:
		return nil, false
	}
}

// simpleKustomization returns the resources and namespace of dir's
// kustomization when it is trivial (ok=false otherwise), or those of the
// generated one when there is none.
func simpleKustomization(dir string) (resources []string, namespace *string, ok bool, err error) {
	kfile, err := FindKustomization(dir)
	if err != nil {
		return nil, nil, false, err
	}
	if kfile == "" {
		resources, err := generatedResources(dir)
		return resources, nil, err == nil, err
	}
	data, err := os.ReadFile(kfile)
	if err != nil {
		return nil, nil, false, err
	}
	var k map[string]any
	if err := sigsyaml.Unmarshal(data, &k); err != nil {
		return nil, nil, false, nil
	}
	for key, v := range k {
		switch key {
		case "apiVersion":
		case "kind":
			if v != "Kustomization" {
				return nil, nil, false, nil
			}
		case "namespace":
			s, isStr := v.(string)
			if !isStr {
				return nil, nil, false, nil
			}
			namespace = &s
		case "resources":
			list, isList := v.([]any)
			if !isList {
				return nil, nil, false, nil
			}
			seen := map[string]bool{}
			for _, e := range list {
				r, isStr := e.(string)
				if !isStr || seen[r] {
					return nil, nil, false, nil
				}
				seen[r] = true
				resources = append(resources, r)
			}
		default:
			return nil, nil, false, nil
		}
	}
	return resources, namespace, true, nil
}
