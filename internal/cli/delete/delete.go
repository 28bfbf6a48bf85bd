// Package delete implements `kluctl delete`.
package delete

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/cli/prune"
	pruning "github.com/kluctl-go/kluctl/internal/prune"
)

// Options of the delete command.
type Options struct {
	F             *factory.Factory
	Project       projectargs.Flags
	Output        output.Flags
	Results       output.ResultFlags
	Yes           bool
	DryRun        bool
	NoWait        bool
	Discriminator string
}

// NewCmd returns the delete command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete a target (or parts of it) from the corresponding cluster",
		Long:  "Delete a target (or parts of it) from the corresponding cluster.\nObjects are located based on the target discriminator; only objects applied by kluctl are deleted.",
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
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "Suppresses 'Are you sure?' questions and proceeds as if you would answer 'yes'.")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Performs all kubernetes API calls in dry-run mode.")
	fl.BoolVar(&opts.NoWait, "no-wait", false, "Don't wait for deletion of objects to finish.'")
	fl.StringVar(&opts.Discriminator, "discriminator", "", "Override the discriminator used to find objects for deletion.")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel, t, err := opts.Project.Load(ctx, opts.F, opts.Discriminator)
	if err != nil {
		return err
	}
	defer cancel()
	dopts := pruning.DefaultOptions()
	dopts.DryRun = opts.DryRun
	dopts.Wait = !opts.NoWait
	if !opts.Yes && !opts.DryRun {
		refs, err := t.Deletable(ctx, dopts)
		if err != nil {
			return err
		}
		if len(refs) == 0 {
			fmt.Fprintln(opts.F.IO.ErrOut, "No objects to delete.")
			return nil
		}
		if err := prune.ConfirmDeletion(opts.F, "delete", refs, t.ClusterName()); err != nil {
			return err
		}
	}
	res, err := t.Delete(ctx, dopts)
	opts.Results.StoreCommandResult(ctx, opts.F.IO, t, res, opts.DryRun)
	return opts.Output.Finish(opts.F.IO, "delete", res, err)
}
