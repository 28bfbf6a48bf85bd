// Package controller is the GitOps controller: it reconciles
// KluctlDeployment objects (gitops.kluctl.io/v1beta1) by fetching the
// project from git and running the engine's deploy, prune, validate and
// drift detection, exactly as the CLI runs them, storing every result in
// the result store and reporting status, conditions and events.
package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/fluxartifact"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/results"
)

// Options configure the controller.
type Options struct {
	// Name is the controller's name in events, logs and field managers.
	Name string
	// Getenv reads the controller's environment; deployments see only
	// the credentials of secret stores in it (see secretStoreEnv). Nil is
	// an empty environment.
	Getenv func(string) string
	// Namespace is where the controller runs.
	Namespace string
	// DefaultServiceAccount is impersonated when a KluctlDeployment names
	// none; empty deploys with the controller's own identity.
	DefaultServiceAccount string
	// DryRun forces every deployment into dry-run mode.
	DryRun bool
	// Concurrency bounds the KluctlDeployments reconciled at once.
	Concurrency int
	// WriteResults stores command results; Results configures the store.
	WriteResults bool
	Results      results.Options
	// SourceDir holds the git cache; ScratchDir the render trees.
	SourceDir, ScratchDir string
	// AllowUnsafeKubeconfigs accepts kubeconfig Secrets with exec or
	// auth-provider users or insecure-skip-tls-verify.
	AllowUnsafeKubeconfigs bool
	// MinFetchInterval deduplicates fetches of one repository.
	MinFetchInterval time.Duration
	// RequeueDependency is the wait before a flux.kluctl.io deployment
	// whose dependsOn are not ready is tried again; 30s when 0.
	RequeueDependency time.Duration
}

// Reconciler reconciles KluctlDeployments.
type Reconciler struct {
	client    client.Client
	apiReader client.Reader
	config    *rest.Config
	recorder  events.EventRecorder
	sources   *gitsource.Cache
	pool      *k8s.Pool
	// index answers the orphan searches of runs with the controller's
	// own identity from watches of its cluster.
	index   *prune.Index
	opts    Options
	metrics *metrics

	mu sync.Mutex
	// clusterIDs caches the id of the controller's own cluster.
	clusterID string
	// results is the result store, created on first use.
	results *results.Store
	// artifacts caches Flux source artifacts (nil without the flux API).
	artifacts *fluxartifact.Cache
	// chartsPruned is when the chart cache was last pruned.
	chartsPruned time.Time
}

// defaultTimeout bounds a reconcile without spec.timeout.
const defaultTimeout = time.Hour

// writeTimeout bounds a write that must happen even when the reconcile's
// context has ended (spec.timeout passed): the final status, a manual
// request's end, the removal of the finalizer, a command result.
const writeTimeout = 30 * time.Second

// detached returns a context for such a write: it keeps ctx's values
// (the logger) but not its deadline or cancellation, so that a reconcile
// cut by its timeout still reports why instead of staying "Reconciling".
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}

// reconcileTimeout is spec.timeout, or defaultTimeout without it: it
// bounds a reconcile and a deletion; without it the interval does not:
// a deploy that takes longer than the interval runs to its end.
func reconcileTimeout(kd *v1beta1.KluctlDeployment) time.Duration {
	if kd.Spec.Timeout != nil && kd.Spec.Timeout.Duration > 0 {
		return kd.Spec.Timeout.Duration
	}
	return defaultTimeout
}

// requeueNow asks for the next reconcile right away.
const requeueNow = 10 * time.Millisecond

// skipNameValidation allows several controllers of the same name in one
// process (tests run one per cluster).
var skipNameValidation = true

// Scheme returns a scheme with the core types and the API.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := v1beta1.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Setup registers the reconciler with mgr.
func Setup(mgr ctrl.Manager, opts Options) (*Reconciler, error) {
	if opts.Name == "" {
		opts.Name = "kluctl-controller"
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.RequeueDependency <= 0 {
		opts.RequeueDependency = 30 * time.Second
	}
	sources, err := gitsource.New(gitsource.Options{Dir: opts.SourceDir, MinFetchInterval: opts.MinFetchInterval})
	if err != nil {
		return nil, err
	}
	r := &Reconciler{
		client:    mgr.GetClient(),
		apiReader: mgr.GetAPIReader(),
		config:    mgr.GetConfig(),
		recorder:  mgr.GetEventRecorder(opts.Name),
		sources:   sources,
		pool:      k8s.NewPool(k8s.PoolOptions{}),
		opts:      opts,
		metrics:   newMetrics(),
	}
	own, err := r.pool.Clients(r.config)
	if err != nil {
		return nil, err
	}
	r.index = prune.NewIndex(own, prune.IndexOptions{})
	if err := mgr.Add(manager.RunnableFunc(r.index.Run)); err != nil {
		return nil, err
	}
	if err := r.setupFlux(mgr, own); err != nil {
		return nil, err
	}
	err = ctrl.NewControllerManagedBy(mgr).
		Named(opts.Name).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.Concurrency, SkipNameValidation: &skipNameValidation}).
		For(&v1beta1.KluctlDeployment{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, requestPredicate{}))).
		Complete(r)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Close removes the source cache.
func (r *Reconciler) Close() error {
	if r.artifacts != nil {
		_ = r.artifacts.Close()
	}
	return r.sources.Close()
}

// Reconcile handles one KluctlDeployment.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	var kd v1beta1.KluctlDeployment
	if err := r.apiReader.Get(ctx, req.NamespacedName, &kd); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if kd.DeletionTimestamp != nil {
		return r.finalize(ctx, &kd)
	}
	if !controllerutil.ContainsFinalizer(&kd, v1beta1.KluctlDeploymentFinalizer) {
		patch := client.MergeFrom(kd.DeepCopy())
		controllerutil.AddFinalizer(&kd, v1beta1.KluctlDeploymentFinalizer)
		if err := r.client.Patch(ctx, &kd, patch, client.FieldOwner(r.opts.Name)); err != nil {
			return ctrl.Result{}, err
		}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout(&kd))
	defer cancel()
	rc := r.newRun(ctx, &kd)
	res, err := rc.reconcile()
	// flushStatus writes with a detached context: it also runs after
	// the timeout passed.
	if perr := rc.flushStatus(); perr != nil && err == nil {
		err = perr
	}
	r.metrics.reconciled(&kd, time.Since(start))
	if err != nil {
		next := kd.Spec.GetRetryInterval()
		if res.RequeueAfter == 0 || res.RequeueAfter > next {
			res.RequeueAfter = next
		}
		msg := fmt.Sprintf("Reconciliation failed after %s, next try in %s: %s", time.Since(start).Round(time.Millisecond), res.RequeueAfter, rc.mask(err.Error()))
		logger.Info(msg)
		r.recorder.Eventf(&kd, nil, corev1.EventTypeWarning, rc.readyReason(), "Reconcile", "%s", msg)
		return ctrl.Result{RequeueAfter: res.RequeueAfter}, nil
	}
	logger.Info(fmt.Sprintf("Reconciliation finished in %s, next run in %s", time.Since(start).Round(time.Millisecond), res.RequeueAfter))
	return res, nil
}
