// Package helmpull implements `kluctl helm-pull`.
package helmpull

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
)

// Options of the helm-pull command.
type Options struct {
	F       *factory.Factory
	Project projectargs.Flags
}

// NewCmd returns the helm-pull command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "helm-pull",
		Short: "Recursively searches for 'helm-chart.yaml' files and pre-pulls the specified Helm charts",
		Long: `Kluctl requires Helm Charts to be pre-pulled by default, which is handled by this command. It will collect
all required Charts and versions and pre-pull them into .helm-charts. To disable pre-pulling for individual charts,
set 'skipPrePull: true' in helm-chart.yaml.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	opts.Project.AddProjectDirFlags(cmd, f)
	opts.Project.Compat.AddCredentialFlags(cmd)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Project.Timeout)
	defer cancel()
	dir, err := ProjectDir(opts.F, &opts.Project, "helm-pull")
	if err != nil {
		return err
	}
	p, err := opts.Project.Puller(opts.F)
	if err != nil {
		return err
	}
	res, err := p.PullProject(ctx, dir, func(msg string) { opts.F.Progress("%s", msg) })
	if res != nil {
		out := opts.F.IO.ErrOut
		for _, d := range res.Removed {
			fmt.Fprintf(out, "Removed unused chart version %s\n", d)
		}
		for _, d := range res.Pulled {
			fmt.Fprintf(out, "Pulled %s\n", d)
		}
		if len(res.UpToDate) != 0 {
			fmt.Fprintf(out, "%d chart version(s) already pulled\n", len(res.UpToDate))
		}
	}
	return err
}

// ProjectDir returns the project folder of the flags; it must hold
// .kluctl.yaml or .kluctl-library.yaml, as in the original (command names
// the command for the error).
func ProjectDir(fa *factory.Factory, f *projectargs.Flags, command string) (string, error) {
	dir := f.ProjectDir
	if dir == "" {
		dir = "."
	}
	abs, err := fa.Abs(dir)
	if err != nil {
		return "", err
	}
	for _, name := range []string{".kluctl.yaml", ".kluctl.yml", ".kluctl-library.yaml", ".kluctl-library.yml"} {
		if _, err := os.Stat(filepath.Join(abs, name)); err == nil {
			return abs, nil
		}
	}
	return "", fmt.Errorf("%s can only be used on the root of a Kluctl project that must have a .kluctl.yaml or .kluctl-library.yaml file", command)
}
