package controller

import (
	"context"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/internal/fluxartifact"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

// setupFlux registers the reconciler of flux.kluctl.io KluctlDeployments
// when their CRD is installed (a cluster with only the gitops.kluctl.io
// CRD keeps working), watching Flux's GitRepositories and Buckets when
// those exist, so that a new artifact is deployed at once.
func (r *Reconciler) setupFlux(mgr ctrl.Manager, own *k8s.Clients) error {
	if !served(own, v1alpha1.GroupVersion.String(), "kluctldeployments") {
		mgr.GetLogger().Info("the flux.kluctl.io/v1alpha1 CRDs are not installed; only gitops.kluctl.io KluctlDeployments are reconciled")
		return nil
	}
	arts, err := fluxartifact.New(fluxartifact.Options{Dir: filepath.Join(r.opts.SourceDir, "artifacts")})
	if err != nil {
		return err
	}
	r.artifacts = arts
	b := ctrl.NewControllerManagedBy(mgr).
		Named(r.opts.Name+"-flux").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.opts.Concurrency, SkipNameValidation: &skipNameValidation}).
		For(&v1alpha1.KluctlDeployment{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{})))
	for _, kind := range []string{"GitRepository", "Bucket"} {
		gvk := schema.GroupVersionKind{Group: fluxSourceGroup, Version: "v1", Kind: kind}
		if !served(own, gvk.GroupVersion().String(), pluralOf(kind)) {
			continue
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		b = b.Watches(u, handler.EnqueueRequestsFromMapFunc(r.deploymentsOfSource(kind)), builder.WithPredicates(revisionChanged{}))
	}
	if err := b.Complete(&fluxReconciler{r: r}); err != nil {
		return err
	}
	return r.setupFluxMulti(mgr, own)
}

func pluralOf(kind string) string {
	if kind == "GitRepository" {
		return "gitrepositories"
	}
	return "buckets"
}

// served tells whether the API server serves resource in groupVersion.
func served(c *k8s.Clients, groupVersion, resource string) bool {
	l, err := c.Discovery.ServerResourcesForGroupVersion(groupVersion)
	if err != nil {
		return false // not served (or discovery failed: then not now)
	}
	for _, r := range l.APIResources {
		if r.Name == resource {
			return true
		}
	}
	return false
}

// deploymentsOfSource maps a source to the KluctlDeployments referring
// to it.
func (r *Reconciler) deploymentsOfSource(kind string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		var l v1alpha1.KluctlDeploymentList
		if err := r.client.List(ctx, &l); err != nil {
			return nil
		}
		var out []reconcile.Request
		for _, kd := range l.Items {
			if sourceRefMatches(kd.Spec.SourceRef, kd.Namespace, kind, obj) {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&kd)})
			}
		}
		return out
	}
}

// sourceRefMatches tells whether ref, of an object in namespace ns, names
// the source obj of kind.
func sourceRefMatches(ref v1alpha1.CrossNamespaceSourceReference, ns, kind string, obj client.Object) bool {
	if ref.Namespace != "" {
		ns = ref.Namespace
	}
	return ref.Kind == kind && ref.Name == obj.GetName() && ns == obj.GetNamespace()
}

// revisionChanged passes source updates whose artifact revision changed.
type revisionChanged struct{ predicate.Funcs }

func (revisionChanged) Update(e event.UpdateEvent) bool {
	rev := func(o client.Object) string {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			return ""
		}
		s, _, _ := unstructured.NestedString(u.Object, "status", "artifact", "revision")
		return s
	}
	return rev(e.ObjectOld) != rev(e.ObjectNew)
}
