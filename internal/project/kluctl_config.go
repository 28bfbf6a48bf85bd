package project

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
)

// KluctlConfig is the content of .kluctl.yaml.
type KluctlConfig struct {
	Discriminator string           `json:"discriminator,omitempty"`
	Targets       []TargetConfig   `json:"targets,omitempty"`
	Args          []ArgDeclaration `json:"args,omitempty"`
	Aws           Values           `json:"aws,omitempty"`
}

// TargetConfig is one entry of targets in .kluctl.yaml.
type TargetConfig struct {
	Name          string   `json:"name"`
	Context       *string  `json:"context,omitempty"`
	Args          Values   `json:"args,omitempty"`
	Images        []Values `json:"images,omitempty"`
	Discriminator string   `json:"discriminator,omitempty"`
	Aws           Values   `json:"aws,omitempty"`
}

// ArgDeclaration declares an arg; without a default it is required.
type ArgDeclaration struct {
	Name    string `json:"name"`
	Default any    `json:"-"`
	// HasDefault is set when the default key is present (also when null).
	HasDefault bool `json:"-"`
}

// LoadKluctlConfig reads .kluctl.yaml or .kluctl.yml from dir, or the
// explicit file when configPath is set (relative paths are relative to
// dir). A missing file gives an empty config.
func LoadKluctlConfig(dir, configPath string) (*KluctlConfig, string, error) {
	path := configPath
	if path != "" && !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if path == "" {
		path = existingYAML(filepath.Join(dir, ".kluctl"))
		if path == "" {
			return &KluctlConfig{}, "", nil
		}
	}
	var cfg KluctlConfig
	if err := readYAMLFile(path, &cfg); err != nil {
		return nil, "", err
	}
	seen := map[string]bool{}
	for i, t := range cfg.Targets {
		if t.Name == "" {
			return nil, "", &FileError{Path: path, Line: 0, Field: fmt.Sprintf("targets[%d].name", i), Err: fmt.Errorf("target name is required")}
		}
		if seen[t.Name] {
			return nil, "", &FileError{Path: path, Field: "targets", Err: fmt.Errorf("duplicate target %q", t.Name)}
		}
		seen[t.Name] = true
	}
	for i, a := range cfg.Args {
		if a.Name == "" {
			return nil, "", &FileError{Path: path, Field: fmt.Sprintf("args[%d].name", i), Err: fmt.Errorf("arg name is required")}
		}
	}
	return &cfg, path, nil
}

// UnmarshalJSON implements json.Unmarshaler, keeping integer defaults as
// integers and remembering whether a default was given.
func (a *ArgDeclaration) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name    string          `json:"name"`
		Default json.RawMessage `json:"default"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	a.Name = raw.Name
	a.HasDefault = raw.Default != nil
	if a.HasDefault {
		v, err := decodeJSONValue(raw.Default)
		if err != nil {
			return err
		}
		a.Default = v
	}
	return nil
}
