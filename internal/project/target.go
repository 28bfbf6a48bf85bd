package project

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// TargetOptions select and parameterise the target.
type TargetOptions struct {
	// Name is the -t flag; empty selects the no-name target.
	Name string
	// NameOverride is the -T flag.
	NameOverride string
	// Args are the external args (-a, --args-from-file, a
	// KluctlDeployment's args): data, merged over the target's args.
	Args map[string]any
	// Context overrides the target's kube context (--context).
	Context string
}

// Target is the selected, rendered target.
type Target struct {
	Name          string
	Context       string
	Args          map[string]any
	Discriminator string
	// Vars is the `target` variable: the rendered target definition.
	Vars map[string]any
}

// UnknownTargetError is returned when -t names no target of the project.
type UnknownTargetError struct {
	Name  string
	Known []string
}

func (e *UnknownTargetError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("target %q not found: the project defines no targets", e.Name)
	}
	return fmt.Sprintf("target %q not found; known targets: %s", e.Name, strings.Join(e.Known, ", "))
}

// TargetNames lists the names of the configured targets.
func (c *KluctlConfig) TargetNames() []string {
	var out []string
	for _, t := range c.Targets {
		out = append(out, t.Name)
	}
	return out
}

// selectTarget renders the chosen target of cfg.
func selectTarget(ctx context.Context, tpl *Templates, cfg *KluctlConfig, configPath string, opts TargetOptions) (*Target, error) {
	var tc *TargetConfig
	if opts.Name != "" {
		for i := range cfg.Targets {
			if cfg.Targets[i].Name == opts.Name {
				tc = &cfg.Targets[i]
			}
		}
		if tc == nil {
			return nil, &UnknownTargetError{Name: opts.Name, Known: cfg.TargetNames()}
		}
	} else if len(cfg.Targets) > 0 {
		known := cfg.TargetNames()
		sort.Strings(known)
		return nil, fmt.Errorf("%s defines targets, so one must be chosen with -t/--target; known targets: %s", configPath, strings.Join(known, ", "))
	} else {
		tc = &TargetConfig{}
	}

	// A JSON round trip gives args from any source (flags, a CRD) the
	// same types: int64 for integers, float64, string, bool, maps, lists.
	external, err := toGenericMap(opts.Args)
	if err != nil {
		return nil, fmt.Errorf("args: %w", err)
	}
	raw, err := toGenericMap(tc)
	if err != nil {
		return nil, err
	}
	if opts.NameOverride != "" {
		raw["name"] = opts.NameOverride
	}
	args, err := resolveArgs(cfg.Args, tc.Args, external, configPath)
	if err != nil {
		return nil, err
	}
	raw["args"] = deepCopy(args)

	rendered, err := renderTargetFields(ctx, tpl, raw, args)
	if err != nil {
		return nil, fmt.Errorf("render target %q: %w", opts.Name, err)
	}
	// Target args are part of the target definition and rendered with it.
	if ra, ok := rendered["args"].(map[string]any); ok {
		args = ra
	}
	t := &Target{Vars: rendered, Args: args}
	t.Name, _ = rendered["name"].(string)
	if c, ok := rendered["context"].(string); ok {
		t.Context = c
	}
	if opts.Context != "" {
		t.Context = opts.Context
	}
	disc, _ := rendered["discriminator"].(string)
	if disc == "" && cfg.Discriminator != "" {
		vars := NewVars()
		vars.Set("target", rendered)
		vars.Set("args", args)
		disc, err = tpl.RenderString(ctx, "discriminator", cfg.Discriminator, nil, vars)
		if err != nil {
			return nil, fmt.Errorf("render discriminator of %s: %w", configPath, err)
		}
	}
	t.Discriminator = strings.TrimSpace(disc)
	if t.Discriminator != "" {
		rendered["discriminator"] = t.Discriminator
	}
	return t, nil
}

// renderTargetFields renders every string of the target with only target
// and args in the context, retrying up to ten times so that fields may refer
// to other rendered fields.
func renderTargetFields(ctx context.Context, tpl *Templates, raw map[string]any, args map[string]any) (map[string]any, error) {
	cur := raw
	var lastErr error
	for i := 0; i < 10; i++ {
		vars := NewVars()
		vars.Set("target", cur)
		vars.Set("args", args)
		next, err := renderStrings(ctx, tpl, cur, vars)
		if err == nil {
			if fmt.Sprint(next) == fmt.Sprint(cur) {
				return next.(map[string]any), nil
			}
			cur = next.(map[string]any)
			lastErr = nil
			continue
		}
		lastErr = err
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return cur, nil
}

func renderStrings(ctx context.Context, tpl *Templates, v any, vars *Vars) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := renderStrings(ctx, tpl, e, vars)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderStrings(ctx, tpl, e, vars)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case string:
		return tpl.RenderString(ctx, "target", x, nil, vars)
	default:
		return v, nil
	}
}

func toGenericMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	x, err := decodeJSONValue(b)
	if err != nil {
		return nil, err
	}
	m, _ := x.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
