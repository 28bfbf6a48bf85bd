// Package controllercmd implements `kluctl controller run` (the GitOps
// controller) and `kluctl controller install` (the controller, its CRDs and
// RBAC, deployed into the cluster).
package controllercmd

import (
	"context"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/runtimelog"
)

// NewCmd returns the controller command group.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "controller", Short: "Kluctl controller sub-commands"}
	cmd.AddCommand(newRunCmd(f), newInstallCmd(f))
	return cmd
}

type runOptions struct {
	kubeconfig, kubeContext  string
	name, namespace, watchNS string
	metricsAddr, probeAddr   string
	pprofAddr                string
	qps                      float32
	burst                    int
	leaderElect, dryRun      bool
	concurrency              int
	defaultSA, labelSelector string
	allowUnsafeKubeconfigs   bool
	minFetchInterval         time.Duration
	requeueDependency        time.Duration
	results                  output.ResultFlags
}

func newRunCmd(f *factory.Factory) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the Kluctl controller",
		Long:  "This command will run the Kluctl Controller. This is usually meant to be run inside a cluster and not from your local machine.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.kubeconfig, "kubeconfig", "", "Override the kubeconfig to use.")
	fl.StringVar(&o.kubeContext, "context", "", "Override the context to use.")
	fl.StringVar(&o.name, "controller-name", "kluctl-controller", "The controller name used for metrics and logs.")
	fl.StringVar(&o.namespace, "controller-namespace", "kluctl-system", "The namespace where the controller runs in.")
	fl.StringVar(&o.watchNS, "namespace", "", "Specify the namespace to watch. If omitted, all namespaces are watched.")
	fl.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "The address the metric endpoint binds to.")
	fl.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "The address the probe endpoint binds to.")
	fl.BoolVar(&o.leaderElect, "leader-elect", false, "Enable leader election for controller manager. Enabling this will ensure there is only one active controller manager.")
	fl.IntVar(&o.concurrency, "concurrency", 4, "Configures how many KluctlDeployments can be be reconciled concurrently.")
	fl.StringVar(&o.defaultSA, "default-service-account", "", "Default service account used for impersonation.")
	fl.BoolVar(&o.dryRun, "dry-run", false, "Run all deployments in dryRun=true mode.")
	fl.StringVar(&o.labelSelector, "label-selector", "", "Only reconcile KluctlDeployments matching this label selector (to shard a fleet across several controllers).")
	fl.BoolVar(&o.allowUnsafeKubeconfigs, "allow-unsafe-kubeconfigs", false, "Accept kubeConfig secrets with exec or auth-provider users, files or insecure-skip-tls-verify.")
	fl.DurationVar(&o.requeueDependency, "requeue-dependency", 30*time.Second, "The interval at which failing dependencies (dependsOn of flux.kluctl.io KluctlDeployments) are reevaluated.")
	fl.DurationVar(&o.minFetchInterval, "git-min-fetch-interval", 5*time.Second, "Reuse a fetch of a git repository that is younger than this, across KluctlDeployments.")
	fl.Float32Var(&o.qps, "kube-api-qps", 100, "The maximum queries per second of the controller's own requests to the API server (KluctlDeployments, status, events).")
	fl.IntVar(&o.burst, "kube-api-burst", 300, "The maximum burst of the controller's own requests to the API server.")
	fl.StringVar(&o.pprofAddr, "pprof-bind-address", "", "The address the pprof endpoint binds to (empty: disabled).")
	_ = fl.MarkHidden("pprof-bind-address")
	o.results.AddResultFlags(cmd)
	return cmd
}

func (o *runOptions) restConfig(f *factory.Factory) (*rest.Config, error) {
	explicit := ""
	if o.kubeconfig != "" {
		var err error
		if explicit, err = f.Abs(o.kubeconfig); err != nil {
			return nil, err
		}
	}
	if explicit == "" && f.Getenv("KUBECONFIG") == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return cfg, nil
		}
	}
	return k8s.LoadRESTConfig(f.Getenv, explicit, o.kubeContext)
}

func (o *runOptions) run(ctx context.Context, f *factory.Factory) error {
	cfg, err := o.restConfig(f)
	if err != nil {
		return err
	}
	logger := NewLogger(f.IO.ErrOut)
	// controller-runtime's own lines (informer caches, API warnings) belong
	// in the controller's log too.
	defer runtimelog.Route(logger.WithName("controller-runtime"))()
	base := filepath.Join(filepath.Dir(engine.DefaultScratchDir(f.Getenv)), "controller")
	return controller.Run(ctx, cfg, controller.RunOptions{
		Options: controller.Options{
			Name: o.name, Namespace: o.namespace, DefaultServiceAccount: o.defaultSA, DryRun: o.dryRun, Getenv: f.Getenv,
			Concurrency: o.concurrency, WriteResults: o.results.Write,
			Results:                o.results.StoreOptions(),
			SourceDir:              filepath.Join(base, "sources"),
			ScratchDir:             filepath.Join(base, "scratch"),
			AllowUnsafeKubeconfigs: o.allowUnsafeKubeconfigs,
			MinFetchInterval:       o.minFetchInterval,
			RequeueDependency:      o.requeueDependency,
		},
		WatchNamespace: o.watchNS, LabelSelector: o.labelSelector,
		MetricsAddr: o.metricsAddr, ProbeAddr: o.probeAddr, PprofAddr: o.pprofAddr, QPS: o.qps, Burst: o.burst, LeaderElect: o.leaderElect,
		Logger: logger,
	})
}
