package controller

import (
	"context"
	"fmt"
	"os"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/api/v1beta1"
)

// LeaderElectionID names the lease of the controller's leader election
// (the original's).
const LeaderElectionID = "5ab5d0f9.kluctl.io"

// RunOptions configure Run: the reconciler's options plus the manager's.
type RunOptions struct {
	Options
	// WatchNamespace limits the watched KluctlDeployments; empty is all.
	WatchNamespace string
	// LabelSelector limits the watched KluctlDeployments (sharding).
	LabelSelector string
	// MetricsAddr and ProbeAddr are the listen addresses; "0" disables.
	MetricsAddr, ProbeAddr string
	// PprofAddr serves net/http/pprof when set.
	PprofAddr   string
	LeaderElect bool
	// QPS and Burst bound the controller's own requests (KluctlDeployments,
	// status, events); 0 keeps the client's defaults. Deployments use the
	// engine's clients, bounded by requests in flight instead.
	QPS   float32
	Burst int
	// Logger receives the controller's structured logs.
	Logger logr.Logger
}

// Run runs the controller until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, opts RunOptions) error {
	scheme, err := Scheme()
	if err != nil {
		return err
	}
	byObject := map[client.Object]cache.ByObject{}
	if opts.LabelSelector != "" {
		sel, err := labels.Parse(opts.LabelSelector)
		if err != nil {
			return fmt.Errorf("--label-selector: %w", err)
		}
		byObject[&v1beta1.KluctlDeployment{}] = cache.ByObject{Label: sel}
		byObject[&v1alpha1.KluctlDeployment{}] = cache.ByObject{Label: sel}
	}
	cacheOpts := cache.Options{ByObject: byObject}
	if opts.WatchNamespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{opts.WatchNamespace: {}}
	}
	if opts.ScratchDir == "" || opts.SourceDir == "" {
		dir, err := os.MkdirTemp("", "kluctl-controller-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if opts.ScratchDir == "" {
			opts.ScratchDir = dir + "/scratch"
		}
		if opts.SourceDir == "" {
			opts.SourceDir = dir + "/sources"
		}
	}
	cfg = rest.CopyConfig(cfg)
	if opts.QPS > 0 {
		cfg.QPS = opts.QPS
	}
	if opts.Burst > 0 {
		cfg.Burst = opts.Burst
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 opts.Logger,
		Cache:                  cacheOpts,
		Metrics:                metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress: opts.ProbeAddr,
		PprofBindAddress:       opts.PprofAddr,
		LeaderElection:         opts.LeaderElect,
		// A controller that stops gives up its lease, so that another
		// replica takes over at once instead of after the lease expires.
		LeaderElectionReleaseOnCancel: true,
		LeaderElectionID:              "5ab5d0f9.kluctl.io",
		LeaderElectionNamespace:       opts.Namespace,
	})
	if err != nil {
		return fmt.Errorf("create the controller manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	r, err := Setup(mgr, opts.Options)
	if err != nil {
		return err
	}
	defer r.Close()
	return mgr.Start(ctx)
}
