// Package listtargets implements `kluctl list-targets`.
package listtargets

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/project"
)

// Options of the list-targets command.
type Options struct {
	F         *factory.Factory
	Project   projectargs.Flags
	Output    []string
	OnlyNames bool
}

// NewCmd returns the list-targets command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "list-targets",
		Short: "Outputs a yaml list with all targets",
		Long:  "Outputs a yaml list with all targets, rendered (discriminators included) and sorted by name.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	opts.Project.AddProjectDirFlags(cmd, f)
	cmd.Flags().StringArrayVarP(&opts.Output, "output", "o", nil, "Specify output target file. Can be specified multiple times")
	cmd.Flags().BoolVar(&opts.OnlyNames, "only-names", false, "If provided --only-names will only output the names of the targets")
	return cmd
}

// listedTarget is one entry of the output, in the original's fields.
type listedTarget struct {
	Name          string         `json:"name"`
	Context       *string        `json:"context,omitempty"`
	Args          map[string]any `json:"args,omitempty"`
	Aws           map[string]any `json:"aws"`
	Images        []any          `json:"images,omitempty"`
	Discriminator string         `json:"discriminator,omitempty"`
	// DynamicArgs and TargetConfig appear for dynamic targets only (an
	// extension: the current original has none).
	DynamicArgs  []any          `json:"dynamicArgs,omitempty"`
	TargetConfig map[string]any `json:"targetConfig,omitempty"`
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Project.Timeout)
	defer cancel()
	eopts, err := opts.Project.EngineOptions(opts.F)
	if err != nil {
		return err
	}
	listed, cfg, err := engine.ListTargets(ctx, eopts)
	if err != nil {
		return err
	}
	targets := make([]listedTarget, 0, len(listed))
	for _, l := range listed {
		targets = append(targets, toListed(l, cfg))
	}

	var out []byte
	if opts.OnlyNames {
		var b strings.Builder
		for _, t := range targets {
			b.WriteString(t.Name + "\n")
		}
		out = []byte(b.String())
	} else if out, err = yaml.Marshal(targets); err != nil {
		return err
	}
	return opts.F.WriteOutputs(opts.Output, out, "targets")
}

// toListed picks the original's fields from a rendered target.
func toListed(l engine.ListedTarget, cfg *project.KluctlConfig) listedTarget {
	t := l.Target
	out := listedTarget{Name: t.Name, Discriminator: t.Discriminator, Aws: map[string]any{}}
	if c, ok := t.Vars["context"].(string); ok {
		out.Context = &c
	}
	// the target's own args (rendered), not the project's defaults
	if a, ok := t.Vars["args"].(map[string]any); ok && len(l.Config.Args) > 0 {
		out.Args = map[string]any{}
		for k := range l.Config.Args {
			out.Args[k] = a[k]
		}
	}
	if a, ok := t.Vars["aws"].(map[string]any); ok {
		out.Aws = a
	} else if len(cfg.Aws) > 0 {
		out.Aws = map[string]any(cfg.Aws)
	}
	if im, ok := t.Vars["images"].([]any); ok {
		out.Images = im
	}
	if da, ok := t.Vars["dynamicArgs"].([]any); ok {
		out.DynamicArgs = da
	}
	if tc, ok := t.Vars["targetConfig"].(map[string]any); ok {
		out.TargetConfig = tc
	}
	return out
}
