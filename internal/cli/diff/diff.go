// Package diff implements `kluctl diff`.
package diff

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/deploy"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	enginedeploy "github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/engine"
)

// Options of the diff command.
type Options struct {
	F       *factory.Factory
	Project projectargs.Flags
	Output  output.Flags
	Results output.ResultFlags

	ForceApply           bool
	ReplaceOnError       bool
	ForceReplaceOnError  bool
	IgnoreTags           bool
	IgnoreLabels         bool
	IgnoreAnnotations    bool
	IgnoreKluctlMetadata bool
	Discriminator        string
}

// NewCmd returns the diff command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Perform a diff between the locally rendered target and the already deployed target",
		Long:  "Perform a diff between the locally rendered target and the already deployed target.\nThe diff is a server-side dry-run of the same applies deploy would do; orphan objects are listed too.",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = opts.Output.RunE(func(ctx context.Context) error {
		if runF != nil {
			return runF(ctx, opts)
		}
		return run(ctx, opts)
	})
	opts.Project.AddTargetCommandFlags(cmd, f)
	opts.Output.Add(cmd)
	opts.Results.AddResultFlags(cmd)
	deploy.AddApplyFlags(cmd, &opts.ForceApply, &opts.ReplaceOnError, &opts.ForceReplaceOnError)
	fl := cmd.Flags()
	fl.BoolVar(&opts.IgnoreTags, "ignore-tags", false, "Ignores changes in tags when diffing")
	fl.BoolVar(&opts.IgnoreLabels, "ignore-labels", false, "Ignores changes in labels when diffing")
	fl.BoolVar(&opts.IgnoreAnnotations, "ignore-annotations", false, "Ignores changes in annotations when diffing")
	fl.BoolVar(&opts.IgnoreKluctlMetadata, "ignore-kluctl-metadata", false, "Ignores changes in Kluctl related metadata (e.g. tags, discriminators, ...)")
	fl.StringVar(&opts.Discriminator, "discriminator", "", "Override the target discriminator.")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel, t, err := opts.Project.Load(ctx, opts.F, opts.Discriminator)
	if err != nil {
		return err
	}
	defer cancel()
	dopts := engine.DiffOptions{
		Options:              enginedeploy.DefaultOptions(),
		IgnoreTags:           opts.IgnoreTags,
		IgnoreLabels:         opts.IgnoreLabels,
		IgnoreAnnotations:    opts.IgnoreAnnotations,
		IgnoreKluctlMetadata: opts.IgnoreKluctlMetadata,
	}
	dopts.ForceApply = opts.ForceApply
	dopts.ReplaceOnError = opts.ReplaceOnError
	dopts.ForceReplaceOnError = opts.ForceReplaceOnError
	res, err := t.Diff(ctx, dopts)
	opts.Results.StoreCommandResult(ctx, opts.F.IO, t, res, true)
	return opts.Output.Finish(opts.F.IO, "diff", res, err)
}
