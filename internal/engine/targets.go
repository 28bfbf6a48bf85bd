package engine

import (
	"context"

	"github.com/kluctl-go/kluctl/internal/project"
)

// ListedTarget is one target of a project, rendered.
type ListedTarget struct {
	// Target is the rendered target (name, context, args, discriminator).
	Target *project.Target
	// Config is the target's entry in .kluctl.yaml; for an expanded
	// dynamic target completed by its target config file.
	Config project.TargetConfig
}

// ListTargets renders every target of the project of opts (with opts.Args
// as external args, dynamic targets expanded) and returns them sorted by
// name. A target that fails to load is left out and reported as a warning
// through opts.Progress.
func ListTargets(ctx context.Context, opts Options) ([]ListedTarget, *project.KluctlConfig, error) {
	em := newEmitter(opts.Progress)
	list, err := project.ListTargets(ctx, project.LoadOptions{
		ProjectDir: opts.ProjectDir, RepoRoot: opts.RepoRoot, ConfigPath: opts.ConfigPath,
		Target:         project.TargetOptions{Args: opts.Args},
		OpenTargetRepo: opts.OpenTargetRepo,
	})
	if err != nil {
		return nil, nil, err
	}
	for _, err := range list.Skipped {
		em.warn("%s", err.Error())
	}
	out := make([]ListedTarget, 0, len(list.Targets))
	for _, l := range list.Targets {
		out = append(out, ListedTarget{Target: l.Target, Config: l.Config})
	}
	return out, list.Config, nil
}
