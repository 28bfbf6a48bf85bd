package project

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// ParseArgFlags turns `-a key=value` flags into nested args. Dotted keys
// nest; values are YAML; a value starting with @ is read from a YAML file.
func ParseArgFlags(flags []string) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid --arg %q: expected name=value", f)
		}
		var raw []byte
		if strings.HasPrefix(v, "@") {
			b, err := os.ReadFile(v[1:])
			if err != nil {
				return nil, fmt.Errorf("read --arg %s from file: %w", k, err)
			}
			raw = b
		} else {
			raw = []byte(v)
		}
		var parsed any
		if err := yaml.Unmarshal(raw, &parsed); err != nil {
			// Not valid YAML: keep the plain string.
			parsed = v
		}
		if err := setNested(out, strings.Split(k, "."), parsed); err != nil {
			return nil, fmt.Errorf("invalid --arg %q: %w", f, err)
		}
	}
	return out, nil
}

// LoadArgsFiles reads --args-from-file files and merges them in order.
func LoadArgsFiles(paths []string) (map[string]any, error) {
	out := map[string]any{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read args file: %w", err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, describeYAMLError(p, data, err)
		}
		mergeInto(out, m, false)
	}
	return out, nil
}

// resolveArgs merges defaults, target args and external args (in that
// order) and checks that every declared arg without default has a value.
func resolveArgs(decls []ArgDeclaration, targetArgs, external map[string]any, configPath string) (map[string]any, error) {
	out := map[string]any{}
	for _, d := range decls {
		if d.HasDefault {
			out[d.Name] = deepCopy(d.Default)
		}
	}
	mergeInto(out, deepCopyMap(targetArgs), false)
	mergeInto(out, deepCopyMap(external), false)
	var missing []string
	for _, d := range decls {
		if _, ok := out[d.Name]; !ok {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return nil, &FileError{Path: configPath, Field: "args", Err: fmt.Errorf("required argument %s not set; pass it with -a %s=<value> or set it in the target", strings.Join(missing, ", "), missing[0])}
	}
	return out, nil
}
