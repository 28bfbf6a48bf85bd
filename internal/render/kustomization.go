package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

var kustomizationNames = []string{"kustomization.yml", "kustomization.yaml", "Kustomization"}

// prepareKustomization makes sure dir has a kustomization: it generates one
// listing the folder's YAML files when there is none, and sets the
// namespace to overrideNamespace when the kustomization has no namespace.
func prepareKustomization(dir string, overrideNamespace *string) error {
	var path string
	for _, n := range kustomizationNames {
		if fileExists(filepath.Join(dir, n)) {
			path = filepath.Join(dir, n)
			break
		}
	}
	var k map[string]any
	if path == "" {
		res, err := listResources(dir)
		if err != nil {
			return err
		}
		k = map[string]any{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": res}
		path = filepath.Join(dir, "kustomization.yml")
	} else {
		if overrideNamespace == nil {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(data, &k); err != nil {
			return fmt.Errorf("%s: invalid YAML: %w", path, err)
		}
		if k == nil {
			k = map[string]any{}
		}
		if _, ok := k["namespace"]; ok {
			return nil
		}
	}
	if overrideNamespace != nil {
		if _, ok := k["namespace"]; !ok {
			k["namespace"] = *overrideNamespace
		}
	}
	out, err := yaml.Marshal(k)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// listResources lists the YAML files of dir that are resources, sorted.
func listResources(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")) {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(n, ".yml"), ".yaml")
		if base == "helm-chart" || base == "helm-values" || base == "kustomization" || strings.HasPrefix(n, ".") {
			continue
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
