package webui

import (
	"context"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
)

var kdGVR = schema.GroupVersionResource{Group: v1beta1.GroupVersion.Group, Version: v1beta1.GroupVersion.Version, Resource: "kluctldeployments"}

// collect feeds h with the results and KluctlDeployments of c until ctx
// ends. The returned channel is closed once the KluctlDeployments are
// listed (or listing them gave up); results stream in as the store lists
// them.
func collect(ctx context.Context, c *Cluster, h *hub, logf func(string, ...any)) <-chan struct{} {
	synced := make(chan struct{})
	go watchLoop(ctx, "command results of "+c.ID, logf, func(ctx context.Context) (<-chan results.CommandResultEvent, error) {
		return c.store.WatchCommandResultSummaries(ctx, results.Filter{})
	}, summaryHandler(h, "cr-", updateCommandResultSummary, deleteCommandResultSummary, func(s result.CommandResultSummary) (string, result.ProjectKey) {
		return s.ID, s.ProjectKey
	}, viewerCommandSummary))
	go watchLoop(ctx, "validate results of "+c.ID, logf, func(ctx context.Context) (<-chan results.ValidateResultEvent, error) {
		return c.store.WatchValidateResultSummaries(ctx, results.Filter{})
	}, summaryHandler(h, "vr-", updateValidateResultSummary, deleteValidateResultSummary, func(s result.ValidateResultSummary) (string, result.ProjectKey) {
		return s.ID, s.ProjectKey
	}, nil))
	go watchDeployments(ctx, c, h, func() { close(synced) })
	return synced
}

// summaryHandler puts the summaries of a result watch into h under
// prefix+id, with the update and delete message types of their kind;
// viewers get the summary forViewer makes, unless it is nil.
func summaryHandler[S any](h *hub, prefix, update, del string, key func(S) (string, result.ProjectKey), forViewer func(S) S) func(results.Event[S]) {
	return func(ev results.Event[S]) {
		id, pk := key(ev.Summary)
		if ev.Delete {
			h.remove(prefix+id, Message{Type: del, ID: id})
			return
		}
		var vm *Message
		if forViewer != nil {
			vm = &Message{Type: update, Summary: forViewer(ev.Summary)}
		}
		h.putFor(prefix+id, Message{Type: update, Summary: ev.Summary}, vm, &pk)
	}
}

// viewerCommandSummary is a command result summary without the args, as
// redactForViewer leaves the whole result.
func viewerCommandSummary(s result.CommandResultSummary) result.CommandResultSummary {
	s.Target.Args, s.Command.Args = nil, nil
	return s
}

// viewerDeployment is a KluctlDeployment as viewers see it: without args
// and overrides (in the spec, in the results the status reports, and in
// requests), and without the last-applied copy of the spec.
func viewerDeployment(obj map[string]any) map[string]any {
	out := runtime.DeepCopyJSON(obj)
	dropKeys(out, "args", "overridesPatch")
	if md, ok := out["metadata"].(map[string]any); ok {
		if ann, ok := md["annotations"].(map[string]any); ok {
			for k := range ann {
				if k == "kubectl.kubernetes.io/last-applied-configuration" || strings.HasPrefix(k, "kluctl.io/request-") {
					delete(ann, k)
				}
			}
		}
	}
	return out
}

// dropKeys removes the keys named keys from every map in v.
func dropKeys(v any, keys ...string) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range keys {
			delete(x, k)
		}
		for _, e := range x {
			dropKeys(e, keys...)
		}
	case []any:
		for _, e := range x {
			dropKeys(e, keys...)
		}
	}
}

// watchLoop runs watch until ctx ends, starting it again after failures.
func watchLoop[E any](ctx context.Context, what string, logf func(string, ...any), watch func(context.Context) (<-chan E, error), handle func(E)) {
	for ctx.Err() == nil {
		ch, err := watch(ctx)
		if err != nil {
			logf("watch %s: %v", what, err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			continue
		}
		for ev := range ch {
			handle(ev)
		}
	}
}

// watchDeployments mirrors the KluctlDeployments of c into h.
func watchDeployments(ctx context.Context, c *Cluster, h *hub, synced func()) {
	f := dynamicinformer.NewDynamicSharedInformerFactory(c.clients.Dynamic, 0)
	inf := f.ForResource(kdGVR).Informer()
	put := func(obj any) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return
		}
		u = u.DeepCopy()
		unstructured.RemoveNestedField(u.Object, "metadata", "managedFields")
		vm := Message{Type: updateKluctlDeployment, Deployment: viewerDeployment(u.Object), ClusterID: c.ID}
		h.putFor("kd-"+string(u.GetUID()), Message{Type: updateKluctlDeployment, Deployment: u.Object, ClusterID: c.ID}, &vm, deploymentProject(u))
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    put,
		UpdateFunc: func(_, obj any) { put(obj) },
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if u, ok := obj.(*unstructured.Unstructured); ok {
				h.remove("kd-"+string(u.GetUID()), Message{Type: deleteKluctlDeployment, ID: string(u.GetUID()), ClusterID: c.ID})
			}
		},
	})
	f.Start(ctx.Done())
	// Without the CRD the listing never completes; stop waiting for it
	// after a while, the informer keeps trying.
	syncCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	cache.WaitForCacheSync(syncCtx.Done(), inf.HasSynced)
	cancel()
	synced()
	<-ctx.Done()
	f.Shutdown()
}

// deploymentProject is the project a KluctlDeployment last reported, or
// nil (which every project filter lets pass, as in the original).
func deploymentProject(u *unstructured.Unstructured) *result.ProjectKey {
	repo, _, _ := unstructured.NestedString(u.Object, "status", "projectKey", "repoKey")
	sub, _, _ := unstructured.NestedString(u.Object, "status", "projectKey", "subDir")
	if repo == "" && sub == "" {
		return nil
	}
	return &result.ProjectKey{RepoKey: repo, SubDir: sub}
}
