package kustomize

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/yaml"
)

// sealmeExt marks a sealed-secret source; the resource is the file without
// the extension.
const sealmeExt = ".sealme"

// defaultHelmOutput is the file a helm chart renders into when its
// helm-chart.yaml sets no output.
const defaultHelmOutput = "helm-rendered.yaml"

// FindKustomization returns the kustomization file of dir
// (kustomization.yaml, kustomization.yml or Kustomization), or "" when
// there is none. More than one is an error, as in kustomize.
func FindKustomization(dir string) (string, error) {
	var found []string
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		switch {
		case err == nil && !st.IsDir():
			found = append(found, p)
		case err != nil && !errors.Is(err, os.ErrNotExist):
			return "", fmt.Errorf("find kustomization in %s: %w", dir, err)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("folder %s has more than one kustomization file: %s", dir, strings.Join(found, ", "))
}

// GenerateKustomization returns the kustomization Kluctl generates for a
// folder that has none: its resources are the folder's files, in name
// order, that end in .yaml or .yml (any case), except helm-values files;
// a helm-chart.yaml/.yml stands for its output file (if that is not in
// the folder already) and a <name>.yaml.sealme stands for <name>.yaml.
// Sub-folders are not included.
func GenerateKustomization(dir string) ([]byte, error) {
	resources, err := generatedResources(dir)
	if err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(map[string]any{"resources": resources})
	if err != nil {
		return nil, fmt.Errorf("generate kustomization for %s: %w", dir, err)
	}
	return out, nil
}

func generatedResources(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("generate kustomization: %w", err)
	}
	resources := []string{}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		lower := strings.ToLower(name)
		var res string
		switch {
		case strings.HasPrefix(name, "."):
			// Hidden files such as .kluctl.yaml are never resources.
			continue
		case lower == "helm-values.yaml" || lower == "helm-values.yml":
			continue
		case lower == "helm-chart.yaml" || lower == "helm-chart.yml":
			out, err := helmOutput(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(out))); errors.Is(err, os.ErrNotExist) {
				res = out
			}
		case strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml"):
			res = name
		case strings.HasSuffix(lower, ".yaml"+sealmeExt) || strings.HasSuffix(lower, ".yml"+sealmeExt):
			res = name[:len(name)-len(sealmeExt)]
		}
		if res == "" {
			continue
		}
		res = path.Clean(filepath.ToSlash(res))
		if !seen[res] {
			seen[res] = true
			resources = append(resources, res)
		}
	}
	return resources, nil
}

// helmOutput reads the output field of a helm-chart.yaml leniently; the
// helm package validates the file strictly.
func helmOutput(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("generate kustomization: %w", err)
	}
	var cfg struct {
		HelmChart struct {
			Output string `json:"output"`
		} `json:"helmChart"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("generate kustomization: parse %s: %w", file, err)
	}
	if cfg.HelmChart.Output == "" {
		return defaultHelmOutput, nil
	}
	return cfg.HelmChart.Output, nil
}
