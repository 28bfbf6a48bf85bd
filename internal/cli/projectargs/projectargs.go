// Package projectargs holds the flags shared by every command that works on
// a Kluctl project (-t, -a, --project-dir, inclusion filters, ...) and turns
// them into the engine's options. It is the only place where args files
// and --fixed-images-file are read and relative paths are resolved.
package projectargs

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/render"
)

// Flags are the project, target, inclusion and render flags.
type Flags struct {
	ProjectDir         string
	ProjectConfig      string
	Kubeconfig         string
	Target             string
	TargetNameOverride string
	Context            string
	Args               []string
	ArgsFromFile       []string
	Timeout            time.Duration

	IncludeTags, ExcludeTags []string
	IncludeDirs, ExcludeDirs []string

	FixedImages     []string
	FixedImagesFile string

	OfflineKubernetes bool
	KubernetesVersion string
	RenderOutputDir   string

	Compat CompatFlags
}

// AddProjectDirFlags registers --project-dir, -c and --timeout, which every
// project command takes (list-targets only these).
func (f *Flags) AddProjectDirFlags(cmd *cobra.Command, fa *factory.Factory) {
	fl := cmd.Flags()
	fl.Var(newPathValue(&f.ProjectDir, existingDir, fa.ExpandHome, fa.Abs), "project-dir", "Specify the project directory. Defaults to the current working directory.")
	fl.VarP(newPathValue(&f.ProjectConfig, existingFile, fa.ExpandHome, fa.Abs), "project-config", "c", "Location of the .kluctl.yaml config file. Defaults to $PROJECT/.kluctl.yaml")
	fl.DurationVar(&f.Timeout, "timeout", 10*time.Minute, "Specify timeout for all operations, including loading of the project, all external api calls and waiting for readiness.")
	f.Compat.AddProjectCompatFlags(cmd)
}

// AddProjectFlags registers the project, kubeconfig, target, args and image
// flags.
func (f *Flags) AddProjectFlags(cmd *cobra.Command, fa *factory.Factory) {
	f.AddProjectDirFlags(cmd, fa)
	fl := cmd.Flags()
	fl.Var(newPathValue(&f.Kubeconfig, existingFile, fa.ExpandHome, fa.Abs), "kubeconfig", "Overrides the kubeconfig to use.")
	fl.StringVarP(&f.Target, "target", "t", "", "Target name to run command for. Target must exist in .kluctl.yaml.")
	fl.StringVarP(&f.TargetNameOverride, "target-name-override", "T", "", "Overrides the target name. If -t is used at the same time, then the target will be looked up based on -t <name> and then renamed to the value of -T. If no target is specified via -t, then the no-name target is renamed to the value of -T.")
	fl.StringVar(&f.Context, "context", "", "Overrides the context name specified in the target. If the selected target does not specify a context or the no-name target is used, --context will override the currently active context.")
	fl.StringArrayVarP(&f.Args, "arg", "a", nil, "Passes a template argument in the form of name=value. Nested args can be set with the '-a my.nested.arg=value' syntax. Values are interpreted as yaml values, meaning that 'true' and 'false' will lead to boolean values and numbers will be treated as numbers. Use quotes if you want these to be treated as strings. If the value starts with @, it is treated as a file, meaning that the contents of the file will be loaded and treated as yaml.")
	fl.StringArrayVar(&f.ArgsFromFile, "args-from-file", nil, "Loads a yaml file and makes it available as arguments, meaning that they will be available thought the global 'args' variable.")
	_ = cmd.RegisterFlagCompletionFunc("target", completeTargets(f, fa))
	f.Compat.AddCredentialFlags(cmd)
}

// AddImageFlags registers -F and --fixed-images-file.
func (f *Flags) AddImageFlags(cmd *cobra.Command, fa *factory.Factory) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.FixedImages, "fixed-image", "F", nil, "Pin an image to a given version. Expects '--fixed-image=image<:namespace:deployment:container>=result'")
	fl.Var(newPathValue(&f.FixedImagesFile, existingFile, fa.ExpandHome, fa.Abs), "fixed-images-file", "Use .yaml file to pin image versions. See output of list-images sub-command or read the documentation for details about the output format")
}

// AddTargetCommandFlags registers what every command that renders a target
// for the cluster takes: project, image, inclusion and render output
// flags.
func (f *Flags) AddTargetCommandFlags(cmd *cobra.Command, fa *factory.Factory) {
	f.AddProjectFlags(cmd, fa)
	f.AddImageFlags(cmd, fa)
	f.AddInclusionFlags(cmd)
	f.AddRenderOutputFlag(cmd)
}

// AddInclusionFlags registers -I/-E and the deployment dir filters.
func (f *Flags) AddInclusionFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.IncludeTags, "include-tag", "I", nil, "Include deployments with given tag.")
	fl.StringArrayVarP(&f.ExcludeTags, "exclude-tag", "E", nil, "Exclude deployments with given tag. Exclusion has precedence over inclusion, meaning that explicitly excluded deployments will always be excluded even if an inclusion rule would match the same deployment.")
	fl.StringArrayVar(&f.IncludeDirs, "include-deployment-dir", nil, "Include deployment dir. The path must be relative to the root deployment project.")
	fl.StringArrayVar(&f.ExcludeDirs, "exclude-deployment-dir", nil, "Exclude deployment dir. The path must be relative to the root deployment project. Exclusion has precedence over inclusion, same as in --exclude-tag")
}

// AddOfflineFlags registers --offline-kubernetes and --kubernetes-version.
func (f *Flags) AddOfflineFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.OfflineKubernetes, "offline-kubernetes", false, "Run command in offline mode, meaning that it will not try to connect the target cluster")
	fl.StringVar(&f.KubernetesVersion, "kubernetes-version", "", "Specify the Kubernetes version that will be assumed. This will also override the kubeVersion used when rendering Helm Charts.")
}

// AddRenderOutputFlag registers --render-output-dir.
func (f *Flags) AddRenderOutputFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.RenderOutputDir, "render-output-dir", "", "Specifies the target directory to render the project into. If omitted, a temporary directory is used.")
}

// Inclusion returns the inclusion filters of the flags.
func (f *Flags) Inclusion() (render.Inclusion, error) {
	for _, d := range f.IncludeDirs {
		if filepath.IsAbs(d) {
			return render.Inclusion{}, fmt.Errorf("--include-deployment-dir path must be relative")
		}
	}
	for _, d := range f.ExcludeDirs {
		if filepath.IsAbs(d) {
			return render.Inclusion{}, fmt.Errorf("--exclude-deployment-dir path must be relative")
		}
	}
	return render.Inclusion{IncludeTags: f.IncludeTags, ExcludeTags: f.ExcludeTags, IncludeDirs: f.IncludeDirs, ExcludeDirs: f.ExcludeDirs}, nil
}

// EngineOptions turns the flags into the engine's options: paths are made
// absolute, args files and @file args and the fixed images file are read,
// and the cluster is reached through --kubeconfig (or $KUBECONFIG).
func (f *Flags) EngineOptions(fa *factory.Factory) (engine.Options, error) {
	var o engine.Options
	dir := f.ProjectDir
	if dir == "" {
		dir = "."
	}
	var err error
	if o.ProjectDir, err = fa.Abs(dir); err != nil {
		return o, err
	}
	if f.ProjectConfig != "" {
		if o.ConfigPath, err = fa.Abs(f.ProjectConfig); err != nil {
			return o, err
		}
	}
	if o.Args, err = ParseArgs(f.Args, f.ArgsFromFile, fa.Abs); err != nil {
		return o, err
	}
	if o.FixedImages, err = f.fixedImages(fa); err != nil {
		return o, err
	}
	if o.Inclusion, err = f.Inclusion(); err != nil {
		return o, err
	}
	if f.RenderOutputDir != "" {
		if o.RenderOutputDir, err = fa.Abs(f.RenderOutputDir); err != nil {
			return o, err
		}
	}
	o.Target = f.Target
	o.TargetNameOverride = f.TargetNameOverride
	o.Context = f.Context
	o.Offline = f.OfflineKubernetes
	o.KubernetesVersion = f.KubernetesVersion
	o.Getenv = fa.Getenv
	o.Progress = fa.ProgressHook()
	if d := fa.Getenv("KLUCTL_BASE_TMP_DIR"); d != "" {
		o.ScratchDir = filepath.Join(d, "scratch")
	}
	if o.FetchGit, err = f.gitFetcher(fa); err != nil {
		return o, err
	}
	if o.PullChart, err = f.pullChart(fa); err != nil {
		return o, err
	}
	if o.FetchOCI, err = f.ociFetcher(fa); err != nil {
		return o, err
	}
	o.Decrypt = sopsDecrypt(fa)
	o.Cluster = engine.ClusterFunc(func(ctx context.Context, kubeContext string) (*engine.Cluster, error) {
		return f.connect(fa, kubeContext)
	})
	return o, nil
}

func (f *Flags) fixedImages(fa *factory.Factory) ([]project.FixedImage, error) {
	var fixed []project.FixedImage
	if f.FixedImagesFile != "" {
		p, err := fa.Abs(f.FixedImagesFile)
		if err != nil {
			return nil, err
		}
		if fixed, err = project.LoadFixedImagesFile(p); err != nil {
			return nil, err
		}
	}
	for _, s := range f.FixedImages {
		fi, err := project.ParseFixedImageFlag(s)
		if err != nil {
			return nil, err
		}
		fixed = append(fixed, fi)
	}
	return fixed, nil
}

// connect loads the kubeconfig and returns the cluster of kubeContext.
func (f *Flags) connect(fa *factory.Factory, kubeContext string) (*engine.Cluster, error) {
	explicit := ""
	if f.Kubeconfig != "" {
		var err error
		if explicit, err = fa.Abs(f.Kubeconfig); err != nil {
			return nil, err
		}
	}
	rc, resolved, err := k8s.LoadKubeconfig(fa.Getenv, explicit, kubeContext)
	if err != nil {
		return nil, fmt.Errorf("%w (use --offline-kubernetes to render without a cluster)", err)
	}
	clients, err := fa.Pool.Clients(rc)
	if err != nil {
		return nil, err
	}
	name := kubeContext
	if name == "" {
		name = "current context"
	}
	fa.Debugf("connecting to %s at %s", name, rc.Host)
	return &engine.Cluster{Clients: clients, Name: fmt.Sprintf("%s (%s)", name, rc.Host), Context: resolved}, nil
}

// Load bounds ctx by --timeout and loads and renders the target through
// the engine. Call cancel when done.
func (f *Flags) Load(ctx context.Context, fa *factory.Factory, discriminator string) (context.Context, context.CancelFunc, *engine.Target, error) {
	opts, err := f.EngineOptions(fa)
	if err != nil {
		return nil, nil, nil, err
	}
	opts.Discriminator = discriminator
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	t, err := engine.Load(ctx, opts)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	fa.SetMasker(t.Masker())
	return ctx, cancel, t, nil
}

func completeTargets(f *Flags, fa *factory.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		dir := f.ProjectDir
		if dir == "" {
			dir = "."
		}
		abs, err := fa.Abs(dir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		cfgPath := ""
		if f.ProjectConfig != "" {
			if cfgPath, err = fa.Abs(f.ProjectConfig); err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
		}
		cfg, _, err := project.LoadKluctlConfig(abs, cfgPath)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return cfg.TargetNames(), cobra.ShellCompDirectiveNoFileComp
	}
}
