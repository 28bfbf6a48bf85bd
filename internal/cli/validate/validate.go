// Package validate implements `kluctl validate`.
package validate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	engine "github.com/kluctl-go/kluctl/internal/validate"
)

// Options of the validate command.
type Options struct {
	F                *factory.Factory
	Project          projectargs.Flags
	Output           output.Flags
	Wait             time.Duration
	Sleep            time.Duration
	WarningsAsErrors bool
}

// ErrNotReady is returned when objects are missing or not ready.
var ErrNotReady = errors.New("validation failed: not all objects are ready")

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
	opts.Project.AddTargetCommandFlags(cmd)
	opts.Output.Add(cmd)
	fl := cmd.Flags()
	fl.DurationVar(&opts.Wait, "wait", 0, "Wait for the given amount of time until the deployment validates")
	fl.DurationVar(&opts.Sleep, "sleep", 5*time.Second, "Sleep duration between validation attempts")
	fl.BoolVar(&opts.WarningsAsErrors, "warnings-as-errors", false, "Consider warnings as failures")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Project.Timeout)
	defer cancel()
	loaded, err := opts.Project.Load(ctx, opts.F)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(opts.Wait)
	for {
		res, verr := engine.Validate(ctx, loaded.Clients, loaded.Result, engine.Options{})
		if res == nil {
			return verr
		}
		failed := verr != nil || (opts.WarningsAsErrors && len(res.Warnings) > 0)
		if !failed || time.Now().After(deadline) {
			if err := opts.Output.WriteValidate(opts.F.IO, res); err != nil {
				return err
			}
			if failed {
				if verr != nil {
					return fmt.Errorf("%w: %v", ErrNotReady, verr)
				}
				return ErrNotReady
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opts.Sleep):
		}
	}
}
