// Package cli builds the kluctl command tree and runs it. Main is the only
// entry point; it maps errors to exit codes in one place.
package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/go-logr/logr/funcr"
	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/completion"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/version"
	"github.com/kluctl-go/kluctl/internal/iostreams"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/runtimelog"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "v0.0.0-dev"

type globalFlags struct {
	debug, noColor, noUpdateCheck, gopsAgent, systemPython bool
	cpuProfile, gopsAgentAddr                              string
}

// NewRootCmd builds the command tree for one invocation.
func NewRootCmd(f *factory.Factory, env *Env) *cobra.Command {
	var g globalFlags
	var stopProfile func()
	root := &cobra.Command{
		Use:           "kluctl",
		Short:         "Deploy and manage complex deployments on Kubernetes",
		Long:          "kluctl is the missing glue: it renders Kluctl projects (Jinja2 templated Kustomize\nfolders and Helm charts) for a target and deploys, diffs, prunes and deletes them.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Bare(f.Version),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := applyEnvAndConfig(cmd, env.Environ, env.config); err != nil {
				return &UsageError{Err: err}
			}
			f.Debug = g.debug
			if f.Debug && env.configPath != "" {
				f.Debugf("read config file %s", env.configPath)
			}
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
	root.SetVersionTemplate("kluctl version {{.Version}}\n")
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
	pf.BoolVar(&g.systemPython, "use-system-python", false, "Use the system Python instead of the embedded Python (accepted for compatibility; no Python is used)")
	_ = pf.MarkHidden("use-system-python")
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

// Env is the process environment of one invocation.
type Env struct {
	// Environ is the environment as KEY=VALUE strings.
	Environ []string
	// Getwd returns the working folder.
	Getwd func() (string, error)
	// ConfigDirs are searched, in order, for the config file (config.yaml
	// with flag defaults); the first file found is used. Empty means
	// /etc/kluctl and $HOME/.kluctl, as in the original.
	ConfigDirs []string

	config     map[string]any
	configPath string
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, io *iostreams.IOStreams) int {
	return MainWithEnv(ctx, args, io, Env{Environ: os.Environ(), Getwd: os.Getwd})
}

// MainWithEnv is Main with an explicit environment, for in-process tests.
func MainWithEnv(ctx context.Context, args []string, io *iostreams.IOStreams, env Env) int {
	vars := map[string]string{}
	for _, kv := range env.Environ {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	if env.Getwd == nil {
		env.Getwd = os.Getwd
	}
	if env.ConfigDirs == nil {
		env.ConfigDirs = []string{"/etc/kluctl"}
		if h := getenv("HOME"); h != "" {
			env.ConfigDirs = append(env.ConfigDirs, filepath.Join(h, ".kluctl"))
		}
	}
	cfg, path, err := loadConfigFile(env.ConfigDirs)
	if err != nil {
		fmt.Fprintf(io.ErrOut, "Error: %v\n", err)
		return ExitFailure
	}
	env.config, env.configPath = cfg, path
	f := &factory.Factory{IO: io, Getenv: getenv, Getwd: env.Getwd, Version: Version, Pool: k8s.NewPool(k8s.PoolOptions{})}
	restore := quietKlog(f)
	defer restore()
	defer runtimelog.Route(funcr.New(func(prefix, args string) {
		f.Debugf("controller-runtime: %s %s", prefix, args)
	}, funcr.Options{}))()
	return run(ctx, f, &env, args)
}

func run(ctx context.Context, f *factory.Factory, env *Env, args []string) int {
	root := NewRootCmd(f, env)
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
