package kustomize

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/konfig"
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
// Helm charts, references to namespaces, duplicates, invalid objects); the
// caller then runs Build. Tests compare both paths.
func BuildSimple(dir string, namespace *string, clusterScoped IsClusterScoped) ([]*unstructured.Unstructured, bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, false, err
		}
		files[e.Name()] = data
	}
	return BuildSimpleFiles(files, namespace, clusterScoped)
}

// BuildSimpleFiles is BuildSimple for a folder held in memory: files maps
// the names of the folder's files (not sub-folders) to their content.
func BuildSimpleFiles(files map[string][]byte, namespace *string, clusterScoped IsClusterScoped) (objs []*unstructured.Unstructured, ok bool, err error) {
	resources, ns, ok := simpleKustomization(files)
	if !ok || len(resources) == 0 {
		return nil, false, nil
	}
	if ns != nil {
		namespace = ns
	}
	seen := map[string]bool{}
	for _, r := range resources {
		data, exists := files[r]
		if !exists {
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
			if strings.HasSuffix(gvk.Kind, "List") {
				return nil, false, nil
			}
			if namespace != nil && *namespace != "" && !clusterScoped(gvk.GroupKind()) {
				o.SetNamespace(*namespace)
			}
			id := gvk.Group + "|" + gvk.Kind + "|" + o.GetNamespace() + "|" + o.GetName()
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

// simpleKustomization returns the resources and namespace of the folder's
// kustomization when it is trivial (ok=false otherwise), or those of the
// generated one when there is none.
func simpleKustomization(files map[string][]byte) (resources []string, namespace *string, ok bool) {
	var kdata []byte
	found := 0
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if d, exists := files[n]; exists {
			kdata = d
			found++
		}
	}
	switch {
	case found > 1:
		return nil, nil, false
	case found == 0:
		return simpleGeneratedResources(files)
	}
	var k map[string]any
	if err := sigsyaml.Unmarshal(kdata, &k); err != nil {
		return nil, nil, false
	}
	for key, v := range k {
		switch key {
		case "apiVersion":
		case "kind":
			if v != "Kustomization" {
				return nil, nil, false
			}
		case "namespace":
			s, isStr := v.(string)
			if !isStr {
				return nil, nil, false
			}
			namespace = &s
		case "resources":
			list, isList := v.([]any)
			if !isList {
				return nil, nil, false
			}
			seen := map[string]bool{}
			for _, e := range list {
				r, isStr := e.(string)
				if !isStr || seen[r] || r != path.Base(r) || r == "." || r == ".." {
					return nil, nil, false
				}
				seen[r] = true
				resources = append(resources, r)
			}
		default:
			return nil, nil, false
		}
	}
	return resources, namespace, true
}

// simpleGeneratedResources applies GenerateKustomization's rule to file
// names; Helm charts and sealed secrets decline.
func simpleGeneratedResources(files map[string][]byte) ([]string, *string, bool) {
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var resources []string
	for _, name := range names {
		lower := strings.ToLower(name)
		switch {
		case strings.HasPrefix(name, "."):
		case lower == "helm-values.yaml" || lower == "helm-values.yml":
		case lower == "helm-chart.yaml" || lower == "helm-chart.yml" || strings.HasSuffix(lower, sealmeExt):
			return nil, nil, false
		case strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml"):
			resources = append(resources, name)
		}
	}
	return resources, nil, true
}
