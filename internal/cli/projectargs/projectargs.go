// Package projectargs holds the flags shared by every command that works on
// a Kluctl project (-t, -a, --project-dir, inclusion filters, ...) and loads
// and renders the project from them.
package projectargs

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/render"
)

// Flags are the project, inclusion and render flags.
type Flags struct {
	ProjectDir         string
	ProjectConfig      string
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
}

// AddProjectFlags registers the project arguments on cmd.
func (f *Flags) AddProjectFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.ProjectDir, "project-dir", "", "Specify the project directory. Defaults to the current working directory.")
	fl.StringVarP(&f.ProjectConfig, "project-config", "c", "", "Location of the .kluctl.yaml config file. Defaults to $PROJECT/.kluctl.yaml")
	fl.StringVarP(&f.Target, "target", "t", "", "Target name to run command for. Target must exist in .kluctl.yaml.")
	fl.StringVarP(&f.TargetNameOverride, "target-name-override", "T", "", "Overrides the target name.")
	fl.StringVar(&f.Context, "context", "", "Overrides the context name specified in the target.")
	fl.StringArrayVarP(&f.Args, "arg", "a", nil, "Passes a template argument in the form of name=value. Nested args can be set with the '-a my.nested.arg=value' syntax. Values are interpreted as yaml values. If the value starts with @, it is treated as a file.")
	fl.StringArrayVar(&f.ArgsFromFile, "args-from-file", nil, "Loads a yaml file and makes it available as arguments.")
	fl.DurationVar(&f.Timeout, "timeout", 10*time.Minute, "Specify timeout for all operations, including loading of the project, all external api calls and waiting for readiness.")
	fl.StringArrayVarP(&f.FixedImages, "fixed-image", "F", nil, "Pin an image to a given version. Expects '--fixed-image=image<:namespace:deployment:container>=result'")
	fl.StringVar(&f.FixedImagesFile, "fixed-images-file", "", "Use .yaml file to pin image versions.")
	_ = cmd.RegisterFlagCompletionFunc("target", completeTargets(f))
}

// AddTargetCommandFlags registers what every command that renders a target
// for the cluster takes: project, inclusion and render output flags.
func (f *Flags) AddTargetCommandFlags(cmd *cobra.Command) {
	f.AddProjectFlags(cmd)
	f.AddInclusionFlags(cmd)
	f.AddRenderOutputFlag(cmd)
}

// AddInclusionFlags registers -I/-E and the deployment dir filters.
func (f *Flags) AddInclusionFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.IncludeTags, "include-tag", "I", nil, "Include deployments with given tag.")
	fl.StringArrayVarP(&f.ExcludeTags, "exclude-tag", "E", nil, "Exclude deployments with given tag. Exclusion has precedence over inclusion.")
	fl.StringArrayVar(&f.IncludeDirs, "include-deployment-dir", nil, "Include deployment dir. The path must be relative to the root deployment project.")
	fl.StringArrayVar(&f.ExcludeDirs, "exclude-deployment-dir", nil, "Exclude deployment dir. The path must be relative to the root deployment project.")
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
func (f *Flags) Inclusion() *render.Inclusion {
	return &render.Inclusion{IncludeTags: f.IncludeTags, ExcludeTags: f.ExcludeTags, IncludeDirs: f.IncludeDirs, ExcludeDirs: f.ExcludeDirs}
}

// Loaded is a loaded and rendered project, with the cluster clients when
// online.
type Loaded struct {
	Project    *project.Project
	Result     *render.Result
	RESTConfig *rest.Config
	Clients    *k8s.Clients
}

// Load loads the project for the target and renders it. Unless offline, it
// connects to the target's cluster first (for cluster vars and Helm
// capabilities).
func (f *Flags) Load(ctx context.Context, fa *factory.Factory) (*Loaded, error) {
	out := &Loaded{}
	var err error
	var reader project.ClusterReader
	if !f.OfflineKubernetes {
		kubeContext := f.Context
		if kubeContext == "" {
			// The target's context may be a template over args.
			t, err := project.RenderTarget(ctx, project.LoadOptions{ProjectDir: f.ProjectDir, ConfigPath: f.ProjectConfig, Target: f.targetOptions()})
			if err != nil {
				return nil, err
			}
			kubeContext = t.Context
		}
		rc, err := k8s.LoadRESTConfig(fa.Getenv, kubeContext)
		if err != nil {
			return nil, fmt.Errorf("%w (use --offline-kubernetes to render without a cluster)", err)
		}
		out.RESTConfig = rc
		out.Clients, err = k8s.NewClients(rc)
		if err != nil {
			return nil, err
		}
		reader = project.DynamicClusterReader{Client: out.Clients.Dynamic}
	}
	var fixed []project.FixedImage
	if f.FixedImagesFile != "" {
		if fixed, err = project.LoadFixedImagesFile(f.FixedImagesFile); err != nil {
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
	p, err := project.Load(ctx, project.LoadOptions{
		FixedImages: fixed,
		ProjectDir:  f.ProjectDir,
		ConfigPath:  f.ProjectConfig,
		Target:      f.targetOptions(),
		Cluster:     reader,
		Getenv:      fa.Getenv,
	})
	if err != nil {
		return nil, err
	}
	out.Project = p
	ropts := render.Options{KubernetesVersion: f.KubernetesVersion, OutputDir: f.RenderOutputDir, Inclusion: f.Inclusion()}
	if out.Clients != nil {
		if ropts.KubernetesVersion == "" {
			if ropts.KubernetesVersion, err = out.Clients.ServerVersion(); err != nil {
				return nil, err
			}
		}
		if ropts.APIVersions, err = out.Clients.APIVersions(); err != nil {
			return nil, err
		}
		ropts.Scope = k8s.NewScope(out.Clients.Mapper)
	}
	start := time.Now()
	fa.Progress("Rendering target %q...", p.Target.Name)
	out.Result, err = render.Render(ctx, p, ropts)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, it := range out.Result.Items {
		n += len(it.Objects)
	}
	fa.Progress("Rendered %d objects of %d deployment items in %s", n, len(out.Result.Items), time.Since(start).Round(time.Millisecond))
	return out, nil
}

func (f *Flags) projectDirOrCwd() string {
	if f.ProjectDir != "" {
		return f.ProjectDir
	}
	return "."
}

func (f *Flags) targetOptions() project.TargetOptions {
	return project.TargetOptions{
		Name: f.Target, NameOverride: f.TargetNameOverride,
		Args: f.Args, ArgsFiles: f.ArgsFromFile, Context: f.Context,
	}
}

func completeTargets(f *Flags) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		cfg, _, err := project.LoadKluctlConfig(f.projectDirOrCwd(), f.ProjectConfig)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return cfg.TargetNames(), cobra.ShellCompDirectiveNoFileComp
	}
}
