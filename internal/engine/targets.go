package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/kluctl-go/kluctl/internal/project"
)

// ListedTarget is one target of a project, rendered.
type ListedTarget struct {
	// Target is the rendered target (name, context, args, discriminator).
	Target *project.Target
	// Config is the target's entry in .kluctl.yaml.
	Config project.TargetConfig
}

// ListTargets renders every target of the project of opts (with opts.Args
// as external args) and returns them sorted by name. A target that fails
// to render is left out and reported as a warning through opts.Progress.
func ListTargets(ctx context.Context, opts Options) ([]ListedTarget, *project.KluctlConfig, error) {
	em := newEmitter(opts.Progress)
	cfg, _, err := project.LoadKluctlConfig(opts.ProjectDir, opts.ConfigPath)
	if err != nil {
		return nil, nil, err
	}
	var out []ListedTarget
	for _, tc := range cfg.Targets {
		t, err := project.RenderTarget(ctx, project.LoadOptions{
			ProjectDir: opts.ProjectDir, RepoRoot: opts.RepoRoot, ConfigPath: opts.ConfigPath,
			Target: project.TargetOptions{Name: tc.Name, Args: opts.Args},
		})
		if err != nil {
			em.warn("%s", fmt.Sprintf("failed to load target %s: %v", tc.Name, err))
			continue
		}
		out = append(out, ListedTarget{Target: t, Config: tc})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Target.Name < out[j].Target.Name })
	return out, cfg, nil
}
