package project

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
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
	// DynamicArgs names the args the target config file of a dynamic
	// target may set (an extension over the current original, which
	// dropped dynamic targets).
	DynamicArgs []DynamicArg `json:"dynamicArgs,omitempty"`
	// Dynamic, the targetConfig field, makes the target dynamic: one
	// target per matching git ref, completed by a target config file.
	Dynamic *DynamicTargetConfig `json:"targetConfig,omitempty"`
}

// DynamicArg is one entry of a target's dynamicArgs.
type DynamicArg struct {
	Name string `json:"name"`
}

// DynamicTargetConfig is the targetConfig of a dynamic target: where its
// refs are listed and its target config file is read (the semantics are
// described at the top of dynamic_targets.go).
type DynamicTargetConfig struct {
	// Project is another git repository holding the target configs; nil
	// means the repository of the project itself.
	Project *DynamicTargetProject `json:"project,omitempty"`
	// Ref is one branch or tag: one target. In an expanded target it is
	// the ref the target was made for, so templates see it as
	// target.targetConfig.ref.
	Ref string `json:"ref,omitempty"`
	// RefPattern is a regular expression that must match a whole branch
	// or tag name (or, starting with refs/, a whole ref): one target per
	// match.
	RefPattern string `json:"refPattern,omitempty"`
	// File is the target config file read at the ref, relative to the
	// project folder (own repository) or to the root of Project's
	// repository; default target-config.yml (or .yaml).
	File string `json:"file,omitempty"`
}

// DynamicTargetProject is targetConfig.project.
type DynamicTargetProject struct {
	URL string `json:"url"`
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
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	var cfg KluctlConfig
	if err := decodeStrict(path, data, &cfg); err != nil {
		return nil, "", err
	}
	seen := map[string]bool{}
	for i, t := range cfg.Targets {
		if t.Name == "" {
			return nil, "", &FileError{Path: path, Line: lineOf(data, "targets", i), Field: fmt.Sprintf("targets[%d].name", i), Err: fmt.Errorf("target name is required")}
		}
		if err := validateDynamicTarget(path, data, i, &t); err != nil {
			return nil, "", err
		}
		// Dynamic targets get their names when expanded; names that
		// collide then are reported as duplicates.
		if t.Dynamic != nil {
			continue
		}
		if seen[t.Name] {
			return nil, "", &FileError{Path: path, Line: lineOf(data, "targets", i, "name"), Field: "targets", Err: fmt.Errorf("duplicate target %q", t.Name)}
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
