// Package validate implements `kluctl validate`.
package validate

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/engine"
)

// Options of the validate command.
type Options struct {
	F                *factory.Factory
	Project          projectargs.Flags
	Output           output.Flags
	Results          output.ResultFlags
	Wait             time.Duration
	Sleep            time.Duration
	WarningsAsErrors bool
}

// NewCmd returns the validate command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Validates the already deployed deployment",
		Long:  "Validates the already deployed deployment.\nThis means that all objects are retrieved from the cluster and checked for readiness.",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = opts.Output.RunE(func(ctx context.Context) error {
		if runF != nil {
			return runF(ctx, opts)
		}
		return run(ctx, opts)
	})
	opts.Project.AddProjectFlags(cmd, f)
	opts.Project.AddInclusionFlags(cmd)
	opts.Project.AddRenderOutputFlag(cmd)
	opts.Output.AddOutput(cmd)
	opts.Results.AddResultFlags(cmd)
	fl := cmd.Flags()
	fl.DurationVar(&opts.Wait, "wait", 0, "Wait for the given amount of time until the deployment validates")
	fl.DurationVar(&opts.Sleep, "sleep", 5*time.Second, "Sleep duration between validation attempts")
	fl.BoolVar(&opts.WarningsAsErrors, "warnings-as-errors", false, "Consider warnings as failures")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel, t, err := opts.Project.Load(ctx, opts.F, "")
	if err != nil {
		return err
	}
	defer cancel()
	res, err := t.Validate(ctx, engine.ValidateOptions{Wait: opts.Wait, Sleep: opts.Sleep, WarningsAsErrors: opts.WarningsAsErrors})
	if res == nil {
		return err
	}
	opts.Results.StoreValidateResult(ctx, opts.F.IO, t, res)
	if werr := opts.Output.WriteValidate(opts.F.IO, res); werr != nil {
		return werr
	}
	if err == nil {
		opts.F.Progress("Validation succeeded")
	}
	return err
}
