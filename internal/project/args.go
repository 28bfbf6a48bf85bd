package project

import (
	"fmt"
	"strings"
)

// SetArg sets the arg with a dotted name ("a.b.c") in args, creating the
// maps on the way.
func SetArg(args map[string]any, name string, value any) error {
	if name == "" {
		return fmt.Errorf("arg name is empty")
	}
	return setNested(args, strings.Split(name, "."), value)
}

// MergeArgs merges src into dst: maps are merged key by key, everything
// else in src replaces what dst holds.
func MergeArgs(dst, src map[string]any) {
	mergeInto(dst, deepCopyMap(src), false)
}

// ParseYAMLValue decodes one YAML value (1.1 scalars, the Kubernetes way;
// integers stay integers). desc names the input in errors.
func ParseYAMLValue(desc string, data []byte) (any, error) {
	v, err := decodeYAMLValue(data)
	if err != nil {
		return nil, describeYAMLError(desc, data, err)
	}
	return v, nil
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
