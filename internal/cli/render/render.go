// Package render implements `kluctl render`.
package render

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/render"
)

// Options of the render command.
type Options struct {
	F        *factory.Factory
	Project  projectargs.Flags
	PrintAll bool
}

// NewCmd returns the render command; runF replaces the run step in tests.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Renders all resources and configuration files",
		Long:  "Renders all resources and configuration files and stores the result in either\na temporary directory or a specified directory.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	opts.Project.AddProjectFlags(cmd, f)
	opts.Project.AddImageFlags(cmd, f)
	opts.Project.AddInclusionFlags(cmd)
	opts.Project.AddOfflineFlags(cmd)
	opts.Project.AddRenderOutputFlag(cmd)
	cmd.Flags().BoolVar(&opts.PrintAll, "print-all", false, "Write all rendered manifests to stdout")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	eopts, err := opts.Project.EngineOptions(opts.F)
	if err != nil {
		return err
	}
	// Without --print-all the rendered files are the output: like the
	// original, render into a new temporary folder and keep it.
	if eopts.RenderOutputDir == "" && !opts.PrintAll {
		tmp, err := os.MkdirTemp("", "kluctl-rendered-")
		if err != nil {
			return err
		}
		eopts.RenderOutputDir = tmp
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Project.Timeout)
	defer cancel()
	t, err := engine.Load(ctx, eopts)
	if err != nil {
		return err
	}
	opts.F.SetMasker(t.Masker())
	if opts.PrintAll {
		// Values decrypted from SOPS files are never printed; the
		// manifests stay valid YAML.
		var mask func(any) any
		if len(t.Rendered.DecryptedValues) != 0 {
			mask = diff.NewMasker(t.Rendered.DecryptedValues).Value
		}
		return render.WriteObjects(opts.F.IO.Out, t.Rendered, mask)
	}
	fmt.Fprintf(opts.F.IO.ErrOut, "Rendered into %s\n", eopts.RenderOutputDir)
	return nil
}
