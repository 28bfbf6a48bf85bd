// Package listimages implements `kluctl list-images`.
package listimages

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/project"
)

// Options of the list-images command.
type Options struct {
	F       *factory.Factory
	Project projectargs.Flags
	// Output lists the files to write to; "-" (the default) is stdout.
	Output []string
	// Simple keeps only image and resultImage of each entry.
	Simple bool
}

// NewCmd returns the list-images command; runF replaces the run step in
// tests.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "list-images",
		Short: "Renders the target and outputs all images used via 'images.get_image(...)",
		Long: "Renders the target and outputs all images used via 'images.get_image(...)\n" +
			"The result is a compatible with yaml files expected by --fixed-images-file.\n\n" +
			"If fixed images ('-f/--fixed-image') are provided, these are also taken into account,\n" +
			"as described in the deploy command.",
		Args: cobra.NoArgs,
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
	fl := cmd.Flags()
	fl.StringArrayVarP(&opts.Output, "output", "o", nil, "Specify output target file. Can be specified multiple times")
	fl.BoolVar(&opts.Simple, "simple", false, "Output a simplified version of the images list")
	return cmd
}

// fixedImagesConfig is the output: the layout --fixed-images-file reads.
type fixedImagesConfig struct {
	Images []project.FixedImage `json:"images,omitempty"`
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel, t, err := opts.Project.Load(ctx, opts.F, "")
	if err != nil {
		return err
	}
	defer cancel()
	images, err := t.SeenImages(ctx, opts.Simple)
	if err != nil {
		return err
	}
	out, err := encode(fixedImagesConfig{Images: images}, t.Rendered.DecryptedValues)
	if err != nil {
		return err
	}
	return opts.F.WriteOutputs(opts.Output, out, "images")
}

// encode writes cfg as YAML (keys sorted, as the original writes it),
// with values decrypted from SOPS files masked as render --print-all does.
func encode(cfg fixedImagesConfig, decrypted []string) ([]byte, error) {
	if len(decrypted) == 0 {
		return yaml.Marshal(cfg)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, err
	}
	return yaml.Marshal(diff.NewMasker(decrypted).Value(generic))
}
