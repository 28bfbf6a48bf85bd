// Package cli builds the kluctl command tree and runs it. Main is the only
// entry point; it maps errors to exit codes in one place.
package cli

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/completion"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/version"
	"github.com/kluctl-go/kluctl/internal/iostreams"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "v0.0.0-dev"

type globalFlags struct {
	debug, noColor, noUpdateCheck, gopsAgent bool
	cpuProfile, gopsAgentAddr                string
}

// NewRootCmd builds the command tree for one invocation.
func NewRootCmd(f *factory.Factory) *cobra.Command {
	var g globalFlags
	var stopProfile func()
	root := &cobra.Command{
		Use:           "kluctl",
		Short:         "Deploy and manage complex deployments on Kubernetes",
		Long:          "kluctl is the missing glue: it renders Kluctl projects (Jinja2 templated Kustomize\nfolders and Helm charts) for a target and deploys, diffs, prunes and deletes them.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			f.Debug = g.debug
			f.IO.NoColor = g.noColor || f.Getenv("NO_COLOR") != ""
			if g.cpuProfile != "" {
				stop, err := startCPUProfile(g.cpuProfile)
				if err != nil {
					return err
				}
				stopProfile = stop
			}
			return nil
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if stopProfile != nil {
				stopProfile()
			}
		},
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &UsageError{Err: fmt.Errorf("%w\nSee '%s --help' for usage", err, cmd.CommandPath())}
	})

	pf := root.PersistentFlags()
	pf.BoolVar(&g.debug, "debug", false, "Enable debug logging")
	pf.BoolVar(&g.noColor, "no-color", false, "Disable colored output")
	pf.BoolVar(&g.noUpdateCheck, "no-update-check", false, "Disable update check on startup")
	pf.StringVar(&g.cpuProfile, "cpu-profile", "", "Enable CPU profiling and write the result to the given path")
	pf.BoolVar(&g.gopsAgent, "gops-agent", false, "Start gops agent in the background (accepted for compatibility, no effect)")
	pf.StringVar(&g.gopsAgentAddr, "gops-agent-addr", "127.0.0.1:0", "Specify the address:port to use for the gops agent")
	_ = pf.MarkHidden("gops-agent")
	_ = pf.MarkHidden("gops-agent-addr")

	root.AddCommand(version.NewCmd(f))
	root.AddCommand(completion.NewCmd(f))
	addProjectCommands(root, f)
	return root
}

func startCPUProfile(path string) (func(), error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create cpu profile %s: %w", path, err)
	}
	if err := pprof.StartCPUProfile(fh); err != nil {
		fh.Close()
		return nil, fmt.Errorf("start cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); fh.Close() }, nil
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, io *iostreams.IOStreams) int {
	return MainWithEnv(ctx, args, io, os.Getenv)
}

// MainWithEnv is Main with an explicit environment, for in-process tests.
func MainWithEnv(ctx context.Context, args []string, io *iostreams.IOStreams, getenv func(string) string) int {
	f := &factory.Factory{IO: io, Getenv: getenv, Version: Version}
	return run(ctx, f, args)
}

func run(ctx context.Context, f *factory.Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && cmd != nil && isCobraUsageError(err) {
		err = &UsageError{Err: fmt.Errorf("%w\nSee '%s --help' for usage", err, cmd.CommandPath())}
	}
	return exitCode(err, f.IO.ErrOut)
}

// isCobraUsageError recognises cobra's own argument errors, which are plain
// errors without a type.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") ||
		strings.Contains(msg, "arg(s)") || strings.HasPrefix(msg, "requires at least")
}
