// Package pokeimages implements `kluctl poke-images`.
package pokeimages

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	deploycmd "github.com/kluctl-go/kluctl/internal/cli/deploy"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/engine"
)

// Options of the poke-images command.
type Options struct {
	F       *factory.Factory
	Project projectargs.Flags
	Output  output.Flags
	Results output.ResultFlags

	Yes    bool
	DryRun bool
}

// NewCmd returns the poke-images command; runF replaces the run step in
// tests.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "poke-images",
		Short: "Replace all images in target",
		Long: "Replace all images in target\n" +
			"This command will fully render the target and then only replace images instead of fully\n" +
			"deploying the target. Only images used in combination with 'images.get_image(...)' are\n" +
			"replaced.\n\n" +
			"It first shows what would change (a server-side dry-run) and asks for confirmation\n" +
			"(--yes skips it). Objects that are not deployed yet are left alone.",
		Args: cobra.NoArgs,
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
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel, t, err := opts.Project.Load(ctx, opts.F, "")
	if err != nil {
		return err
	}
	defer cancel()
	if !opts.Yes && !opts.DryRun {
		if err := confirm(ctx, opts.F, t); err != nil {
			return err
		}
	}
	res, err := t.PokeImages(ctx, engine.PokeImagesOptions{DryRun: opts.DryRun})
	opts.Results.StoreCommandResult(ctx, opts.F.IO, t, res, opts.DryRun)
	return opts.Output.Finish(opts.F.IO, "poke-images", res, err)
}

// confirm shows what poking the images would change (a server-side
// dry-run) and asks whether to go on; an error means no.
func confirm(ctx context.Context, f *factory.Factory, t *engine.Target) error {
	preview, err := t.PokeImages(ctx, engine.PokeImagesOptions{DryRun: true})
	return deploycmd.ConfirmPreview(f, preview, err, "poking images", fmt.Sprintf("Do you really want to poke images to the context/cluster %s?", t.ClusterName()))
}
