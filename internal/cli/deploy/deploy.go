// Package deploy implements `kluctl deploy`.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/readiness"
	"github.com/kluctl-go/kluctl/internal/result"
)

// Options of the deploy command.
type Options struct {
	F       *factory.Factory
	Project projectargs.Flags
	Output  output.Flags
	Results output.ResultFlags

	Yes                 bool
	DryRun              bool
	ForceApply          bool
	ReplaceOnError      bool
	ForceReplaceOnError bool
	AbortOnError        bool
	NoWait              bool
	Prune               bool
	ReadinessTimeout    time.Duration
	Discriminator       string
}

// NewCmd returns the deploy command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploys a target to the corresponding cluster",
		Long:  "Deploys a target to the corresponding cluster.\n\nIt first shows a server-side dry-run diff and asks for confirmation (--yes skips it),\nthen applies and shows what changed, including the orphan objects that prune would delete.",
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
	AddApplyFlags(cmd, &opts.ForceApply, &opts.ReplaceOnError, &opts.ForceReplaceOnError)
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "Suppresses 'Are you sure?' questions and proceeds as if you would answer 'yes'.")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Performs all kubernetes API calls in dry-run mode.")
	fl.BoolVar(&opts.AbortOnError, "abort-on-error", false, "Abort deploying when an error occurs instead of trying the remaining deployments")
	fl.BoolVar(&opts.NoWait, "no-wait", false, "Don't wait for objects readiness.")
	fl.BoolVar(&opts.Prune, "prune", false, "Prune orphaned objects directly after deploying.")
	fl.DurationVar(&opts.ReadinessTimeout, "readiness-timeout", readiness.DefaultTimeout, "Maximum time to wait for object readiness. The timeout is meant per-object. Timeouts are in the duration format (1s, 1m, 1h, ...). If not specified, a default timeout of 5m is used.")
	fl.StringVar(&opts.Discriminator, "discriminator", "", "Override the target discriminator.")
	return cmd
}

// AddApplyFlags registers the conflict and replace flags shared by deploy
// and diff.
func AddApplyFlags(cmd *cobra.Command, forceApply, replaceOnError, forceReplaceOnError *bool) {
	fl := cmd.Flags()
	fl.BoolVar(forceApply, "force-apply", false, "Force conflict resolution when applying. See documentation for details")
	fl.BoolVar(replaceOnError, "replace-on-error", false, "When patching an object fails, try to replace it (re-create it when an immutable field changed). See documentation for more details.")
	fl.BoolVar(forceReplaceOnError, "force-replace-on-error", false, "Same as --replace-on-error, but also try to delete and re-create objects. See documentation for more details.")
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel, t, err := opts.Project.Load(ctx, opts.F, opts.Discriminator)
	if err != nil {
		return err
	}
	defer cancel()
	dopts := deploy.DefaultOptions()
	dopts.DryRun = opts.DryRun
	dopts.ForceApply = opts.ForceApply
	dopts.ReplaceOnError = opts.ReplaceOnError
	dopts.ForceReplaceOnError = opts.ForceReplaceOnError
	dopts.AbortOnError = opts.AbortOnError
	dopts.NoWait = opts.NoWait
	dopts.Prune = opts.Prune
	dopts.ReadinessTimeout = opts.ReadinessTimeout

	if !opts.Yes && !opts.DryRun {
		if err := ConfirmDeploy(ctx, opts.F, t, dopts); err != nil {
			return err
		}
	}
	res, err := t.Deploy(ctx, dopts)
	opts.Results.StoreCommandResult(ctx, opts.F.IO, t, res, opts.DryRun)
	return opts.Output.Finish(opts.F.IO, "deploy", res, err)
}

// ConfirmDeploy shows what deploying t would change (a server-side
// dry-run) and asks whether to go on; an error means no.
func ConfirmDeploy(ctx context.Context, f *factory.Factory, t *engine.Target, dopts deploy.Options) error {
	preview, err := t.Diff(ctx, engine.DiffOptions{Options: dopts})
	return ConfirmPreview(f, preview, err, "deploying", fmt.Sprintf("Do you really want to deploy to the context/cluster %s?", t.ClusterName()))
}

// ConfirmPreview prints preview, the dry-run of a command (err its
// error), and asks question; a dry-run with errors stops before asking
// ("not <action>"). An error means no.
func ConfirmPreview(f *factory.Factory, preview *result.Result, err error, action, question string) error {
	if err != nil && preview == nil {
		return err
	}
	if err := result.PrintText(f.IO.ErrOut, preview, f.IO.ColorErr()); err != nil {
		return err
	}
	if preview.Err() != nil {
		return fmt.Errorf("the dry-run found errors, not %s: %w", action, preview.Err())
	}
	ok, err := f.Confirm(question)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("aborted")
	}
	return nil
}
