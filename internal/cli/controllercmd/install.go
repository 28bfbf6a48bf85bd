package controllercmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	clideploy "github.com/kluctl-go/kluctl/internal/cli/deploy"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/controller/install"
	"github.com/kluctl-go/kluctl/internal/deploy"
)

// installOptions are the options of `kluctl controller install`.
type installOptions struct {
	f *factory.Factory
	// project carries the cluster and args flags; the project itself is
	// the embedded install project.
	project projectargs.Flags
	output  output.Flags
	results output.ResultFlags

	yes, dryRun, noWait bool
	kluctlVersion       string
}

func newInstallCmd(f *factory.Factory) *cobra.Command {
	o := &installOptions{f: f}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the Kluctl controller",
		Long: `This command will install the kluctl-controller to the current Kubernetes clusters.

It deploys the embedded controller project (namespace kluctl-system, the CRDs of
gitops.kluctl.io KluctlDeployment and of the Flux-era flux.kluctl.io KluctlDeployment and
KluctlMultiDeployment, the controller's service account and RBAC, and the
kluctl-controller Deployment):
it shows a server-side dry-run diff and asks for confirmation (--yes skips it), then
applies and waits for the controller to become ready (--no-wait skips that). Running it again upgrades the
installation in place. The project's args (-a name=value) are kluctl_image,
kluctl_version, controller_args, controller_envs, controller_resources,
controller_node_selectors, controller_tolerations, controller_priority_class_name and
controller_service_account_annotations.`,
		Example: `  kluctl controller install --context my-cluster
  kluctl controller install --kluctl-version v2.27.0 -a 'controller_args=["--concurrency=8"]' \
      -a 'controller_envs=[{name: GOMAXPROCS, value: "2"}]' \
      -a 'controller_resources={requests: {cpu: 250m, memory: 256Mi}}'`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = o.output.RunE(o.run)
	fl := cmd.Flags()
	fl.StringVar(&o.project.Kubeconfig, "kubeconfig", "", "Override the kubeconfig to use.")
	fl.StringVar(&o.project.Context, "context", "", "Override the context to use.")
	fl.BoolVar(&o.dryRun, "dry-run", false, "Performs all kubernetes API calls in dry-run mode.")
	fl.BoolVarP(&o.yes, "yes", "y", false, "Suppresses 'Are you sure?' questions and proceeds as if you would answer 'yes'.")
	fl.BoolVar(&o.noWait, "no-wait", false, "Don't wait for the controller to become ready.")
	fl.StringVar(&o.kluctlVersion, "kluctl-version", "", "Specify the controller version to install.")
	fl.StringArrayVarP(&o.project.Args, "arg", "a", nil, "Passes an arg to the install project in the form of name=value (see above). Values are interpreted as yaml values; if the value starts with @, it is treated as a yaml file.")
	fl.StringArrayVar(&o.project.ArgsFromFile, "args-from-file", nil, "Loads a yaml file and passes its content as args to the install project.")
	fl.DurationVar(&o.project.Timeout, "timeout", 10*time.Minute, "Specify timeout for all operations, including loading of the project, all external api calls and waiting for readiness.")
	o.output.Add(cmd)
	o.results.AddResultFlags(cmd)
	return cmd
}

func (o *installOptions) run(ctx context.Context) error {
	f := o.f
	eopts, err := o.project.EngineOptions(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.project.Timeout)
	defer cancel()
	t, err := install.Load(ctx, eopts, install.Options{KluctlVersion: o.kluctlVersion})
	if err != nil {
		return err
	}
	f.SetMasker(t.Masker())

	dopts := deploy.DefaultOptions()
	dopts.DryRun = o.dryRun
	dopts.NoWait = o.noWait
	if !o.yes && !o.dryRun {
		if err := clideploy.ConfirmDeploy(ctx, f, t, dopts); err != nil {
			return err
		}
	}
	res, err := t.Deploy(ctx, dopts)
	o.results.StoreCommandResult(ctx, f.IO, t, res, o.dryRun)
	return o.output.Finish(f.IO, "controller install", res, err)
}
