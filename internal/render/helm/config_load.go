package helm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// knownFields lists the keys allowed in each mapping of helm-chart.yaml,
// keyed by the mapping's field path. Mappings not listed are leaves.
var knownFields = map[string][]string{
	"": {"helmChart"},
	"helmChart": {
		"repo", "path", "git", "credentialsId", "chartName", "chartVersion",
		"updateConstraints", "releaseName", "namespace", "output", "skipCRDs",
		"skipUpdate", "skipPrePull",
	},
	"helmChart.git":     {"url", "ref", "subDir"},
	"helmChart.git.ref": {"branch", "tag", "commit"},
}

// configFile is the whole helm-chart.yaml.
type configFile struct {
	HelmChart *Config `yaml:"helmChart"`
}

// LoadConfig reads an (already Jinja2-rendered) helm-chart.yaml. Unknown
// fields, wrong types and invalid combinations are errors that name the
// file and, where there is one, the line.
func LoadConfig(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read helm chart config: %w", err)
	}
	return ParseConfig(file, data)
}

// ParseConfig parses the content of a helm-chart.yaml; file is only used in
// error messages and as Config.File.
func ParseConfig(file string, data []byte) (*Config, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: helmChart is missing", file)
	}
	root := doc.Content[0]
	lines := map[string]int{}
	if err := checkFields(root, "", lines); err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	var cf configFile
	if err := root.Decode(&cf); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if cf.HelmChart == nil {
		return nil, fmt.Errorf("%s: helmChart is missing", file)
	}
	c := cf.HelmChart
	c.File = filepath.Clean(file)
	c.lines = lines
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkFields walks n and reports the first key that is not in
// knownFields, recording the line of every known key in lines.
func checkFields(n *yaml.Node, fieldPath string, lines map[string]int) error {
	allowed, ok := knownFields[fieldPath]
	if !ok || n.Kind != yaml.MappingNode {
		if fieldPath == "" || fieldPath == "helmChart" {
			if n.Kind != yaml.MappingNode && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
				return fmt.Errorf("%d: %s must be a mapping", n.Line, nameOf(fieldPath))
			}
		}
		return nil
	}
	if _, ok := lines[fieldPath]; !ok {
		lines[fieldPath] = n.Line
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if !contains(allowed, key.Value) {
			return fmt.Errorf("%d: unknown field %q in %s (known fields: %s)",
				key.Line, key.Value, nameOf(fieldPath), strings.Join(allowed, ", "))
		}
		child := key.Value
		if fieldPath != "" {
			child = fieldPath + "." + key.Value
		}
		if prev, dup := lines[child]; dup {
			return fmt.Errorf("%d: field %q is already set on line %d", key.Line, child, prev)
		}
		lines[child] = key.Line
		if err := checkFields(val, child, lines); err != nil {
			return err
		}
	}
	return nil
}

func nameOf(fieldPath string) string {
	if fieldPath == "" {
		return "the top level"
	}
	return fieldPath
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
