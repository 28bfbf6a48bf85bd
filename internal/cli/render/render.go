// Package render implements `kluctl render`.
package render

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
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
	opts.Project.AddProjectFlags(cmd)
	opts.Project.AddInclusionFlags(cmd)
	opts.Project.AddOfflineFlags(cmd)
	opts.Project.AddRenderOutputFlag(cmd)
	cmd.Flags().BoolVar(&opts.PrintAll, "print-all", false, "Write all rendered manifests to stdout")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Project.Timeout)
	defer cancel()
	keepDir := opts.Project.RenderOutputDir
	if keepDir == "" && !opts.PrintAll {
		tmp, err := os.MkdirTemp("", "kluctl-render-")
		if err != nil {
			return err
		}
		opts.Project.RenderOutputDir = tmp
		keepDir = tmp
	}
	loaded, err := opts.Project.Load(ctx, opts.F)
	if err != nil {
		return err
	}
	if opts.PrintAll {
		return render.WriteObjects(opts.F.IO.Out, loaded.Result)
	}
	fmt.Fprintf(opts.F.IO.ErrOut, "Rendered into %s\n", keepDir)
	return nil
}
