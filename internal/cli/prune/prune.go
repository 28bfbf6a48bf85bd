// Package prune implements `kluctl prune`.
package prune

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/k8s"
	pruning "github.com/kluctl-go/kluctl/internal/prune"
)

// Options of the prune command.
type Options struct {
	F             *factory.Factory
	Project       projectargs.Flags
	Output        output.Flags
	Results       output.ResultFlags
	Yes           bool
	DryRun        bool
	Discriminator string
}

// NewCmd returns the prune command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Searches the target cluster for prunable objects and deletes them",
		Long:  "Searches the target cluster for prunable objects and deletes them.\nPrunable objects carry the target's discriminator, were applied by kluctl and are no longer rendered.",
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
	fl.StringVar(&opts.Discriminator, "discriminator", "", "Override the target discriminator.")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel, t, err := opts.Project.Load(ctx, opts.F, opts.Discriminator)
	if err != nil {
		return err
	}
	defer cancel()
	popts := pruning.DefaultOptions()
	popts.DryRun = opts.DryRun
	if !opts.Yes && !opts.DryRun {
		orphans, err := t.Orphans(ctx, popts)
		if err != nil {
			return err
		}
		if len(orphans) == 0 {
			fmt.Fprintln(opts.F.IO.ErrOut, "No orphan objects found.")
			return nil
		}
		if err := ConfirmDeletion(opts.F, "prune", orphans, t.ClusterName()); err != nil {
			return err
		}
	}
	res, err := t.Prune(ctx, popts)
	opts.Results.StoreCommandResult(ctx, opts.F.IO, t, res, opts.DryRun)
	return opts.Output.Finish(opts.F.IO, "prune", res, err)
}

// ConfirmDeletion lists refs and asks before deleting them.
func ConfirmDeletion(f *factory.Factory, verb string, refs []k8s.ObjectRef, cluster string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "The following %d objects will be deleted:\n", len(refs))
	for _, r := range refs {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	fmt.Fprint(f.IO.ErrOut, b.String())
	ok, err := f.Confirm(fmt.Sprintf("Do you really want to %s %d objects on %s?", verb, len(refs), cluster))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("aborted")
	}
	return nil
}
