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
	// Failed are the dynamic targets that could not be expanded or
	// rendered while looking for Name.
	Failed []error
}

func (e *UnknownTargetError) Error() string {
	var msg string
	if len(e.Known) == 0 {
		msg = fmt.Sprintf("target %q not found: the project defines no targets", e.Name)
	} else {
		msg = fmt.Sprintf("target %q not found; known targets: %s", e.Name, strings.Join(e.Known, ", "))
	}
	if len(e.Failed) > 0 {
		var parts []string
		for _, err := range e.Failed {
			parts = append(parts, err.Error())
		}
		msg += "; dynamic targets that failed to load: " + strings.Join(parts, "; ")
	}
	return msg
}

// TargetNames lists the names of the configured targets (for dynamic
// targets the name as written, before expansion).
func (c *KluctlConfig) TargetNames() []string {
	var out []string
	for _, t := range c.Targets {
		out = append(out, t.Name)
	}
	return out
}

// targetEnv is what selecting and rendering targets needs.
type targetEnv struct {
	tpl *Templates
	cfg *KluctlConfig
	// cfgPath names .kluctl.yaml in messages; loadedPath is the file
	// read, "" when there is none.
	cfgPath, loadedPath string
	expander            *targetExpander
}

// selectTarget finds and renders the target opts names: an entry of
// .kluctl.yaml with that name, else the expanded dynamic target whose
// rendered name it is. It also returns the target's definition.
func selectTarget(ctx context.Context, env *targetEnv, opts TargetOptions) (*Target, *TargetConfig, error) {
	cfg := env.cfg
	if opts.Name == "" {
		if len(cfg.Targets) > 0 {
			known := cfg.TargetNames()
			sort.Strings(known)
			return nil, nil, fmt.Errorf("%s defines targets, so one must be chosen with -t/--target; known targets: %s", env.cfgPath, strings.Join(known, ", "))
		}
		tc := &TargetConfig{}
		t, err := renderTarget(ctx, env, tc, opts)
		return t, tc, err
	}
	var known []string
	for i := range cfg.Targets {
		tc := &cfg.Targets[i]
		if tc.Dynamic != nil {
			continue
		}
		if tc.Name == opts.Name {
			t, err := renderTarget(ctx, env, tc, opts)
			return t, tc, err
		}
		known = append(known, tc.Name)
	}

	// Dynamic targets are named once expanded and rendered.
	lookup := opts
	lookup.NameOverride = ""
	var failed []error
	for i := range cfg.Targets {
		if cfg.Targets[i].Dynamic == nil {
			continue
		}
		cands, err := env.expander.expand(ctx, &cfg.Targets[i])
		if err != nil {
			failed = append(failed, err)
			continue
		}
		for _, c := range cands {
			t, err := renderTarget(ctx, env, &c.Config, lookup)
			if err != nil {
				failed = append(failed, err)
				continue
			}
			if t.Name != opts.Name {
				if c.Err != nil {
					failed = append(failed, c.Err)
				} else {
					known = append(known, t.Name)
				}
				continue
			}
			if c.Err != nil {
				return nil, nil, fmt.Errorf("load target %q: %w", opts.Name, c.Err)
			}
			if opts.NameOverride != "" {
				t, err = renderTarget(ctx, env, &c.Config, opts)
			}
			return t, &c.Config, err
		}
	}
	return nil, nil, &UnknownTargetError{Name: opts.Name, Known: known, Failed: failed}
}

// ListedTarget is one target of the project, rendered.
type ListedTarget struct {
	Target *Target
	// Config is the target's definition: its entry in .kluctl.yaml, for
	// an expanded dynamic target completed by the target config file and
	// with targetConfig.ref set.
	Config TargetConfig
}

// TargetList is what ListTargets returns.
type TargetList struct {
	Config *KluctlConfig
	// Targets are sorted by name.
	Targets []ListedTarget
	// Skipped are the targets that failed to load and the expanded
	// dynamic targets whose names were taken already.
	Skipped []error
}

// ListTargets renders every target of the project with opts.Target.Args
// as external args, dynamic targets expanded. Names are unique: entries
// that are not dynamic come first, then dynamic targets in the order of
// .kluctl.yaml and of their refs; a later target with a taken name is
// skipped.
func ListTargets(ctx context.Context, opts LoadOptions) (*TargetList, error) {
	env, err := newTargetEnv(opts)
	if err != nil {
		return nil, err
	}
	out := &TargetList{Config: env.cfg}
	seen := map[string]bool{}
	add := func(tc TargetConfig, loadErr error) {
		t, err := renderTarget(ctx, env, &tc, TargetOptions{Name: tc.Name, Args: opts.Target.Args})
		switch {
		case err != nil:
			out.Skipped = append(out.Skipped, fmt.Errorf("failed to load target %s: %w", tc.Name, err))
		case loadErr != nil:
			out.Skipped = append(out.Skipped, fmt.Errorf("failed to load target %s: %w", t.Name, loadErr))
		case seen[t.Name]:
			out.Skipped = append(out.Skipped, fmt.Errorf("duplicate target %s (targetConfig.ref %s) left out", t.Name, tc.Dynamic.Ref))
		default:
			seen[t.Name] = true
			out.Targets = append(out.Targets, ListedTarget{Target: t, Config: tc})
		}
	}
	for _, tc := range env.cfg.Targets {
		if tc.Dynamic == nil {
			add(tc, nil)
		}
	}
	for i := range env.cfg.Targets {
		if env.cfg.Targets[i].Dynamic == nil {
			continue
		}
		cands, err := env.expander.expand(ctx, &env.cfg.Targets[i])
		if err != nil {
			out.Skipped = append(out.Skipped, err)
			continue
		}
		for _, c := range cands {
			add(c.Config, c.Err)
		}
	}
	sort.SliceStable(out.Targets, func(i, j int) bool { return out.Targets[i].Target.Name < out.Targets[j].Target.Name })
	return out, nil
}

// renderTarget renders the target tc with the external args of opts.
func renderTarget(ctx context.Context, env *targetEnv, tc *TargetConfig, opts TargetOptions) (*Target, error) {
	cfg, tpl, configPath := env.cfg, env.tpl, env.cfgPath
	desc := fmt.Sprintf("%q", tc.Name)
	if tc.Dynamic != nil && tc.Dynamic.Ref != "" {
		desc += " (targetConfig.ref " + tc.Dynamic.Ref + ")"
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
		return nil, fmt.Errorf("render target %s: %w", desc, err)
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
