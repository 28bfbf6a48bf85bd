package webui

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
)

var kdGVR = schema.GroupVersionResource{Group: v1beta1.GroupVersion.Group, Version: v1beta1.GroupVersion.Version, Resource: "kluctldeployments"}

// collect feeds h with the results and KluctlDeployments of c until ctx
// ends. The returned channel is closed once the first listing of each is
// in h (or failed).
func collect(ctx context.Context, c *Cluster, h *hub, logf func(string, ...any)) <-chan struct{} {
	synced := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	done := func() func() {
		var once sync.Once
		return func() { once.Do(wg.Done) }
	}
	go func() {
		wg.Wait()
		close(synced)
	}()
	go watchLoop(ctx, "command results of "+c.ID, logf, done(), func(ctx context.Context) (<-chan results.CommandResultEvent, error) {
		return c.store.WatchCommandResultSummaries(ctx, results.Filter{})
	}, func(ev results.CommandResultEvent) {
		s := ev.Summary
		key := "cr-" + s.ID
		if ev.Delete {
			h.remove(key, Message{Type: deleteCommandResultSummary, ID: s.ID})
			return
		}
		pk := s.ProjectKey
		h.put(key, Message{Type: updateCommandResultSummary, Summary: s}, &pk)
	})
	go watchLoop(ctx, "validate results of "+c.ID, logf, done(), func(ctx context.Context) (<-chan results.ValidateResultEvent, error) {
		return c.store.WatchValidateResultSummaries(ctx, results.Filter{})
	}, func(ev results.ValidateResultEvent) {
		s := ev.Summary
		key := "vr-" + s.ID
		if ev.Delete {
			h.remove(key, Message{Type: deleteValidateResultSummary, ID: s.ID})
			return
		}
		pk := s.ProjectKey
		h.put(key, Message{Type: updateValidateResultSummary, Summary: s}, &pk)
	})
	go watchDeployments(ctx, c, h, done())
	return synced
}

// watchLoop runs watch until ctx ends, starting it again after failures.
func watchLoop[E any](ctx context.Context, what string, logf func(string, ...any), synced func(), watch func(context.Context) (<-chan E, error), handle func(E)) {
	first := true
	for ctx.Err() == nil {
		ch, err := watch(ctx)
		if err != nil {
			logf("watch %s: %v", what, err)
			if first {
				first = false
				synced()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			continue
		}
		if first {
			// The store sends the existing results first; give it a
			// moment to do so before reporting the listing as done.
			go func() { time.Sleep(200 * time.Millisecond); synced() }()
			first = false
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
		h.put("kd-"+string(u.GetUID()), Message{Type: updateKluctlDeployment, Deployment: u.Object, ClusterID: c.ID}, deploymentProject(u))
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
