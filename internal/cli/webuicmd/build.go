package webuicmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/webui"
)

type buildOptions struct {
	ctxs       contextFlags
	path       string
	maxResults int
	timeout    time.Duration
}

func newBuildCmd(f *factory.Factory) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the static Kluctl Webui",
		Long:  "Build a static, read-only copy of the Kluctl Webui with the newest results of every project and target. Its pages load from disk or any static web server.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	o.ctxs.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.path, "path", "", "Output path.")
	fl.IntVar(&o.maxResults, "max-results", 1, "Specify the maximum number of results per target.")
	fl.DurationVar(&o.timeout, "timeout", 2*time.Minute, "How long reading the clusters may take.")
	_ = cmd.MarkFlagRequired("path")
	return cmd
}

func (o *buildOptions) run(ctx context.Context, f *factory.Factory) error {
	path, err := f.Abs(o.path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	clusters, err := o.ctxs.clusters(ctx, f)
	if err != nil {
		return err
	}
	srv, err := webui.NewServer(ctx, clusters, nil, webui.Options{Logf: func(format string, args ...any) { f.Progress(format, args...) }})
	if err != nil {
		return err
	}
	collectCtx, stop := context.WithCancel(ctx)
	defer stop()
	select {
	case <-srv.Collect(collectCtx):
	case <-ctx.Done():
		return fmt.Errorf("read the clusters: %w", ctx.Err())
	}
	if err := srv.BuildStatic(ctx, path, o.maxResults); err != nil {
		return fmt.Errorf("build the webui into %s: %w", path, err)
	}
	fmt.Fprintf(f.IO.ErrOut, "Built the static webui into %s\n", path)
	return nil
}
