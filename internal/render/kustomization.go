package render

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/render/kustomize"
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
		gen, err := kustomize.GenerateKustomization(dir)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(gen, &k); err != nil {
			return fmt.Errorf("generated kustomization for %s: %w", dir, err)
		}
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
