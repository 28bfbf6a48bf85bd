// Package ocicmd implements `kluctl oci push`, which packs a project
// folder into an OCI artifact and pushes it to a registry, for OCI
// includes and the controller's spec.source.oci.
package ocicmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/gitinfo"
	"github.com/kluctl-go/kluctl/internal/ocisource"
)

// NewCmd returns the oci command group.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "oci",
		Short: "Oci related subcommands",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(NewPushCmd(f, nil))
	return cmd
}

// PushOptions of the oci push command.
type PushOptions struct {
	F       *factory.Factory
	Project projectargs.Flags
	// URL is oci://<registry>/<repository>[:<tag>].
	URL string
	// Annotations are <key>=<value>.
	Annotations []string
	// Output is "", json or yaml.
	Output string
}

// NewPushCmd returns the oci push command.
func NewPushCmd(f *factory.Factory, runF func(context.Context, *PushOptions) error) *cobra.Command {
	opts := &PushOptions{F: f}
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Push to an oci repository",
		Long: `The push command creates a tarball from the current project and uploads the
artifact to an OCI repository.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPush(cmd.Context(), opts)
		},
	}
	opts.Project.AddOCIPushFlags(cmd, f)
	fl := cmd.Flags()
	fl.StringVar(&opts.URL, "url", "", "Specifies the artifact URL. This argument is required.")
	fl.StringArrayVar(&opts.Annotations, "annotation", nil, "Set custom OCI annotations in the format '<key>=<value>'")
	fl.StringVar(&opts.Output, "output", "", "the format in which the artifact digest should be printed, can be 'json' or 'yaml'")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}

func runPush(ctx context.Context, opts *PushOptions) error {
	switch opts.Output {
	case "", "json", "yaml":
	default:
		return fmt.Errorf("invalid --output %q: must be json or yaml", opts.Output)
	}
	u, tag, err := ocisource.ParseTaggedURL(opts.URL)
	if err != nil {
		return fmt.Errorf("invalid --url: %w", err)
	}
	annotations, err := parseAnnotations(opts.Annotations)
	if err != nil {
		return err
	}
	dir := opts.Project.ProjectDir
	if dir == "" {
		dir = "."
	}
	if dir, err = opts.F.Abs(dir); err != nil {
		return err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("invalid path '%s', must point to an existing project", dir)
	}
	anns, err := gitAnnotations(dir)
	if err != nil {
		return err
	}
	// Custom annotations win over the OpenContainers ones, the git info
	// over both, as in the original.
	for k, v := range annotations {
		if k != ocisource.GitInfoAnnotation {
			anns[k] = v
		}
	}
	reg, err := opts.Project.OCIRegistry(opts.F)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Project.Timeout)
	defer cancel()
	opts.F.Progress("Pushing artifact to %s:%s", strings.TrimPrefix(u.String(), "oci://"), tag)
	pushed, err := ocisource.Push(ctx, reg, u, tag, dir, anns)
	if err != nil {
		return fmt.Errorf("pushing artifact failed: %w", err)
	}
	switch opts.Output {
	case "json":
		b, err := json.MarshalIndent(pushed, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(opts.F.IO.Out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(pushed)
		if err != nil {
			return err
		}
		_, err = opts.F.IO.Out.Write(b)
		return err
	}
	fmt.Fprintf(opts.F.IO.ErrOut, "Artifact successfully pushed to %s\n", strings.TrimPrefix(pushed.URL, "oci://"))
	return nil
}

func parseAnnotations(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range values {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid annotation %s, must be in the format key=value", a)
		}
		out[k] = v
	}
	return out, nil
}

// gitAnnotations are the annotations of the git checkout holding dir
// (empty outside git): the OpenContainers source (the origin, without
// credentials) and revision (the commit), and the git info as JSON.
func gitAnnotations(dir string) (map[string]string, error) {
	gi, _, err := gitinfo.Build(gitRoot(dir), dir)
	if err != nil {
		return nil, err
	}
	info, err := json.Marshal(gi)
	if err != nil {
		return nil, err
	}
	out := map[string]string{ocisource.SourceAnnotation: "", ocisource.RevisionAnnotation: gi.Commit, ocisource.GitInfoAnnotation: string(info)}
	if gi.URL != nil {
		out[ocisource.SourceAnnotation] = *gi.URL
	}
	return out, nil
}

// gitRoot is the closest folder at or above dir holding .git, "" if none.
func gitRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
