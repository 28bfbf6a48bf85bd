// Package listtargets implements `kluctl list-targets`.
package listtargets

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/project"
)

// Options of the list-targets command.
type Options struct {
	F             *factory.Factory
	ProjectDir    string
	ProjectConfig string
	Output        string
}

// NewCmd returns the list-targets command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "list-targets",
		Short: "Outputs a yaml list with all targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.ProjectDir, "project-dir", "", "Specify the project directory. Defaults to the current working directory.")
	cmd.Flags().StringVarP(&opts.ProjectConfig, "project-config", "c", "", "Location of the .kluctl.yaml config file.")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "yaml", "Output format: yaml or json")
	return cmd
}

func run(opts *Options) error {
	dir := opts.ProjectDir
	if dir == "" {
		dir = "."
	}
	cfg, _, err := project.LoadKluctlConfig(dir, opts.ProjectConfig)
	if err != nil {
		return err
	}
	targets := cfg.Targets
	if targets == nil {
		targets = []project.TargetConfig{}
	}
	var b []byte
	switch opts.Output {
	case "yaml":
		b, err = yaml.Marshal(targets)
	case "json":
		b, err = json.MarshalIndent(targets, "", "  ")
		b = append(b, '\n')
	default:
		return fmt.Errorf("unknown output format %q: use yaml or json", opts.Output)
	}
	if err != nil {
		return err
	}
	_, err = opts.F.IO.Out.Write(b)
	return err
}
